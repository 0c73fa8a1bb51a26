"""The language server: its state, and the one place where LSP methods meet renga's features.

Heavy modules (the anthropic SDK above all) are imported after ``initialize`` has been answered,
so an editor sees the server ready in a fraction of a second.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Coroutine, Generator
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.lsp.server import LanguageServer
from pygls.protocol import LanguageServerProtocol
from pygls.protocol.language_server import lsp_method

from renga import __version__
from renga.config import from_env, merge
from renga.context.types import ContextSources
from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry
from renga.syntax.positions import Encoding
from renga.usage import Ledger

if TYPE_CHECKING:
    from renga.completion.service import CompletionService
    from renga.model.client import ModelClient

log = logging.getLogger("renga")

CMD_ACCEPT = "renga.acceptCompletion"
CMD_USAGE = "renga.usage"
STATUS = "renga/status"


class RengaProtocol(LanguageServerProtocol):
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
        self._completer: CompletionService | None = None

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

        if isinstance(exc, ModelError) and exc.failure in (
            Failure.AUTH,
            Failure.PERMISSION,
            Failure.NOT_CONFIGURED,
        ):
            self.tell_once(f"model-{exc.failure.value}", f"renga: {exc}", types.MessageType.Error)
            self.status("error", str(exc))

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
    ls.completer.changed(doc.uri)


@server.feature(types.TEXT_DOCUMENT_DID_CLOSE)
def did_close(ls: RengaServer, params: types.DidCloseTextDocumentParams) -> None:
    ls.documents.pop(params.text_document.uri, None)
    ls.completer.closed(params.text_document.uri)


# -- inline completion -------------------------------------------------------------------


@server.feature(types.TEXT_DOCUMENT_INLINE_COMPLETION, types.InlineCompletionOptions())
async def inline_completion(
    ls: RengaServer, params: types.InlineCompletionParams
) -> types.InlineCompletionList | None:
    if not ls.settings.completion.enabled:
        return None
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return None
    problem = ls.model.problem()
    if problem:
        ls.tell_once(
            "no-credentials",
            f"renga: completions are off until configured: {problem}.",
            types.MessageType.Warning,
        )
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
