"""The language server: its state, and the one place where LSP methods meet renga's features.

Heavy modules (the anthropic SDK above all) are imported after ``initialize`` has been answered,
so an editor sees the server ready in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import uuid
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import lsp_method

from renga import __version__
from renga.config import from_env, merge
from renga.context.types import ContextSources
from renga.lifecycle import LifecycleProtocol
from renga.model.breaker import BreakerChange
from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry
from renga.syntax.positions import Encoding
from renga.usage import Ledger

if TYPE_CHECKING:
    from renga.model.client import ModelClient

log = logging.getLogger("renga")

CMD_ACCEPT = "renga.acceptCompletion"
CMD_USAGE = "renga.usage"
STATUS = "renga/status"


class RengaProtocol(LifecycleProtocol):
    @lsp_method(types.INITIALIZE)
    def lsp_initialize(
        self, params: types.InitializeParams
    ) -> Generator[Any, Any, types.InitializeResult]:
        # Prefer UTF-8 positions when the client offers them: tree-sitter counts bytes, so no
        # conversion is needed at all. pygls takes the client's first choice, so reorder.
        general = params.capabilities.general
        if general and general.position_encodings and "utf-8" in general.position_encodings:
            rest = [e for e in general.position_encodings if e != "utf-8"]
            general.position_encodings = [types.PositionEncodingKind.Utf8, *rest]
        result: types.InitializeResult = yield from super().lsp_initialize(params)
        return result

    @lsp_method(types.TEXT_DOCUMENT_DID_CHANGE)
    def lsp_text_document__did_change(
        self, params: types.DidChangeTextDocumentParams
    ) -> Generator[Any, Any, None]:
        # pygls would apply each change to its own copy too, converting positions character by
        # character in Python: two seconds per keystroke on a 1 MB line. renga's Document applies
        # them (did_change below); pygls's copy then takes the result whole, which is cheap.
        if (handler := self.fm.features.get(types.TEXT_DOCUMENT_DID_CHANGE)) is not None:
            yield handler, (params,), None
        doc = server.documents.get(params.text_document.uri)
        if doc is not None:
            whole = types.TextDocumentContentChangeWholeDocument(text=doc.text)
            with contextlib.suppress(KeyError):  # pygls never saw it opened
                self.workspace.update_text_document(params.text_document, whole)


class RengaServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("renga", __version__, protocol_cls=RengaProtocol)
        self.settings, self.env_errors = from_env()
        self.init_options: dict[str, Any] = {}
        self.documents: dict[str, Document] = {}
        self.ledger = Ledger()
        self.told: set[str] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self.completions: dict[str, tuple[str, str]] = {}  # id -> (language, text)
        self._model: ModelClient | None = None

    # -- helpers -------------------------------------------------------------------------

    @property
    def encoding(self) -> Encoding:
        try:
            negotiated = self.workspace.position_encoding
        except RuntimeError:  # before initialize
            return "utf-16"
        # lsprotocol's PositionEncodingKind is a str-mixin Enum whose str() is its name, not the
        # wire value: read .value, or every UTF-8 client is silently treated as UTF-16.
        value = getattr(negotiated, "value", negotiated) or "utf-16"
        return value if value in ("utf-8", "utf-32") else "utf-16"  # type: ignore[return-value]

    def context_sources(self) -> ContextSources:
        return ContextSources(documents=self.documents)

    def run_task(self, coro: Coroutine[Any, Any, Any], name: str) -> asyncio.Task[Any]:
        """Background work with a kept reference and its failures logged, never lost."""
        task = asyncio.get_running_loop().create_task(coro, name=name)
        self.tasks.add(task)

        def done(t: asyncio.Task[Any]) -> None:
            self.tasks.discard(t)
            if not t.cancelled() and t.exception() is not None:
                log.error("background task %s failed", name, exc_info=t.exception())

        task.add_done_callback(done)
        return task

    def tell_once(self, key: str, message: str, kind: types.MessageType) -> None:
        """A message the user should see once per session, not on every keystroke."""
        if key in self.told:
            return
        self.told.add(key)
        self.window_show_message(types.ShowMessageParams(type=kind, message=message))

    def status(self, state: str, message: str = "") -> None:
        self.protocol.notify(
            STATUS,
            {
                "state": state,
                "message": message,
                "spendTodayUsd": round(self.ledger.spend_today(), 4),
            },
        )

    @property
    def model(self) -> ModelClient:
        if self._model is None:
            from renga.model.client import ModelClient

            self._model = ModelClient(
                self.settings,
                on_usage=self.ledger.record,
                on_notice=lambda m: self.tell_once(m, m, types.MessageType.Warning),
                on_breaker=self.breaker_changed,
            )
        return self._model

    def breaker_changed(self, change: BreakerChange) -> None:
        """The model service's health, told on transitions only: a status notification each
        time, a message at the start of an outage, never one per keystroke."""
        if change.state == "closed":
            self.status("ready")
            return
        self.status("error" if change.auth else "warning", change.message)
        if change.new_outage:
            kind = types.MessageType.Error if change.auth else types.MessageType.Warning
            self.window_show_message(types.ShowMessageParams(type=kind, message=change.message))

    def apply_settings(self, raw: Any, source: str) -> None:
        settings, errors = merge(self.settings, raw)
        if errors:
            self.window_show_message(
                types.ShowMessageParams(
                    type=types.MessageType.Warning,
                    message=f"renga: invalid settings from {source}, using defaults for them: "
                    + "; ".join(errors),
                )
            )
        self.settings = settings
        if self._model is not None:
            self._model.update_settings(settings)


server = RengaServer()


# -- lifecycle ---------------------------------------------------------------------------


@server.feature(types.INITIALIZE)
def initialize(ls: RengaServer, params: types.InitializeParams) -> None:
    options = params.initialization_options
    if isinstance(options, dict):
        ls.init_options = options
        # Editors may nest the settings under their section name, or send them bare.
        raw = options.get("renga", options)
        raw = {k: v for k, v in raw.items() if k not in ("editorInfo", "editorPluginInfo")}
        ls.apply_settings(raw, "initializationOptions")


@server.feature(types.INITIALIZED)
async def initialized(ls: RengaServer, params: types.InitializedParams) -> None:
    if ls.env_errors:
        ls.tell_once(
            "env",
            "renga: invalid environment settings ignored: " + "; ".join(ls.env_errors),
            types.MessageType.Warning,
        )
    await pull_configuration(ls)
    problem = ls.model.problem()
    if problem:
        ls.tell_once(
            "no-credentials",
            f"renga: completions are off until configured: {problem}.",
            types.MessageType.Warning,
        )
        ls.status("inactive", problem)
        return
    ls.status("ready")
    ls.run_task(ls.model.warm(), "warm-up")


async def pull_configuration(ls: RengaServer) -> None:
    caps = ls.client_capabilities.workspace
    if not (caps and caps.configuration):
        return
    try:
        result = await asyncio.wait_for(
            ls.workspace_configuration_async(
                types.ConfigurationParams(items=[types.ConfigurationItem(section="renga")])
            ),
            timeout=5,
        )
    except (TimeoutError, Exception) as exc:  # a client that cannot answer keeps the defaults
        log.info("workspace/configuration failed: %s", exc)
        return
    if result and isinstance(result[0], dict):
        ls.apply_settings(result[0], "workspace configuration")


@server.feature(types.WORKSPACE_DID_CHANGE_CONFIGURATION)
async def did_change_configuration(
    ls: RengaServer, params: types.DidChangeConfigurationParams
) -> None:
    settings = params.settings
    if isinstance(settings, dict) and isinstance(settings.get("renga"), dict):
        ls.apply_settings(settings["renga"], "didChangeConfiguration")
    else:
        await pull_configuration(ls)


# -- documents ---------------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_DID_OPEN)
def did_open(ls: RengaServer, params: types.DidOpenTextDocumentParams) -> None:
    item = params.text_document
    language = registry().for_document(item.language_id, item.uri)
    ls.documents[item.uri] = Document(
        item.uri,
        item.text,
        version=item.version,
        language_id=item.language_id,
        language=language,
        encoding=ls.encoding,
        max_bytes=ls.settings.context.max_file_bytes,
    )


@server.feature(types.TEXT_DOCUMENT_DID_CHANGE)
def did_change(ls: RengaServer, params: types.DidChangeTextDocumentParams) -> None:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return
    edits = []
    for change in params.content_changes:
        if isinstance(change, types.TextDocumentContentChangePartial):
            r = change.range
            edits.append(
                Edit(change.text, (r.start.line, r.start.character), (r.end.line, r.end.character))
            )
        else:
            edits.append(Edit(change.text))
    doc.apply(edits, params.text_document.version)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RengaServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.pop(params.text_document.uri, None)


# -- inline completion -------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(
    ls: RengaServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    from renga.completion.admission import admitted
    from renga.completion.pipeline import complete
    from renga.model.errors import Failure, ModelError

    if not ls.settings.completion.enabled:
        return None
    doc = ls.documents.get(params.text_document.uri)
    if doc is None or not admitted(doc, ls.settings):
        return None
    problem = ls.model.problem()
    if problem:
        ls.tell_once(
            "no-credentials",
            f"renga: completions are off until configured: {problem}.",
            types.MessageType.Warning,
        )
        return None
    pos = params.position
    offset = doc.offset_at(pos.line, pos.character)
    try:
        suggestion = await complete(doc, offset, ls.settings, ls.model, ls.context_sources())
    except ModelError as exc:
        # Service failures reach the user through the circuit breaker (breaker_changed).
        if exc.failure is Failure.NOT_CONFIGURED:
            ls.tell_once(f"model-{exc.failure.value}", f"renga: {exc}", types.MessageType.Error)
            ls.status("error", str(exc))
        log.log(
            logging.DEBUG if exc.failure is Failure.PAUSED else logging.INFO,
            "completion failed: %s",
            exc,
        )
        return None
    if suggestion is None:
        return None
    item_id = uuid.uuid4().hex[:12]
    language = doc.language.name if doc.language else doc.language_id
    ls.completions[item_id] = (language, suggestion.text)
    if len(ls.completions) > 256:
        ls.completions.pop(next(iter(ls.completions)))
    ls.ledger.record_shown(language)
    line, character = doc.position_at(suggestion.start)
    start = types.Position(line=line, character=character)
    # A cursor past the end of its line or file is answered at the clamped position.
    end = types.Position(*doc.position_at(offset))
    return types.InlineCompletionList(
        items=[
            types.InlineCompletionItem(
                insert_text=suggestion.text,
                range=types.Range(start=start, end=end),
                command=types.Command(title="Accepted", command=CMD_ACCEPT, arguments=[item_id]),
            )
        ]
    )


# -- inspection --------------------------------------------------------------------------


@server.feature("renga/documentState")
def document_state(ls: RengaServer, params: Any) -> dict[str, Any] | None:
    """The server's view of a document (text, version, syntax tree), for tests and bug reports:
    a client can check that incremental sync left both sides with the same text."""
    uri = getattr(params, "uri", None) or (params.get("uri") if isinstance(params, dict) else None)
    doc = ls.documents.get(str(uri))
    if doc is None:
        return None
    return {
        "uri": doc.uri,
        "version": doc.version,
        "text": doc.text,
        "language": doc.language.name if doc.language else None,
        "tree": str(doc.tree.root_node) if doc.tree else None,
        "encoding": doc.encoding,
    }


# -- commands ----------------------------------------------------------------------------


@server.command(CMD_ACCEPT)
def accept_completion(ls: RengaServer, *args: Any) -> None:
    item_id = args[0] if args else None
    if isinstance(item_id, str) and item_id in ls.completions:
        language, _ = ls.completions.pop(item_id)
        ls.ledger.record_accepted(language)


@server.command(CMD_USAGE)
def usage(ls: RengaServer, *args: Any) -> dict[str, Any]:
    summary = ls.ledger.summary()
    summary["markdown"] = ls.ledger.markdown()
    return summary


def serve(tcp: str | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # pygls logs every message it sends and receives at INFO: document text and prompts would
    # land in the editor's log. Only its warnings are wanted.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
