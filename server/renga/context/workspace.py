"""The workspace index in the server: built after ``initialized`` with ``$/progress``, kept up to
date from saves, edits (debounced) and ``workspace/didChangeWatchedFiles``, and answering
``workspace/symbol``.

Every index operation runs on the index's worker thread; handlers only queue work, so none of
this ever delays a completion.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import gc
import logging
import sys
import uuid
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from lsprotocol import types
from pygls.uris import from_fs_path, to_fs_path

from renga.context.index import BuildStats, Progress, WorkspaceIndex
from renga.syntax.languages import registry

if TYPE_CHECKING:
    from renga.server import RengaServer

log = logging.getLogger(__name__)

# How long edits must pause before the open document is re-indexed from its text.
EDIT_DEBOUNCE_S = 0.5
BUILD_SWITCH_INTERVAL_S = 0.001
DEFAULT_SWITCH_INTERVAL_S = sys.getswitchinterval()
WATCHER_ID = "renga-index-watcher"

SYMBOL_KINDS = {
    "class": types.SymbolKind.Class,
    "struct": types.SymbolKind.Struct,
    "interface": types.SymbolKind.Interface,
    "enum": types.SymbolKind.Enum,
    "type": types.SymbolKind.Class,
    "impl": types.SymbolKind.Class,
    "function": types.SymbolKind.Function,
    "method": types.SymbolKind.Method,
    "module": types.SymbolKind.Module,
    "namespace": types.SymbolKind.Namespace,
    "constant": types.SymbolKind.Constant,
    "variable": types.SymbolKind.Variable,
    "field": types.SymbolKind.Field,
    "macro": types.SymbolKind.Function,
}


def workspace_roots(ls: RengaServer) -> list[str]:
    folders = [f.uri for f in ls.workspace.folders.values()]
    if not folders and ls.workspace.root_uri:
        folders = [ls.workspace.root_uri]
    roots = []
    for uri in folders:
        path = to_fs_path(uri)
        if path:
            roots.append(path)
    return roots


def path_of(uri: str) -> str | None:
    return to_fs_path(uri) if uri.startswith("file:") else None


async def start(ls: RengaServer, excluded: Callable[[str], bool] | None = None) -> None:
    """Create the index for the workspace folders and build it in the background."""
    roots = workspace_roots(ls)
    if not roots:
        return
    index = WorkspaceIndex(
        roots,
        excluded=excluded or (lambda _path: False),
        max_file_bytes=ls.settings.context.max_file_bytes,
    )
    ls.index = index
    progress = _BuildProgress(asyncio.get_running_loop(), ls)
    # While the build thread competes for the GIL, hand it over more often: the event loop then
    # waits ~1 ms, not ~5 ms, each time it wants it back (measured in bench/index.py).
    sys.setswitchinterval(BUILD_SWITCH_INTERVAL_S)
    # Queued at once: the build need not wait for the rest of `initialized` (or the client).
    build = index.background(index.build, progress.report, progress.cancelled)
    ls.run_task(_follow(ls, index, build, progress), "index-build")


async def restart(ls: RengaServer) -> None:
    """The workspace folders changed (pygls has already updated them): stop the old index and
    build one for the new set. Its cache is keyed by the set of folders, so a set seen before
    loads from its cache and a new one is read afresh, in the background as at startup."""
    old, ls.index = ls.index, None
    if old is not None:
        # close() waits for the build to stop between two files: off the event loop.
        await asyncio.to_thread(old.close, 5.0)
    await start(ls, excluded=ls.privacy.excluded)


class _BuildProgress:
    """Reports from the worker thread, forwarded to the client once its token exists."""

    def __init__(self, loop: asyncio.AbstractEventLoop, ls: RengaServer) -> None:
        self.loop = loop
        self.ls = ls
        self.token: str | None = None
        # pygls keeps a future per token and cancels it on window/workDoneProgress/cancel.
        self.cancel: concurrent.futures.Future[Any] | asyncio.Future[Any] | None = None

    def report(self, p: Progress) -> None:
        token = self.token
        if token is not None:
            percentage = int(100 * p.done / p.total) if p.total else 100
            self.loop.call_soon_threadsafe(
                self.ls.work_done_progress.report,
                token,
                types.WorkDoneProgressReport(message=p.message, percentage=percentage),
            )

    def cancelled(self) -> bool:
        return self.cancel is not None and self.cancel.cancelled()


async def _follow(
    ls: RengaServer,
    index: WorkspaceIndex,
    build: concurrent.futures.Future[BuildStats],
    progress: _BuildProgress,
) -> BuildStats:
    await _register_watcher(ls)
    window = ls.client_capabilities.window
    token: str | None = None
    if window is not None and window.work_done_progress:
        token = f"renga-index-{uuid.uuid4().hex[:8]}"
        try:
            await asyncio.wait_for(ls.work_done_progress.create_async(token), timeout=5)
            ls.work_done_progress.begin(
                token,
                types.WorkDoneProgressBegin(
                    title="renga: indexing", message="scanning", percentage=0, cancellable=True
                ),
            )
            progress.cancel = ls.work_done_progress.tokens.get(token)
            progress.token = token
        except asyncio.CancelledError:
            raise
        except Exception as exc:  # a client that refuses progress still gets an index
            log.info("index: no progress reporting: %s", exc)
            token = None
    try:
        stats = await asyncio.wrap_future(build)
        # The index is long-lived: spare every later full collection the scan of its
        # containers (a stall of tens of ms on this machine). Refcounting still frees them.
        gc.freeze()
        return stats
    finally:
        sys.setswitchinterval(DEFAULT_SWITCH_INTERVAL_S)
        if token is not None:
            s = index.stats
            ls.work_done_progress.end(
                token,
                types.WorkDoneProgressEnd(
                    message=f"{s.files} files ({s.parsed} read, {s.reused} from cache), "
                    f"{s.definitions} definitions in {s.seconds:.1f} s"
                ),
            )


async def _register_watcher(ls: RengaServer) -> None:
    workspace = ls.client_capabilities.workspace
    watched = workspace.did_change_watched_files if workspace else None
    if not (watched and watched.dynamic_registration) or ls.watching_files:
        return
    # Once per session: its glob is relative to every workspace folder, present and future.
    ls.watching_files = True
    extensions = sorted({e.lstrip(".") for s in registry().specs.values() for e in s.extensions})
    options = types.DidChangeWatchedFilesRegistrationOptions(
        watchers=[types.FileSystemWatcher(glob_pattern=f"**/*.{{{','.join(extensions)}}}")]
    )
    try:
        await asyncio.wait_for(
            ls.client_register_capability_async(
                types.RegistrationParams(
                    registrations=[
                        types.Registration(
                            id=WATCHER_ID,
                            method=types.WORKSPACE_DID_CHANGE_WATCHED_FILES,
                            register_options=options,
                        )
                    ]
                )
            ),
            timeout=5,
        )
    except asyncio.CancelledError:
        raise
    except Exception as exc:
        log.info("index: file watcher not registered: %s", exc)


def saved(ls: RengaServer, uri: str) -> None:
    path = path_of(uri)
    if ls.index is not None and path:
        ls.index.background(ls.index.update, path)


def closed(ls: RengaServer, uri: str) -> None:
    """A closed document's unsaved edits are gone: what counts again is the file on disk."""
    _cancel_pending(ls, uri)
    saved(ls, uri)


