"""Code actions, refactors and multi-file refactors end to end: a real ``renga serve``, a pytest-lsp
client that applies the server's edits the way an editor does (refusing stale versions), and the
model's tool calls scripted on the Anthropic-compatible test server."""

from __future__ import annotations

import asyncio
import json
import re
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

import attrs
import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply
from lsp_support import SERVER_COMMAND, server_env

SOURCE = """import math


def area(radius):
    return math.pi * radius * radius


def scale(values, factor):
    out = []
    for v in values:
        out.append(v * factor)
    return out
"""


def edits_call(*edits: tuple[str, str, str], summary: str = "edit") -> dict[str, Any]:
    return {
        "name": "propose_edits",
        "input": {
            "summary": summary,
            "edits": [{"path": p, "old_text": o, "new_text": n} for p, o, n in edits],
        },
    }


def plan_call(summary: str, steps: list[tuple[str, str]]) -> dict[str, Any]:
    return {
        "name": "plan_refactor",
        "input": {"summary": summary, "steps": [{"path": p, "task": t} for p, t in steps]},
    }


class Editor:
    """The editor side: open buffers with versions, and an applyEdit handler that applies an edit
    atomically, or refuses all of it when a versioned document does not match the buffer."""

    def __init__(self, client: LanguageClient, workspace: Path) -> None:
        self.client = client
        self.workspace = workspace
        self.buffers: dict[str, tuple[str, int]] = {}
        self.received: list[types.ApplyWorkspaceEditParams] = []
        self.answer_requests: list[types.ShowMessageRequestParams] = []
        self.choice: str | None = "Run"

        @client.feature(types.WORKSPACE_APPLY_EDIT)
        def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
            self.received.append(params)
            return self.apply(params.edit)

        @client.feature(types.WINDOW_SHOW_MESSAGE_REQUEST)
        def on_ask(params: types.ShowMessageRequestParams) -> types.MessageActionItem | None:
            self.answer_requests.append(params)
            return types.MessageActionItem(self.choice) if self.choice else None

    def open(self, name: str, text: str) -> str:
        path = self.workspace / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        uri = path.as_uri()
        self.buffers[uri] = (text, 1)
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id="python", version=1, text=text
                )
            )
        )
        return uri

    def type_text(self, uri: str, text: str) -> None:
        """The user changes the buffer (a whole-text change, as a new version)."""
        version = self.buffers[uri][1] + 1
        self.buffers[uri] = (text, version)
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[types.TextDocumentContentChangeWholeDocument(text=text)],
            )
        )

    def text(self, name: str) -> str:
        """What the user sees: the buffer when the file is open, else the file on disk."""
        path = self.workspace / name
        if path.as_uri() in self.buffers:
            return self.buffers[path.as_uri()][0]
        return path.read_text("utf-8")

    def _current(self, uri: str) -> str:
        if uri in self.buffers:
            return self.buffers[uri][0]
        path = Path(uri.removeprefix("file://"))
        return path.read_text("utf-8") if path.exists() else ""

    @staticmethod
    def _apply_text(text: str, edits: list[types.TextEdit]) -> str:
        lines = text.split("\n")
        starts = [0]
        for line in lines:
            starts.append(starts[-1] + len(line) + 1)

        def offset(p: types.Position) -> int:
            return starts[p.line] + p.character if p.line < len(lines) else len(text)

        spans = sorted((offset(e.range.start), offset(e.range.end), e.new_text) for e in edits)
        for start, end, new in reversed(spans):
            text = text[:start] + new + text[end:]
        return text

    def apply(self, edit: types.WorkspaceEdit) -> types.ApplyWorkspaceEditResult:
        per_file: dict[str, list[types.TextEdit]] = {}
        for change in edit.document_changes or []:
            if isinstance(change, types.TextDocumentEdit):
                uri, version = change.text_document.uri, change.text_document.version
                if uri in self.buffers and version is not None and version != self.buffers[uri][1]:
                    return types.ApplyWorkspaceEditResult(
                        applied=False, failure_reason=f"{uri} is at another version"
                    )
                per_file.setdefault(uri, []).extend(change.edits)  # type: ignore[arg-type]
            elif isinstance(change, types.CreateFile):
                per_file.setdefault(change.uri, [])
        for uri, edits in (edit.changes or {}).items():
            per_file.setdefault(uri, []).extend(edits)
        for uri, edits in per_file.items():
            new = self._apply_text(self._current(uri), edits)
            if uri in self.buffers:
                self.type_text(uri, new)
            else:
                path = Path(uri.removeprefix("file://"))
                path.parent.mkdir(parents=True, exist_ok=True)
                path.write_text(new, encoding="utf-8")
        return types.ApplyWorkspaceEditResult(applied=True)


