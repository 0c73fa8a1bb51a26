"""The workspace index in a live server: built from files on disk after ``initialized`` with
``$/progress``, answering ``workspace/symbol``, kept up to date from the file watcher, edits and
saves, and reused from its cache on a restart."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from lsp_support import server_env, start_session

SHAPES = '''"""Shapes."""


class Circle:
    """A circle around the origin."""

    def area(self) -> float:
        return 3.14 * self.r**2
'''

STORE = """package store

// Store keeps items by key.
type Store struct {
	items map[string]string
}
"""

CART = """// A cart of items.
export class Cart {
  total() {
    return 0;
  }
}
"""


def make_workspace(root: Path) -> None:
    files = {
        "pkg/shapes.py": SHAPES,
        "lib/store.go": STORE,
        "web/cart.js": CART,
        ".gitignore": "build/\n",
        "build/generated.py": "def generated_helper():\n    pass\n",
        "node_modules/dep/index.js": "function vendoredThing() {}\n",
    }
    for rel, text in files.items():
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


async def eventually(check: Callable[[], Awaitable[Any]], within: float = 20) -> Any:
    deadline = time.monotonic() + within
    while True:
        result = await check()
        if result or time.monotonic() > deadline:
            return result
        await asyncio.sleep(0.1)


async def symbols(client: LanguageClient, query: str) -> list[types.SymbolInformation]:
    result = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query=query))
    return [s for s in result or [] if isinstance(s, types.SymbolInformation)]


async def named(client: LanguageClient, name: str) -> list[types.SymbolInformation]:
    return [s for s in await symbols(client, name) if s.name == name]


async def build_end(client: LanguageClient) -> types.WorkDoneProgressEnd:
    async def ended() -> types.WorkDoneProgressEnd | None:
        for reports in client.progress_reports.values():
            if reports and isinstance(reports[-1], types.WorkDoneProgressEnd):
                return reports[-1]
        return None

    end = await eventually(ended, within=60)
    assert end is not None, f"no end of indexing progress in {client.progress_reports}"
    return end


@pytest.mark.parametrize("profile", ["visual_studio_code", "neovim"])
async def test_index_built_with_progress_found_by_workspace_symbol_and_kept_fresh(
    tmp_path: Path, workspace: Path, profile: str
) -> None:
    make_workspace(workspace)
    env = server_env(tmp_path)
    client = await start_session(env, profile, workspace)
    try:
        end = await build_end(client)
        (token,) = [t for t, r in client.progress_reports.items() if r]
        reports = client.progress_reports[token]
        assert isinstance(reports[0], types.WorkDoneProgressBegin)
        assert reports[0].title == "renga: indexing"
        assert end.message is not None and end.message.startswith("3 files (3 read, 0 from cache)")

        # A definition from a file that was never opened.
        (circle,) = await named(client, "Circle")
        assert circle.kind == types.SymbolKind.Class
        assert circle.location.uri == (workspace / "pkg" / "shapes.py").as_uri()
        assert circle.location.range.start.line == 3
        (store,) = await named(client, "Store")
        assert store.location.uri == (workspace / "lib" / "store.go").as_uri()
        assert [s.name for s in await symbols(client, "cart")] == ["Cart"]
        # Ignored by .gitignore, and vendored: not indexed.
        assert await named(client, "generated_helper") == []
        assert await named(client, "vendoredThing") == []

        registered = [r.method for r in client.registrations]  # type: ignore[attr-defined]
        if profile == "visual_studio_code":
            assert registered == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
        else:  # neovim does not offer dynamic registration of the watcher
            assert registered == []

        # Edited on disk by another program: the watcher tells the server.
        store_path = workspace / "lib" / "store.go"
        store_path.write_text(STORE + "\nfunc Fresh() int {\n\treturn 1\n}\n", encoding="utf-8")
        created = workspace / "lib" / "extra.go"
        created.write_text("package store\n\nfunc Extra() {}\n", encoding="utf-8")
        (workspace / "web" / "cart.js").unlink()
        client.workspace_did_change_watched_files(
            types.DidChangeWatchedFilesParams(
                changes=[
                    types.FileEvent(uri=store_path.as_uri(), type=types.FileChangeType.Changed),
                    types.FileEvent(uri=created.as_uri(), type=types.FileChangeType.Created),
                    types.FileEvent(
                        uri=(workspace / "web" / "cart.js").as_uri(),
                        type=types.FileChangeType.Deleted,
                    ),
                ]
            )
        )
        assert await eventually(lambda: named(client, "Fresh"))
        assert await eventually(lambda: named(client, "Extra"))
        assert await named(client, "Cart") == []
    finally:
        await client.shutdown_session()


async def test_open_document_edits_and_saves_reach_the_index(
    tmp_path: Path, workspace: Path
) -> None:
    make_workspace(workspace)
    client = await start_session(server_env(tmp_path), "visual_studio_code", workspace)
    try:
        await build_end(client)
        path = workspace / "pkg" / "shapes.py"
        uri = path.as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=SHAPES
                )
            )
        )
        # Typed, not saved: the index follows the open document's text once typing pauses.
        end = types.Position(line=8, character=0)
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=end, end=end),
                        text="\n\ndef unsaved_helper() -> None:\n    pass\n",
                    )
                ],
            )
        )
        assert await eventually(lambda: named(client, "unsaved_helper"))
        assert await named(client, "Circle")

        # Closed without saving: the file on disk counts again.
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )

        async def helper_gone() -> bool:
            return not await named(client, "unsaved_helper")

        assert await eventually(helper_gone)

        # Saved by the editor: read from disk.
        path.write_text("def saved_helper() -> None:\n    pass\n", encoding="utf-8")
        client.text_document_did_save(
            types.DidSaveTextDocumentParams(text_document=types.TextDocumentIdentifier(uri=uri))
        )
        assert await eventually(lambda: named(client, "saved_helper"))
        assert await named(client, "Circle") == []
    finally:
        await client.shutdown_session()


async def test_a_restart_reads_only_the_files_that_changed(tmp_path: Path, workspace: Path) -> None:
    make_workspace(workspace)
    env = server_env(tmp_path)
    first = await start_session(env, "visual_studio_code", workspace)
    try:
        end = await build_end(first)
        assert end.message is not None and end.message.startswith("3 files (3 read, 0 from")
    finally:
        await first.shutdown_session()

    (workspace / "lib" / "store.go").write_text(STORE + "\nfunc Later() {}\n", encoding="utf-8")
    second = await start_session(env, "visual_studio_code", workspace)
    try:
        end = await build_end(second)
        assert end.message is not None and end.message.startswith("3 files (1 read, 2 from cache)")
        assert await named(second, "Later")
        assert await named(second, "Circle")
    finally:
        await second.shutdown_session()


async def test_added_and_removed_workspace_folders_are_indexed_and_forgotten(
    tmp_path: Path, workspace: Path
) -> None:
    make_workspace(workspace)
    other = tmp_path / "other"
    (other / "src").mkdir(parents=True)
    (other / "src" / "ledger.py").write_text(
        "def settle_accounts(books):\n    return sum(books)\n", encoding="utf-8"
    )
    client = await start_session(server_env(tmp_path), "visual_studio_code", workspace)
    try:
        await build_end(client)
        assert await named(client, "settle_accounts") == []
        added = types.WorkspaceFolder(uri=other.as_uri(), name="other")
        client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(added=[added], removed=[])
            )
        )
        (settle,) = await eventually(lambda: named(client, "settle_accounts"))
        assert settle.location.uri == (other / "src" / "ledger.py").as_uri()
        assert await named(client, "Circle")  # the first folder is still indexed

        first = types.WorkspaceFolder(uri=workspace.as_uri(), name=workspace.name)
        client.workspace_did_change_workspace_folders(
            types.DidChangeWorkspaceFoldersParams(
                event=types.WorkspaceFoldersChangeEvent(added=[], removed=[first])
            )
        )

        async def circle_gone() -> bool:
            return await named(client, "Circle") == [] and bool(
                await named(client, "settle_accounts")
            )

        assert await eventually(circle_gone)
        # The watcher covers every folder with one glob: registered once, not per rebuild.
        registered = [r.method for r in client.registrations]  # type: ignore[attr-defined]
        assert registered == [types.WORKSPACE_DID_CHANGE_WATCHED_FILES]
    finally:
        await client.shutdown_session()
