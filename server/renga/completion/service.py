"""Inline completions as an editor sees them: remembered suggestions first, then a running model
stream that still fits, then (after the debounce) a new model call.

Every model stream runs in its own task ("flight"), shared by the requests that wait for it. A
flight is aborted, closing its HTTP response, as soon as nothing can use it any more: a keystroke
that does not fit its answer, a newer request elsewhere in the document, or ``$/cancelRequest``
from the last request waiting for it (unless the user is typing into its answer, in which case it
is kept a moment for the request that will follow).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
import uuid
from collections import defaultdict, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Protocol

from lsprotocol import types

from renga.completion.debounce import Rhythm
from renga.completion.memory import KEY_BYTES, Memory, line_rest
from renga.completion.pipeline import Outcome, generate
from renga.completion.reveal import Place, visible
from renga.completion.shape import shape_at
from renga.config import Settings
from renga.context.types import ContextSources
from renga.syntax.document import Document
from renga.usage import Ledger

if TYPE_CHECKING:
    from renga.model.client import ModelClient

log = logging.getLogger(__name__)

CMD_ACCEPT = "renga.acceptCompletion"
# How long a stream orphaned by $/cancelRequest is kept while the user types into its answer,
# waiting for the request that will follow the keystroke.
ORPHAN_MS = 400
# How long a stream cancelled with the document unchanged waits for the keystroke behind it.
CHANGE_GRACE_MS = 30


class Host(Protocol):
    """What the service needs from the language server."""

    documents: dict[str, Document]
    settings: Settings
    ledger: Ledger

    @property
    def model(self) -> ModelClient: ...

    def context_sources(self) -> ContextSources: ...


@dataclass(eq=False)
class Flight:
    """A model stream in progress for a cursor."""

    uri: str
    anchor: int
    before: bytes
    after: bytes
    version: int
    # The document's length when the stream began: what lies between the start of its answer and
    # the cursor must be exactly what was typed since, not text the cursor moved over.
    size: int = 0
    task: asyncio.Task[Outcome] | None = None
    partial: bytes = b""
    waiters: int = 0
    started: float = field(default_factory=time.monotonic)
    orphan_timer: asyncio.TimerHandle | None = None
    # Where the stream's answer starts, as (line, character) when it began.
    position: tuple[int, int] = (0, 0)
    item_id: str | None = None

    def fits(self, source: bytes, cursor: int) -> bool:
        """Whether what the user typed since the stream began agrees with its answer so far."""
        if cursor < self.anchor or len(source) - self.size != cursor - self.anchor:
            return False
        if source[max(0, self.anchor - len(self.before)) : self.anchor] != self.before:
            return False
        typed = source[self.anchor : cursor]
        n = min(len(typed), len(self.partial))
        return typed[:n] == self.partial[:n] and source[cursor : cursor + len(self.after)] == (
            self.after
        )


@dataclass
class Stats:
    requests: int = 0
    from_memory: int = 0
    joined_stream: int = 0
    model_calls: int = 0
    aborted: int = 0
    stopped_early: int = 0
    debounced: int = 0
    rejected_syntax: int = 0
    empty: int = 0
    shown: int = 0
    partial_accepts: int = 0
    # Suggestions counted as accepted because the user typed them through to their end.
    typed_through: int = 0


class CompletionService:
    def __init__(self, host: Host) -> None:
        self.host = host
        self.memory = Memory()
        self.flights: dict[str, list[Flight]] = defaultdict(list)
        self.rhythm: dict[str, Rhythm] = defaultdict(Rhythm)
        # The newest request per document: an older one still debouncing gives way.
        self.latest: dict[str, int] = defaultdict(int)
        self.stats = Stats()
        self._counted: set[str] = set()
        self._accepted: set[str] = set()
        self._warming: asyncio.Task[None] | None = None
        # Stage timings of recent model calls (milliseconds by stage).
        self.timings: deque[dict[str, float]] = deque(maxlen=2000)
        # Called with each model failure (the server tells the user about credentials).
        self.on_error: Callable[[Exception], None] | None = None

    # -- document events -----------------------------------------------------------------

    def changed(self, uri: str) -> None:
        """After each ``didChange``: learn the rhythm, count a suggestion typed through to its
        end as accepted, and abort streams the edit contradicts."""
        self.rhythm[uri].keystroke()
        doc = self.host.documents.get(uri)
        if doc is None:
            return
        cursor = doc.last_edit.end if doc.last_edit else 0
        done = self.memory.typed_through(uri, doc.source, cursor)
        if done is not None and done.item_id not in self._accepted:
            self.stats.typed_through += 1
            self.accepted(done.item_id)
        if self.host.settings.completion.type_through:
            self.memory.check_active(uri, doc.source, cursor)
        if not self.host.settings.completion.cancel_stale:
            return
        for flight in list(self.flights.get(uri, [])):
            if not flight.fits(doc.source, cursor):
                self._abort(flight, "a keystroke that does not fit its answer")

    def closed(self, uri: str) -> None:
        for flight in list(self.flights.get(uri, [])):
            self._abort(flight, "document closed")
        self.memory.forget(uri)
        self.rhythm.pop(uri, None)

    # -- the request ---------------------------------------------------------------------

    async def inline(
        self, params: types.InlineCompletionParams
    ) -> types.InlineCompletionList | None:
        settings = self.host.settings.completion
        uri = params.text_document.uri
        doc = self.host.documents.get(uri)
        if doc is None:
            return None
        self.stats.requests += 1
        self.latest[uri] += 1
        ticket = self.latest[uri]
        cursor = doc.offset_at(params.position.line, params.position.character)
        source, version = doc.source, doc.version

        if settings.type_through:
            recall = self.memory.recall(uri, source, cursor)
            if recall is not None and recall.ended:
                # All of it typed, and the code after it takes over: asking the model here
                # would only repeat that code.
                self.stats.from_memory += 1
                return None
            if recall is not None:
                self.stats.from_memory += 1
                start = doc.position_at(recall.anchor)
                return self._answer(doc, recall.entry.item_id, start, params.position)

        flight = None
        if settings.cancel_stale:
            for other in list(self.flights.get(uri, [])):
                if flight is None and settings.type_through and other.fits(source, cursor):
                    flight = other
                else:
                    self._abort(other, "a newer request")
        joined = flight is not None
        if flight is not None:
            self.stats.joined_stream += 1
        else:
            automatic = params.context.trigger_kind == types.InlineCompletionTriggerKind.Automatic
            delay = self.rhythm[uri].delay_ms(settings.debounce_ms, settings.adaptive_debounce)
            if automatic and delay > 0:
                await asyncio.sleep(delay / 1000)
                if self.latest[uri] != ticket or doc.version != version:
                    self.stats.debounced += 1
                    return None
            flight = self._launch(doc, cursor, params.position)
        item_id = await self._wait(flight)
        if (
            item_id is None
            and joined
            and flight.task is not None
            and flight.task.cancelled()
            and self.latest[uri] == ticket
            and doc.version == version
        ):
            # The stream this request joined turned out to contradict the typing and was
            # aborted: the user is still here, so ask afresh rather than show nothing.
            flight = self._launch(doc, cursor, params.position)
            item_id = await self._wait(flight)
        if item_id is None:
            return None
        entry = self.memory.get(item_id)
        if entry is None or not entry.fits(source, flight.anchor, cursor):
            return None
        start = doc.position_at(flight.anchor) if doc.version == version else flight.position
        return self._answer(doc, item_id, start, params.position)

    def _launch(self, doc: Document, cursor: int, position: types.Position) -> Flight:
        flight = Flight(
            position=(position.line, position.character),
            uri=doc.uri,
            anchor=cursor,
            before=doc.source[max(0, cursor - KEY_BYTES) : cursor],
            after=line_rest(doc.source, cursor),
            version=doc.version,
            size=len(doc.source),
        )
        source = doc.source
        language = doc.language.name if doc.language else (doc.language_id or "text")

        def grew(text: str) -> None:
            flight.partial = text.encode("utf-8", errors="surrogatepass")
            # The user typed on while the model was silent: its first words may contradict that.
            live = self.host.documents.get(doc.uri)
            if (
                live is not None
                and live.version != flight.version
                and self.host.settings.completion.cancel_stale
                and not flight.fits(live.source, live.last_edit.end if live.last_edit else 0)
            ):
                self._abort(flight, "its answer contradicts what was typed meanwhile")

        async def run() -> Outcome:
            outcome = await generate(
                doc,
                cursor,
                self.host.settings,
                self.host.model,
                self.host.context_sources(),
                on_text=grew,
            )
            if outcome.stopped_early:
                self.stats.stopped_early += 1
                self._rewarm()
            if outcome.rejected == "syntax":
                self.stats.rejected_syntax += 1
            elif outcome.rejected:
                self.stats.empty += 1
            if outcome.timings:
                # Observability: every stage of every request at debug level, summarised by
                # `renga usage` from the ledger.
                log.debug(
                    "completion stages (ms): %s",
                    ", ".join(
                        f"{k.removesuffix('_ms')} {v:.1f}" for k, v in outcome.timings.items()
                    ),
                )
                self.timings.append(outcome.timings)
                with contextlib.suppress(Exception):  # statistics never break completions
                    self.host.ledger.record_timings("completion", outcome.timings)
            if outcome.suggestion is not None:
                item_id = uuid.uuid4().hex[:12]
                if self.memory.remember(
                    item_id,
                    doc.uri,
                    language,
                    source,
                    cursor,
                    outcome.suggestion.text,
                    model=outcome.suggestion.model,
                    finished=outcome.finished,
                    meets_code=outcome.meets_code,
                ):
                    flight.item_id = item_id
            return outcome

        self.stats.model_calls += 1
        flight.task = asyncio.get_running_loop().create_task(run(), name="completion-stream")
        self.flights[doc.uri].append(flight)

        def landed(task: asyncio.Task[Outcome]) -> None:
            with contextlib.suppress(ValueError):
                self.flights[doc.uri].remove(flight)
            if flight.orphan_timer is not None:
                flight.orphan_timer.cancel()
            if not task.cancelled() and task.exception() is not None:
                exc = task.exception()
                log.info("completion failed: %s", exc)
                if self.on_error is not None and isinstance(exc, Exception):
                    self.on_error(exc)

        flight.task.add_done_callback(landed)
        return flight

    async def _wait(self, flight: Flight) -> str | None:
        """The id of the flight's remembered suggestion, or None. A cancelled waiter lets go of
        the flight, which is aborted when nobody else can use it."""
        assert flight.task is not None
        flight.waiters += 1
        try:
            outcome = await asyncio.shield(flight.task)
        except asyncio.CancelledError:
            flight.waiters -= 1
            current = asyncio.current_task()
            if current is not None and current.cancelling():
                self._let_go(flight)
                raise
            return None  # the flight was aborted under us: nothing to show
        except Exception:
            flight.waiters -= 1
            return None
        flight.waiters -= 1
        if outcome.suggestion is None:
            return None
        return flight.item_id  # None when the answer was not remembered (not finished)

    def _let_go(self, flight: Flight) -> None:
        if flight.waiters > 0 or flight.task is None or flight.task.done():
            return
        if not self.host.settings.completion.cancel_stale:
            return
        doc = self.host.documents.get(flight.uri)
        if doc is not None and doc.version == flight.version:
            # A client may cancel before it sends the keystroke that made it cancel: wait a
            # moment for that keystroke before deciding.
            self._later(flight, CHANGE_GRACE_MS, self._keep_if_typed_into)
            return
        self._keep_if_typed_into(flight)

    def _keep_if_typed_into(self, flight: Flight) -> None:
        """Keep a stream nobody waits for only while the user types into its answer, for the
        request that will follow the keystroke; otherwise abort it."""
        if flight.waiters > 0 or flight.task is None or flight.task.done():
            return
        doc = self.host.documents.get(flight.uri)
        typing_into = (
            doc is not None
            and doc.version != flight.version
            and self.host.settings.completion.type_through
            and flight.fits(doc.source, doc.last_edit.end if doc.last_edit else 0)
        )
        if not typing_into:
            self._abort(flight, "$/cancelRequest")
            return
        self._later(flight, ORPHAN_MS, lambda f: self._abort(f, "nobody asked for it"))

    def _later(self, flight: Flight, ms: float, then: Callable[[Flight], None]) -> None:
        if flight.orphan_timer is not None:
            flight.orphan_timer.cancel()

        def fire() -> None:
            flight.orphan_timer = None
            if flight.waiters == 0:
                then(flight)

        flight.orphan_timer = asyncio.get_running_loop().call_later(ms / 1000, fire)

    def _abort(self, flight: Flight, why: str) -> None:
        if flight.task is None or flight.task.done():
            return
        log.debug("aborting completion stream: %s", why)
        self.stats.aborted += 1
        flight.task.cancel()
        self._rewarm()
        with contextlib.suppress(ValueError):
            self.flights[flight.uri].remove(flight)

    def _rewarm(self) -> None:
        """A response closed mid-stream takes its HTTP connection with it: open another one (a
        free count_tokens call) now, so the next completion does not pay for a new connection
        (and, on the real API, a TLS handshake) after the user's keystroke."""
        if self._warming is not None and not self._warming.done():
            return
        self._warming = asyncio.get_running_loop().create_task(
            self.host.model.warm(), name="completion-rewarm"
        )

    # -- the answer ----------------------------------------------------------------------

    def _answer(
        self,
        doc: Document,
        item_id: str,
        start: tuple[int, int],
        position: types.Position,
    ) -> types.InlineCompletionList | None:
        entry = self.memory.get(item_id)
        if entry is None:
            return None
        # The range starts where the suggestion starts and covers what the user typed of it:
        # clients that re-request (Neovim, LSP4IJ) replace it, VS Code filters with it.
        line, character = start
        # A cursor past the end of its line or file is answered at the clamped position.
        cursor = doc.offset_at(position.line, position.character)
        end = types.Position(*doc.position_at(cursor))
        anchor = doc.offset_at(line, character)
        shown = self._visible(doc, entry.data, anchor, cursor)
        if shown is None:
            return None
        text, upto = shown
        self.memory.mark_shown(entry, anchor, upto)
        if item_id not in self._counted:
            if len(self._counted) > 100_000:  # ids of long-gone suggestions
                self._counted.clear()
            self._counted.add(item_id)
            self.stats.shown += 1
            self.host.ledger.record_shown(entry.language)
        return types.InlineCompletionList(
            items=[
                types.InlineCompletionItem(
                    insert_text=text,
                    range=types.Range(start=types.Position(line, character), end=end),
                    command=types.Command(
                        title="Accepted", command=CMD_ACCEPT, arguments=[item_id]
                    ),
                )
            ]
        )

    @staticmethod
    def _visible(doc: Document, data: bytes, anchor: int, cursor: int) -> tuple[str, int] | None:
        """What to show of a remembered answer that starts at ``anchor``, the cursor at
        ``cursor``: what was typed of it and the next part likely right (``reveal``), and where
        that ends (bytes from its start); None when nothing is to be shown yet."""
        typed = cursor - anchor
        if not 0 <= typed < len(data):
            return None
        try:
            done = data[:typed].decode("utf-8", errors="surrogatepass")
            rest = data[typed:].decode("utf-8", errors="surrogatepass")
            line_start = doc.source.rfind(b"\n", 0, cursor) + 1
            line_before = doc.source[line_start:cursor].decode("utf-8", errors="surrogatepass")
        except UnicodeDecodeError:
            return None
        mid_line = bool(line_before.strip()) and not rest.startswith("\n")
        # The syntax tree is asked only where a block could be revealed (not mid-line).
        block = not mid_line and shape_at(doc, cursor).at_block_start
        n = visible(rest, Place(line_before=line_before, block_expected=block))
        if n <= 0:
            return None
        part = rest[:n]
        return done + part, typed + len(part.encode("utf-8", errors="surrogatepass"))

    def report(self, reset: bool = False) -> dict[str, Any]:
        """The counters, and median and p99 of each stage of recent model calls: renga's own
        stages (``context_ms``: syntax, context and prompt; ``postprocess_ms``: rules and the
        syntax gate) apart from the model call (``model_ms``: SDK, HTTP and the model)."""
        stages: dict[str, dict[str, float]] = {}
        for stage in ("context_ms", "postprocess_ms", "first_token_ms", "model_ms", "total_ms"):
            values = sorted(t[stage] for t in self.timings if stage in t)
            if values:
                stages[stage] = {
                    "p50": values[len(values) // 2],
                    "p99": values[min(len(values) - 1, round(0.99 * (len(values) - 1)))],
                }
        if reset:
            self.timings.clear()
        return {**vars(self.stats), "stages": stages}

    # -- accept signals ------------------------------------------------------------------

    def accepted(self, item_id: Any) -> None:
        entry = self.memory.get(item_id) if isinstance(item_id, str) else None
        if entry is not None and item_id not in self._accepted:
            self._accepted.add(item_id)
            self.host.ledger.record_accepted(entry.language)

    def did_show(self, params: Any) -> None:
        entry = self.memory.get(_item_id(params) or "")
        if entry is not None and entry.item_id not in self._counted:
            self._counted.add(entry.item_id)
            self.stats.shown += 1
            self.host.ledger.record_shown(entry.language)

    def did_partially_accept(self, params: Any) -> None:
        item_id = _item_id(params)
        if item_id is not None and self.memory.get(item_id) is not None:
            self.stats.partial_accepts += 1
            self.accepted(item_id)


def _get(obj: Any, key: str) -> Any:
    if isinstance(obj, dict):
        return obj.get(key)
    return getattr(obj, key, None)


def _item_id(params: Any) -> str | None:
    """The renga id carried by the item of a didShow / didPartiallyAccept notification."""
    item = _get(params, "item")
    command = _get(item, "command") if item is not None else None
    arguments = _get(command, "arguments") if command is not None else None
    if isinstance(arguments, list | tuple) and arguments and isinstance(arguments[0], str):
        return arguments[0]
    return None