def read_code_actions_correctly(client: LanguageClient) -> None:
    """lsprotocol 2025 reads every code action that carries a ``command`` as a bare ``Command``
    (its hook only asks whether the key exists); editors tell them apart by the key's type."""
    converter = client.protocol._converter

    def hook(obj: Any, _: type) -> types.Command | types.CodeAction:
        if isinstance(obj.get("command"), str):
            return converter.structure(obj, types.Command)
        return converter.structure(obj, types.CodeAction)

    converter.register_structure_hook(types.Command | types.CodeAction, hook)  # type: ignore[arg-type]


def without_resolve(profile: str) -> types.ClientCapabilities:
    """A client that cannot resolve an action's edit: the server must use a command."""
    caps = client_capabilities(profile)
    action = caps.text_document.code_action  # type: ignore[union-attr]
    caps.text_document.code_action = attrs.evolve(action, resolve_support=None)  # type: ignore[union-attr]
    return caps


async def start(
    server: AnthropicTestServer,
    workspace: Path,
    tmp_path: Path,
    capabilities: types.ClientCapabilities,
    options: dict[str, Any] | None = None,
) -> tuple[LanguageClient, Editor]:
    env = server_env(tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=server.base_url)
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    assert isinstance(client, LanguageClient)
    editor = Editor(client, workspace)

    @client.feature("renga/status")
    def on_status(params: Any) -> None:
        pass

    client.init_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options=options,
        )
    )
    return client, editor


Session = tuple[LanguageClient, Editor]


@pytest_asyncio.fixture
async def vscode(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> AsyncIterator[Session]:
    client, editor = await start(
        anthropic_server, workspace, tmp_path, client_capabilities("visual_studio_code")
    )
    yield client, editor
    await client.shutdown_session()


@pytest_asyncio.fixture
async def any_client(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path, profile: str
) -> AsyncIterator[Session]:
    client, editor = await start(
        anthropic_server, workspace, tmp_path, client_capabilities(profile)
    )
    yield client, editor
    await client.shutdown_session()


def action_params(
    uri: str,
    line: int,
    character: int,
    end: tuple[int, int] | None = None,
    diagnostics: list[types.Diagnostic] | None = None,
) -> types.CodeActionParams:
    start = types.Position(line=line, character=character)
    stop = types.Position(line=end[0], character=end[1]) if end else start
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        range=types.Range(start=start, end=stop),
        context=types.CodeActionContext(diagnostics=diagnostics or []),
    )


def by_title(actions: list[Any], fragment: str) -> types.CodeAction:
    found = [a for a in actions if fragment in a.title]
    assert found, f"no action with {fragment!r} in {[a.title for a in actions]}"
    return found[0]


def prompt_of(request: RecordedRequest) -> str:
    """The user's first turn: the prompt as the model reads it."""
    return str(request.body["messages"][0]["content"])


async def command(client: LanguageClient, name: str, argument: dict[str, Any]) -> dict[str, Any]:
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[argument])
    )
    return answer if isinstance(answer, dict) else answer._asdict()  # type: ignore[no-any-return]


