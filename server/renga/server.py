"""The language server: its state, and the one place where LSP methods meet renga's features.

Heavy modules (the anthropic SDK above all) are imported after ``initialize`` has been answered,
so an editor sees the server ready in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import importlib
import inspect
import json
import logging
import os
import stat
import sys
import threading
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any, BinaryIO

from lsprotocol import types
from pygls.exceptions import JsonRpcException, JsonRpcInvalidParams
from pygls.io_ import StdoutWriter
from pygls.lsp.server import LanguageServer
from pygls.protocol.language_server import _prepare_command_arguments, lsp_method

from renga import __version__
from renga.config import from_env, merge
from renga.context import workspace as workspace_index
from renga.context.assemble import forget_document
from renga.context.types import ContextSources
from renga.cost import BudgetExceeded, CostGate
from renga.framing import Framer
from renga.lifecycle import LifecycleProtocol
from renga.logs import TRACE, set_level
from renga.model.breaker import BreakerChange
from renga.privacy import Privacy, redact_body, to_path
from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry
from renga.syntax.positions import Encoding
from renga.usage import Ledger

if TYPE_CHECKING:
    from renga.completion.service import CompletionService
    from renga.context.index import WorkspaceIndex
    from renga.model.catalog import Usage
    from renga.model.client import ModelClient

log = logging.getLogger("renga")

CMD_ACCEPT = "renga.acceptCompletion"
CMD_USAGE = "renga.usage"
STATUS = "renga/status"
# A spend change is told this long after the call that made it, once for a burst of calls
# (typing sends many completions; the status bar need not follow each one).
SPEND_STATUS_DELAY_S = 0.5
# How much of stdin one read takes: a keystroke's messages come in one read.
READ_BYTES = 1 << 16
# How long a body that stopped short of its Content-Length waits before it is tried as it is.
STALL_S = 0.5


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

    @lsp_method(types.WORKSPACE_EXECUTE_COMMAND)
    async def lsp_workspace__execute_command(  # type: ignore[override]
        self, params: types.ExecuteCommandParams
    ) -> Any:
        # pygls runs a command as a step of a generator whose future is what `$/cancelRequest`
        # cancels, so the command itself (a refactor and its model requests) would run on.
        # Awaiting it in this request's own task lets the cancellation reach it.
        handler = self.fm.commands.get(params.command)
        if handler is None:
            raise JsonRpcInvalidParams.of(ValueError(f"Command {params.command!r} is not defined"))
        try:
            args, kwargs = _prepare_command_arguments(handler, params, self._converter)
        except Exception as exc:
            raise JsonRpcInvalidParams.of(exc) from exc
        result = handler(*args, **kwargs)
        return await result if inspect.isawaitable(result) else result

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


def _is_stream(source: BinaryIO) -> bool:
    """Whether the event loop can read ``source`` (a pipe, socket or character device)."""
    try:
        mode = os.fstat(source.fileno()).st_mode
    except (OSError, ValueError, AttributeError):
        return False
    return stat.S_ISFIFO(mode) or stat.S_ISSOCK(mode) or stat.S_ISCHR(mode)


class RengaServer(LanguageServer):
    def __init__(self) -> None:
        super().__init__("renga", __version__, protocol_cls=RengaProtocol)
        self.settings, self.env_errors = from_env()
        self.init_options: dict[str, Any] = {}
        self.documents: dict[str, Document] = {}
        self.ledger = Ledger()
        self.told: set[str] = set()
        self.tasks: set[asyncio.Task[Any]] = set()
        self._model: ModelClient | None = None
        self._privacy: Privacy | None = None
        self.cost = CostGate(lambda: self.settings, self.ledger.spend_today)
        # Built in the background after `initialized` (renga.context.workspace).
        self.index: WorkspaceIndex | None = None
        self.index_pending: dict[str, asyncio.TimerHandle] = {}
        # The index's file watcher is registered with the client (once a session).
        self.watching_files = False
        self._completer: CompletionService | None = None
        # The last status told, repeated with the new spend when only the spend changes.
        self._status: tuple[str, str] = ("starting", "")
        self._spend_status: asyncio.TimerHandle | None = None

    def start_io(self, stdin: BinaryIO | None = None, stdout: BinaryIO | None = None) -> None:
        """Serve over stdio, reading stdin with the event loop itself.

        pygls reads each header line and each body in a thread-pool hop (``run_in_executor``):
        four hops per message, a good part of the round trip of a request that does nothing
        (bench/completion.py). When stdin is a pipe, socket or terminal (an editor always gives
        a pipe) an asyncio stream reads it instead; anything else (a file, Windows) falls back
        to pygls's own reader."""
        source = stdin or sys.stdin.buffer
        if sys.platform == "win32" or not _is_stream(source):
            super().start_io(stdin, stdout)
            return
        self._stop_event = threading.Event()
        self.protocol.set_writer(StdoutWriter(stdout or sys.stdout.buffer))

        async def main() -> None:
            loop = asyncio.get_running_loop()
            reader = asyncio.StreamReader()
            await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(reader), source)
            assert self._stop_event is not None
            # renga.framing rather than pygls's run_async: one frame with a wrong Content-Length
            # made that loop deaf for good.
            framer = Framer()
            while not self._stop_event.is_set():
                try:
                    # A body that stops short of its Content-Length with nothing after it: it
                    # may be whole already (a length too long), and its sender waiting for us.
                    async with asyncio.timeout(STALL_S if framer.waiting else None):
                        data = await reader.read(READ_BYTES)
                except TimeoutError:
                    if (body := framer.stalled()) is not None:
                        self.receive(framer, body)
                    continue
                if not data:
                    break
                framer.feed(data)
                while (body := framer.next()) is not None:
                    self.receive(framer, body)

        try:
            asyncio.run(main())
        except BrokenPipeError:
            log.error("the connection to the editor is lost: shutting down")
        except KeyboardInterrupt:
            pass
        except Exception:
            # Never alive but deaf: the editor sees the process end and can restart it.
            log.critical("reading the editor's messages failed: exiting", exc_info=True)
            raise SystemExit(1) from None
        finally:
            # SystemExit (from `exit`) passes on with its code: 1 when no `shutdown` came first.
            self.shutdown()  # type: ignore[no-untyped-call]  # pygls is untyped here

    def receive(self, framer: Framer, body: bytes) -> None:
        """Decode and handle one message body, as pygls's reader would; a body that is not JSON
        goes back to the framer, which may find the rest of it (a Content-Length too short)."""
        try:
            message = json.loads(body, object_hook=self.protocol.structure_message)
        except ValueError:  # JSONDecodeError, UnicodeDecodeError: the frame is wrong
            framer.rejected(body)
            return
        except Exception as exc:  # params pygls cannot read (LifecycleProtocol answers them)
            log.exception("Unable to handle message")
            self.report_server_error(exc, JsonRpcException)
            return
        try:
            self.protocol.handle_message(message)
        except Exception as exc:
            log.exception("Unable to handle message")
            self.report_server_error(exc, JsonRpcException)

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
        roots = self.privacy.roots
        return ContextSources(
            documents=self.documents,
            index=self.index,
            excluded=self.privacy.excluded,
            root=str(roots[0]) if roots else None,
        )

    @property
    def privacy(self) -> Privacy:
        """Exclusions for the current workspace folders and settings (rebuilt when they change)."""
        try:
            roots = [to_path(f.uri) for f in self.workspace.folders.values()]
            if not roots and self.workspace.root_path:
                roots = [to_path(self.workspace.root_path)]
        except RuntimeError:  # before initialize
            roots = []
        if self._privacy is None or self._privacy.given != tuple(map(str, roots)):
            self._privacy = Privacy(roots, self.settings)
        return self._privacy

    def redact_request(self, body: dict[str, Any]) -> None:
        """The last step before a request body leaves: secrets out, and the body in the log
        only at trace level (after redaction)."""
        if self.settings.privacy.redact_secrets:
            count = redact_body(body)
            if count:
                log.info("redacted %d secret(s) from a model request", count)
        if log.isEnabledFor(TRACE):
            log.log(TRACE, "model request body: %s", json.dumps(body, default=str))

    def budget_exceeded(self, exc: BudgetExceeded) -> None:
        """Completions pause at the daily cap: one message and one status warning a day."""
        if not exc.daily:
            log.info("request refused: %s", exc.args[0])
            self.tell_once("budget-request", f"renga: {exc.args[0]}", types.MessageType.Warning)
            return
        key = f"budget-{dt.date.today().isoformat()}"
        if key not in self.told:
            self.tell_once(key, f"renga: {exc.args[0]}", types.MessageType.Warning)
            self.status("warning", str(exc.args[0]))

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

    def not_configured(self, problem: str) -> None:
        """Credentials missing: one message and an ``inactive`` status, once per session."""
        if "no-credentials" in self.told:
            return
        self.tell_once(
            "no-credentials",
            f"renga: completions are off until configured: {problem}.",
            types.MessageType.Warning,
        )
        self.status("inactive", problem)

    def status(self, state: str, message: str = "") -> None:
        self._status = (state, message)
        if self._spend_status is not None:  # this one carries the new spend too
            self._spend_status.cancel()
            self._spend_status = None
        self.protocol.notify(
            STATUS,
            {
                "state": state,
                "message": message,
                "spendTodayUsd": round(self.ledger.spend_today(), 4),
            },
        )

    def usage_recorded(self, feature: str, usage: Usage) -> None:
        """Each model call's usage goes to the ledger; the editor's spend display follows it
        (renga/status again, same state, debounced)."""
        self.ledger.record(feature, usage)
        if self._spend_status is not None:
            return
        try:
            loop = asyncio.get_running_loop()
        except RuntimeError:  # not on the server's loop (a thread): the next status tells it
            return

        def tell() -> None:
            self._spend_status = None
            self.status(*self._status)

        self._spend_status = loop.call_later(SPEND_STATUS_DELAY_S, tell)

    @property
    def model(self) -> ModelClient:
        if self._model is None:
            from renga.model.client import ModelClient

            self._model = ModelClient(
                self.settings,
                on_usage=self.usage_recorded,
                on_notice=lambda m: self.tell_once(m, m, types.MessageType.Warning),
                redactor=self.redact_request,
                gate=self.cost.check,
                on_breaker=self.breaker_changed,
            )
        return self._model

    @property
    def completer(self) -> CompletionService:
        if self._completer is None:
            from renga.completion.service import CompletionService

            self._completer = CompletionService(self)
            self._completer.on_error = self.completion_failed
        return self._completer

    def completion_failed(self, exc: Exception) -> None:
        from renga.model.errors import Failure, ModelError

        if isinstance(exc, BudgetExceeded):
            self.budget_exceeded(exc)
            return
        # Service failures (a bad key among them) reach the user through the circuit breaker
        # (breaker_changed), once per outage; only a missing configuration is told here.
        if isinstance(exc, ModelError) and exc.failure is Failure.NOT_CONFIGURED:
            self.tell_once(f"model-{exc.failure.value}", f"renga: {exc}", types.MessageType.Error)
            self.status("error", str(exc))

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
        self._privacy = None
        set_level(settings.log_level)
        paused = f"budget-{dt.date.today().isoformat()}"
        if paused in self.told and self.ledger.spend_today() < settings.cost.daily_cap_usd:
            self.told.discard(paused)  # a raised cap resumes completions, and says so
            self.status("ready", "daily cap raised: completions resumed")
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
        # Lua clients encode an empty table as [], so the section may be a list: no settings.
        if isinstance(raw, dict):
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
    # The SDK takes most of a second to import (many seconds on a busy machine): import it in a
    # thread so the event loop keeps answering the editor meanwhile. Before the index build,
    # not beside it: both want the GIL, and side by side each took the time of both (a warm
    # index load went from 0.7 s to 3.3 s, bench/index.py), while completions need the SDK first.
    # Completions asked meanwhile go out without it (renga.model.direct).
    await asyncio.to_thread(lambda: importlib.import_module("renga.model.client").load_sdk())
    await workspace_index.start(ls, excluded=ls.privacy.excluded)
    problem = ls.model.problem()
    if problem:
        ls.not_configured(problem)
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
    workspace_index.changed(ls, params.text_document.uri)
    ls.completer.changed(doc.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RengaServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.pop(params.text_document.uri, None)
    workspace_index.closed(ls, params.text_document.uri)
    ls.completer.closed(params.text_document.uri)
    forget_document(params.text_document.uri)


@server.feature(types.TEXT_DOCUMENT_DID_SAVE)
def did_save(ls: RengaServer, params: types.DidSaveTextDocumentParams) -> None:
    workspace_index.saved(ls, params.text_document.uri)


@server.feature(types.WORKSPACE_DID_CHANGE_WATCHED_FILES)
def did_change_watched_files(ls: RengaServer, params: types.DidChangeWatchedFilesParams) -> None:
    workspace_index.watched_files_changed(ls, params)


@server.feature(types.WORKSPACE_SYMBOL)
async def workspace_symbol(
    ls: RengaServer, params: types.WorkspaceSymbolParams
) -> list[types.SymbolInformation]:
    # Off the event loop: a search walks every indexed name.
    return await asyncio.to_thread(workspace_index.symbols, ls, params.query)


@server.feature(types.WORKSPACE_DID_CHANGE_WORKSPACE_FOLDERS)
async def workspace_folders_changed(
    ls: RengaServer, params: types.DidChangeWorkspaceFoldersParams
) -> None:
    # Exclusions follow the folders by themselves (RengaServer.privacy); the index is rebuilt.
    await workspace_index.restart(ls)


@server.feature(types.SHUTDOWN)
def shutdown(ls: RengaServer, params: Any) -> None:
    if ls.index is not None:
        ls.index.close(timeout=1)


# -- inline completion -------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(
    ls: RengaServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    from renga.completion.admission import admitted

    if not ls.settings.completion.enabled:
        return None
    doc = ls.documents.get(params.text_document.uri)
    if doc is None or not admitted(doc, ls.settings):
        return None
    if ls.privacy.excluded(doc.uri):
        log.debug("no completion: %s is excluded by the privacy settings", doc.uri)
        return None
    problem = ls.model.problem()
    if problem:
        # Also before `initialized` is done (it waits for the SDK to load; completions do not).
        ls.not_configured(problem)
        return None
    return await ls.completer.inline(params)


@server.feature("textDocument/didShowCompletion")
def did_show_completion(ls: RengaServer, params: Any) -> None:
    ls.completer.did_show(params)


@server.feature("textDocument/didPartiallyAcceptCompletion")
def did_partially_accept_completion(ls: RengaServer, params: Any) -> None:
    ls.completer.did_partially_accept(params)


@server.feature("renga/completionStats")
def completion_stats(ls: RengaServer, params: Any) -> dict[str, Any]:
    """Counters of the completion service (requests, served from memory, model calls, aborted
    streams, ...) and stage timings, for benchmarks and bug reports; ``{reset: true}`` clears
    the timings after reading them."""
    reset = getattr(params, "reset", None) or (isinstance(params, dict) and params.get("reset"))
    return ls.completer.report(reset=bool(reset))


# -- code actions and refactors (renga.actions) -------------------------------------------


@server.feature(
    types.TEXT_DOCUMENT_CODE_ACTION,
    types.CodeActionOptions(
        code_action_kinds=[
            types.CodeActionKind.QuickFix,
            types.CodeActionKind.Refactor,
            types.CodeActionKind.RefactorRewrite,
        ],
        resolve_provider=True,
    ),
)
def code_action(ls: RengaServer, params: types.CodeActionParams) -> list[types.CodeAction] | None:
    from renga.actions.lsp import code_actions

    try:
        return code_actions(ls, params) or None
    except Exception:  # a broken action list must not take the server down
        log.exception("listing code actions failed")
        return None


@server.feature(types.CODE_ACTION_RESOLVE)
async def code_action_resolve(ls: RengaServer, action: types.CodeAction) -> types.CodeAction:
    from renga.actions.lsp import resolve

    return await resolve(ls, action)


@server.command("renga.applyAction")
async def apply_action(ls: RengaServer, *args: Any) -> dict[str, Any]:
    from renga.actions.lsp import apply_action

    return await apply_action(ls, args)


@server.command("renga.refactor")
async def refactor(ls: RengaServer, *args: Any) -> dict[str, Any]:
    from renga.actions.lsp import refactor

    return await refactor(ls, args)


@server.command("renga.refactorWorkspace")
async def refactor_workspace(ls: RengaServer, *args: Any) -> dict[str, Any]:
    from renga.actions.multifile import refactor_workspace

    return await refactor_workspace(ls, args)


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
    ls.completer.accepted(args[0] if args else None)


@server.command(CMD_USAGE)
def usage(ls: RengaServer, *args: Any) -> dict[str, Any]:
    summary = ls.ledger.summary()
    summary["markdown"] = ls.ledger.markdown(summary)
    return summary


def serve(tcp: str | None = None) -> None:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    # pygls logs every message it sends and receives at INFO: document text and prompts would
    # land in the editor's log. Only its warnings are wanted.
    logging.getLogger("pygls").setLevel(logging.WARNING)
    logging.getLogger("httpx2").setLevel(logging.WARNING)
    set_level(server.settings.log_level)
    if tcp:
        host, _, port = tcp.rpartition(":")
        server.start_tcp(host or "127.0.0.1", int(port))
    else:
        server.start_io()