def changed(ls: RengaServer, uri: str) -> None:
    """Re-index an open document from its text once the edits pause."""
    if ls.index is None or not path_of(uri):
        return
    _cancel_pending(ls, uri)
    ls.index_pending[uri] = asyncio.get_running_loop().call_later(
        EDIT_DEBOUNCE_S, _reindex_text, ls, uri
    )


def _cancel_pending(ls: RengaServer, uri: str) -> None:
    handle = ls.index_pending.pop(uri, None)
    if handle is not None:
        handle.cancel()


def _reindex_text(ls: RengaServer, uri: str) -> None:
    ls.index_pending.pop(uri, None)
    doc = ls.documents.get(uri)
    path = path_of(uri)
    if ls.index is not None and doc is not None and path:
        ls.index.background(ls.index.update_text, path, doc.text)


def watched_files_changed(ls: RengaServer, params: types.DidChangeWatchedFilesParams) -> None:
    if ls.index is None:
        return
    for change in params.changes:
        path = path_of(change.uri)
        if not path or change.uri in ls.documents:
            # An open document is indexed from its text, which the editor knows better.
            continue
        if change.type == types.FileChangeType.Deleted:
            ls.index.background(ls.index.remove, path)
        else:
            ls.index.background(ls.index.update, path)


def symbols(ls: RengaServer, query: str) -> list[types.SymbolInformation]:
    if ls.index is None:
        return []
    found = []
    for d in ls.index.search(query, limit=200):
        position = types.Position(line=d.line, character=0)
        found.append(
            types.SymbolInformation(
                name=d.name,
                kind=SYMBOL_KINDS.get(d.kind, types.SymbolKind.Variable),
                location=types.Location(
                    uri=from_fs_path(d.path) or d.path,
                    range=types.Range(start=position, end=position),
                ),
            )
        )
    return found