async def wait_until(check: Callable[[], bool], seconds: float = 30.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        assert time.monotonic() < deadline, "timed out"
        await asyncio.sleep(0.02)


async def wait_messages(server: AnthropicTestServer, n: int) -> list[RecordedRequest]:
    """The first ``n`` model requests (the warm-up's token count is not one)."""
    await wait_until(lambda: len(server.messages_requests()) >= n)
    return server.messages_requests()


# -- listing -----------------------------------------------------------------------------


async def test_the_list_answers_from_the_tree_without_a_model_call(
    any_client: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = any_client
    uri = editor.open("geometry.py", SOURCE)
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(4, 11), end=types.Position(4, 15)),
        message="Name 'math' may be shadowed",
        source="lint",
    )
    actions = await client.text_document_code_action_async(
        action_params(uri, 4, 8, diagnostics=[diagnostic])
    )
    assert actions is not None
    titles = {a.title: a.kind for a in actions}
    assert titles == {
        "renga: Fix “Name 'math' may be shadowed”": "quickfix",
        "renga: Add a docstring to area": "refactor.rewrite.renga.docstring",
        "renga: Add type annotations to area": "refactor.rewrite.renga.annotate",
        "renga: Generate a unit test for area": "refactor.renga.test",
        "renga: Simplify area": "refactor.rewrite.renga.simplify",
        "renga: Convert area to async": "refactor.rewrite.renga.async",
    }
    fix = by_title(actions, "Fix")
    assert list(fix.diagnostics or []) == [diagnostic]
    # Both profiles resolve edits lazily: no edit and no command in the list.
    assert all(a.edit is None and a.command is None for a in actions)
    selection = await client.text_document_code_action_async(action_params(uri, 8, 0, (11, 0)))
    assert {a.title for a in selection or []} >= {
        "renga: Simplify the selection",
        "renga: Extract a function from the selection",
    }
    only = await client.text_document_code_action_async(
        attrs.evolve(
            action_params(uri, 4, 8),
            context=types.CodeActionContext(diagnostics=[], only=[types.CodeActionKind.QuickFix]),
        )
    )
    assert not only
    assert anthropic_server.messages_requests() == []


# -- resolve and command paths -----------------------------------------------------------


async def test_resolve_docstring_then_the_editor_applies_it(
    any_client: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = any_client
    uri = editor.open("geometry.py", SOURCE)
    actions = await client.text_document_code_action_async(action_params(uri, 3, 6))
    picked = by_title(actions or [], "docstring")
    anthropic_server.enqueue(
        Reply(
            text="",
            tool_calls=[
                edits_call(
                    (
                        "geometry.py",
                        "def area(radius):\n",
                        'def area(radius):\n    """The area of a circle of this radius."""\n',
                    )
                )
            ],
        )
    )
    resolved = await client.code_action_resolve_async(picked)
    assert resolved.edit is not None
    (request,) = anthropic_server.messages_requests()
    assert request.body["model"] == "claude-haiku-4-5"
    assert request.body["tool_choice"] == {"type": "tool", "name": "propose_edits"}
    assert "def area(radius)" in prompt_of(request)
    caps = client.capabilities.workspace.workspace_edit  # type: ignore[union-attr]
    if caps.document_changes:
        (change,) = resolved.edit.document_changes  # type: ignore[misc]
        assert change.text_document.version == 1
        if caps.change_annotation_support:
            note = resolved.edit.change_annotations["renga"]  # type: ignore[index]
            assert note.needs_confirmation is True
    assert editor.apply(resolved.edit).applied
    assert editor.text("geometry.py") == SOURCE.replace(
        "def area(radius):\n", 'def area(radius):\n    """The area of a circle of this radius."""\n'
    )


async def test_without_resolve_support_a_command_computes_and_applies_the_edit(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    client, editor = await start(
        anthropic_server, workspace, tmp_path, without_resolve("visual_studio_code")
    )
    read_code_actions_correctly(client)
    try:
        uri = editor.open("geometry.py", SOURCE)
        actions = await client.text_document_code_action_async(action_params(uri, 8, 6))
        picked = by_title(actions or [], "type annotations")
        assert picked.command is not None and picked.command.command == "renga.applyAction"
        anthropic_server.enqueue(
            Reply(
                text="",
                tool_calls=[
                    edits_call(
                        (
                            "geometry.py",
                            "def scale(values, factor):",
                            "def scale(values: list[float], factor: float) -> list[float]:",
                        )
                    )
                ],
            )
        )
        answer = await command(client, picked.command.command, picked.command.arguments[0])  # type: ignore[index]
        assert answer["applied"] is True and answer["files"] == 1
        assert "geometry.py" in answer["message"]
        assert "def scale(values: list[float], factor: float) -> list[float]:" in editor.text(
            "geometry.py"
        )
        assert len(editor.received) == 1
    finally:
        await client.shutdown_session()


async def test_a_quick_fix_for_the_diagnostic_it_names(
    vscode: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = vscode
    text = SOURCE.replace("import math\n", "")
    uri = editor.open("geometry.py", text)
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(2, 11), end=types.Position(2, 15)),
        message='"math" is not defined',
        source="Pylance",
    )
    actions = await client.text_document_code_action_async(
        action_params(uri, 2, 12, diagnostics=[diagnostic])
    )
    fix = by_title(actions or [], "Fix")
    anthropic_server.enqueue(
        Reply(
            text="",
            tool_calls=[edits_call(("geometry.py", "\n\ndef area", "import math\n\n\ndef area"))],
        )
    )
    resolved = await client.code_action_resolve_async(fix)
    assert '"math" is not defined' in prompt_of(anthropic_server.messages_requests()[0])
    assert editor.apply(resolved.edit).applied  # type: ignore[arg-type]
    assert editor.text("geometry.py").startswith("import math\n\n\ndef area")


async def test_a_unit_test_goes_into_the_projects_mirrored_test_folder(
    any_client: Session, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    client, editor = any_client
    (workspace / "tests" / "shapes").mkdir(parents=True)
    (workspace / "tests" / "shapes" / "test_square.py").write_text(
        "import unittest\n\n\nclass TestSquare(unittest.TestCase):\n    pass\n"
    )
    uri = editor.open("src/shapes/geometry.py", SOURCE)
    actions = await client.text_document_code_action_async(action_params(uri, 4, 4))
    picked = by_title(actions or [], "unit test")
    test_body = (
        "import unittest\n\nfrom shapes.geometry import area\n\n\n"
        "class TestArea(unittest.TestCase):\n    def test_unit(self):\n"
        "        self.assertAlmostEqual(area(1), 3.14159, places=4)\n"
    )
    anthropic_server.enqueue(
        Reply(text="", tool_calls=[edits_call(("tests/shapes/test_geometry.py", "", test_body))])
    )
    resolved = await client.code_action_resolve_async(picked)
    prompt = prompt_of(anthropic_server.messages_requests()[0])
    assert "tests/shapes/test_geometry.py" in prompt
    assert "class TestSquare" in prompt  # the project's style, shown as an example
    assert editor.apply(resolved.edit).applied  # type: ignore[arg-type]
    assert (workspace / "tests/shapes/test_geometry.py").read_text() == test_body
    assert editor.text("src/shapes/geometry.py") == SOURCE


# -- refactors ---------------------------------------------------------------------------


async def test_free_text_refactor_of_the_enclosing_function_with_the_smart_model(
    vscode: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = vscode
    uri = editor.open("geometry.py", SOURCE)
    loop = "    out = []\n    for v in values:\n        out.append(v * factor)\n    return out\n"
    anthropic_server.enqueue(
        Reply(
            text="",
            tool_calls=[
                edits_call(("geometry.py", loop, "    return [v * factor for v in values]\n"))
            ],
        )
    )
    answer = await command(
        client,
        "renga.refactor",
        {
            "uri": uri,
            "range": {"start": {"line": 9, "character": 4}, "end": {"line": 9, "character": 4}},
            "instruction": "use a list comprehension",
        },
    )
    assert answer == {
        "applied": True,
        "files": 1,
        "message": answer["message"],
    }
    (request,) = anthropic_server.messages_requests()
    assert request.body["model"] == "claude-sonnet-5-5"
    assert "use a list comprehension" in prompt_of(request)
    assert '<target path="geometry.py" line="8">' in prompt_of(request)
    assert editor.text("geometry.py").endswith(
        "def scale(values, factor):\n    return [v * factor for v in values]\n"
    )
    usage = await command(client, "renga.usage", {})
    assert usage["session"]["refactor"]["calls"] == 1


async def test_a_document_changed_while_the_model_worked_is_not_overwritten(
    vscode: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = vscode
    uri = editor.open("geometry.py", SOURCE)
    anthropic_server.enqueue(
        Reply(
            text="",
            ttft=1.0,
            tool_calls=[edits_call(("geometry.py", "def area(radius):", "def area(r):"))],
        )
    )
    running = asyncio.ensure_future(
        command(client, "renga.refactor", {"uri": uri, "range": None, "instruction": "rename"})
    )
    await wait_messages(anthropic_server, 1)
    typed = SOURCE + "\n# the user keeps typing\n"
    editor.type_text(uri, typed)
    answer = await running
    assert answer["applied"] is False
    assert "changed" in answer["message"]
    assert editor.received == []
    assert editor.text("geometry.py") == typed
    await wait_until(lambda: any("changed" in m.message for m in client.messages))


async def test_the_editor_refuses_an_edit_for_a_version_it_no_longer_has(
    vscode: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = vscode
    uri = editor.open("geometry.py", SOURCE)
    actions = await client.text_document_code_action_async(action_params(uri, 3, 6))
    anthropic_server.enqueue(
        Reply(
            text="", tool_calls=[edits_call(("geometry.py", "def area(radius):", "def area(r):"))]
        )
    )
    resolved = await client.code_action_resolve_async(by_title(actions or [], "docstring"))
    editor.type_text(uri, SOURCE + "# typed after the edit was made\n")
    assert editor.apply(resolved.edit).applied is False  # type: ignore[arg-type]
    assert editor.text("geometry.py") == SOURCE + "# typed after the edit was made\n"


async def test_an_edit_outside_the_workspace_is_retried_once_then_reported(
    vscode: Session, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    client, editor = vscode
    uri = editor.open("geometry.py", SOURCE)
    escape = edits_call(("../outside.py", "", "print('pwned')\n"))
    anthropic_server.enqueue(
        Reply(text="", tool_calls=[escape]), Reply(text="", tool_calls=[escape])
    )
    answer = await command(
        client, "renga.refactor", {"uri": uri, "range": None, "instruction": "log things"}
    )
    assert answer["applied"] is False
    assert "outside the workspace" in answer["message"]
    assert not (workspace.parent / "outside.py").exists()
    _, second = anthropic_server.messages_requests()
    retry = second.body["messages"]
    assert retry[1]["content"][0]["type"] == "tool_use"
    assert retry[2]["content"][0]["type"] == "tool_result"
    assert retry[2]["content"][0]["is_error"] is True
    assert "outside the workspace" in retry[2]["content"][0]["content"]
    assert editor.received == []
    await wait_until(
        lambda: any(
            "outside the workspace" in m.message and m.type == types.MessageType.Error
            for m in client.messages
        )
    )


async def test_a_malformed_answer_is_retried_with_the_error_and_the_fix_applied(
    vscode: Session, anthropic_server: AnthropicTestServer
) -> None:
    client, editor = vscode
    uri = editor.open("geometry.py", SOURCE)
    anthropic_server.enqueue(
        # Not the tool's shape, then a text that is not in the file, then a syntax error: each
        # is a failed answer; the first two exhaust one refactor, the third is fixed on retry.
        Reply(text="", tool_calls=[{"name": "propose_edits", "input": {"edits": "all of it"}}]),
        Reply(text="", tool_calls=[edits_call(("geometry.py", "def volume(", "def vol("))]),
        Reply(text="", tool_calls=[edits_call(("geometry.py", "return out\n", "return out)\n"))]),
        Reply(
            text="", tool_calls=[edits_call(("geometry.py", "return out\n", "return list(out)\n"))]
        ),
    )
    first = await command(client, "renga.refactor", {"uri": uri, "range": None, "instruction": "x"})
    assert first["applied"] is False
    assert "does not occur" in first["message"]
    assert "`edits` must be a non-empty list" in json.dumps(
        anthropic_server.messages_requests()[1].body["messages"]
    )
    second = await command(
        client, "renga.refactor", {"uri": uri, "range": None, "instruction": "y"}
    )
    assert second["applied"] is True
    assert "does not parse" in json.dumps(anthropic_server.messages_requests()[3].body["messages"])
    assert editor.text("geometry.py").endswith("    return list(out)\n")


async def test_a_refactor_above_the_cost_limit_asks_first(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    client, editor = await start(
        anthropic_server,
        workspace,
        tmp_path,
        client_capabilities("visual_studio_code"),
        {"renga": {"cost": {"confirmAboveUsd": 0}}},
    )
    try:
        uri = editor.open("geometry.py", SOURCE)
        editor.choice = "Cancel"
        args = {"uri": uri, "range": None, "instruction": "rename area to disk_area"}
        answer = await command(client, "renga.refactor", args)
        assert answer["applied"] is False and "not confirmed" in answer["message"]
        (asked,) = editor.answer_requests
        assert re.search(r"estimated at \$\d+\.\d\d", asked.message)
        assert [a.title for a in asked.actions or []] == ["Run", "Cancel"]
        assert anthropic_server.messages_requests() == []
        editor.choice = "Run"
        anthropic_server.enqueue(
            Reply(text="", tool_calls=[edits_call(("geometry.py", "def area(", "def disk_area("))])
        )
        answer = await command(client, "renga.refactor", args)
        assert answer["applied"] is True
        assert "def disk_area(radius):" in editor.text("geometry.py")
    finally:
        await client.shutdown_session()


# -- multi-file refactors ----------------------------------------------------------------


def rename_responder(
    old: str, new: str, files: list[str], worker_ttft: float = 0.0
) -> Callable[[RecordedRequest], Reply]:
    """Plans a rename across ``files``; each worker renames in the file its prompt shows."""

    def respond(request: RecordedRequest) -> Reply:
        tool = request.body["tools"][0]["name"]
        if tool == "plan_refactor":
            return Reply(
                text="",
                tool_calls=[
                    plan_call(f"rename {old}", [(f, f"rename {old} to {new}") for f in files])
                ],
            )
        prompt = request.body["messages"][0]["content"]
        path = re.search(r'<file path="([^"]+)"', prompt).group(1)  # type: ignore[union-attr]
        body = prompt.split(">\n", 1)[1].split("\n</file>", 1)[0]
        edits = []
        for line in body.splitlines(keepends=True):
            if old in line:
                edits.append((path, line, line.replace(old, new)))
        return Reply(text="", ttft=worker_ttft, tool_calls=[edits_call(*edits)])

    return respond


async def test_a_workspace_refactor_is_one_atomic_edit_with_progress(
    vscode: Session, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    client, editor = vscode
    (workspace / "pkg").mkdir()
    (workspace / "pkg" / "shapes.py").write_text("def area(r):\n    return 3.14 * r * r\n")
    (workspace / "pkg" / "report.py").write_text(
        "from pkg.shapes import area\n\n\ndef report(r):\n    return f'{area(r):.2f}'\n"
    )
    editor.open("main.py", "from pkg.shapes import area\n\nprint(area(2))\n")
    files = ["pkg/shapes.py", "pkg/report.py", "main.py"]
    anthropic_server.responder = rename_responder("area", "disk_area", files)
    answer = await command(client, "renga.refactorWorkspace", {"instruction": "rename area"})
    assert answer["applied"] is True, answer
    assert answer["files"] == 3
    (applied,) = editor.received
    changed = sorted(c.text_document.uri for c in applied.edit.document_changes)  # type: ignore[union-attr]
    assert changed == sorted((workspace / f).as_uri() for f in files)
    assert applied.edit.change_annotations["renga"].needs_confirmation  # type: ignore[index]
    assert editor.text("pkg/shapes.py") == "def disk_area(r):\n    return 3.14 * r * r\n"
    assert "from pkg.shapes import disk_area" in editor.text("pkg/report.py")
    assert editor.text("main.py") == "from pkg.shapes import disk_area\n\nprint(disk_area(2))\n"
    plan, *workers = anthropic_server.messages_requests()
    assert plan.body["model"] == "claude-sonnet-5-5"
    assert "def area(r)" in prompt_of(plan) or "function area" in prompt_of(plan)
    assert {w.body["model"] for w in workers} == {"claude-haiku-4-5"}
    # The workspace index reports its own build on another token: take the refactor's.
    (reports,) = [
        rs
        for rs in client.progress_reports.values()
        if any((getattr(r, "message", None) or "").startswith("plan:") for r in rs)
    ]
    messages = [getattr(r, "message", None) or "" for r in reports]
    assert reports[0].kind == "begin" and reports[-1].kind == "end"
    assert any(m.startswith("plan: rename area") for m in messages)
    assert sum(bool(re.match(r"\d/3 .*: done", m)) for m in messages) == 3
    usage = await command(client, "renga.usage", {})
    assert usage["session"]["refactor.plan"]["calls"] == 1
    assert usage["session"]["refactor.step"]["calls"] == 3


async def test_a_failed_step_leaves_every_file_as_it_was(
    vscode: Session, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    client, editor = vscode
    (workspace / "a.py").write_text("def area(r):\n    return r\n")
    (workspace / "b.py").write_text("x = 1\n")  # nothing to rename: the worker's edit is empty
    anthropic_server.responder = rename_responder("area", "disk_area", ["a.py", "b.py"])
    answer = await command(client, "renga.refactorWorkspace", {"instruction": "rename area"})
    assert answer["applied"] is False
    assert "b.py" in answer["message"]
    assert editor.received == []
    assert (workspace / "a.py").read_text() == "def area(r):\n    return r\n"


@pytest.mark.parametrize("how", ["progress", "request"])
async def test_cancelling_a_workspace_refactor_stops_the_workers(
    vscode: Session, anthropic_server: AnthropicTestServer, workspace: Path, how: str
) -> None:
    client, editor = vscode
    files = [f"m{i}.py" for i in range(4)]
    for name in files:
        (workspace / name).write_text("def area(r):\n    return r\n")
    anthropic_server.responder = rename_responder("area", "disk_area", files, worker_ttft=30)
    running = asyncio.ensure_future(
        client.protocol.send_request_async(
            types.WORKSPACE_EXECUTE_COMMAND,
            types.ExecuteCommandParams(
                command="renga.refactorWorkspace", arguments=[{"instruction": "rename area"}]
            ),
            msg_id="refactor-1",
        )
    )
    requests = await wait_messages(anthropic_server, 5)
    workers = [r for r in requests if r.body["tools"][0]["name"] == "propose_edits"]
    assert len(workers) == 4
    if how == "progress":
        (token,) = [  # the refactor's token, not the workspace index's
            t
            for t, rs in client.progress_reports.items()
            if any((getattr(r, "message", None) or "").startswith("plan:") for r in rs)
        ]
        client.protocol.notify(
            types.WINDOW_WORK_DONE_PROGRESS_CANCEL, types.WorkDoneProgressCancelParams(token=token)
        )
        answer = await running
        answer = answer if isinstance(answer, dict) else answer._asdict()
        assert answer == {"applied": False, "files": 0, "message": "cancelled"}
    else:
        client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="refactor-1"))
        with pytest.raises(Exception, match="cancel"):
            await running
    for worker in workers:
        assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, worker, 5.0)
    assert editor.received == []
    assert all((workspace / f).read_text() == "def area(r):\n    return r\n" for f in files)
