"""Today's lineup end to end: every feature against {Haiku 4.5, Haiku 5.5} x {Sonnet 5.5,
Sonnet 4.6} on a test server that answers as the Claude API does per model (a 400 for what a
model refuses, a 404 for a retired id, thinking first on the 5.x models unless turned off), and
the Sonnet 4.5 retirement path. One editor session per pair runs a completion, a quick action, a
refactor and a workspace refactor; the server's request log says what was sent and how it went."""

from __future__ import annotations

import asyncio
import re
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply, thinks
from lsp_support import inline_params, items_of, open_document, server_env, start_session

SOURCE = "import math\n\n\ndef area(radius):\n    return math.pi * radius * radius\n"
MAIN = "from geometry import area\n\nprint(area(2))\n\n\ndef half(x):\n    \n"


def respond(request: RecordedRequest) -> Reply:
    """A model that renames ``area`` to ``disk_area`` in whatever file it is shown, plans that
    rename over the workspace, and completes code with ``return x / 2``."""
    body = request.body
    tools = [t["name"] for t in body.get("tools") or []]
    if "plan_refactor" in tools:
        steps = [{"path": p, "task": "rename area"} for p in ("geometry.py", "main.py")]
        call = {"name": "plan_refactor", "input": {"summary": "rename area", "steps": steps}}
        return Reply(text="", tool_calls=[call])
    if "propose_edits" in tools:
        prompt = str(body["messages"][0]["content"])
        found = re.search(r'<file path="([^"]+)"[^>]*>\n(.*?)\n</file>', prompt, re.S)
        assert found, prompt[:300]
        path, text = found.groups()
        edits = [
            {"path": path, "old_text": line, "new_text": line.replace("area", "disk_area")}
            for line in dict.fromkeys(text.splitlines(keepends=True))
            if "area" in line
        ]
        call = {"name": "propose_edits", "input": {"summary": "rename", "edits": edits}}
        return Reply(text="", tool_calls=[call])
    return Reply(text="return x / 2")


async def session(
    server: AnthropicTestServer, workspace: Path, tmp_path: Path, **env: str
) -> tuple[LanguageClient, list[types.WorkspaceEdit]]:
    environment = server_env(
        tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=server.base_url, **env
    )
    client = await start_session(environment, "visual_studio_code", workspace)
    applied: list[types.WorkspaceEdit] = []

    @client.feature(types.WORKSPACE_APPLY_EDIT)
    def on_apply(params: types.ApplyWorkspaceEditParams) -> types.ApplyWorkspaceEditResult:
        applied.append(params.edit)
        return types.ApplyWorkspaceEditResult(applied=True)

    return client, applied


async def command(client: LanguageClient, name: str, argument: dict[str, Any]) -> dict[str, Any]:
    answer = await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command=name, arguments=[argument])
    )
    return answer if isinstance(answer, dict) else answer._asdict()  # type: ignore[no-any-return]


def new_requests(server: AnthropicTestServer, before: int) -> list[RecordedRequest]:
    return server.messages_requests()[before:]


async def every_feature(
    client: LanguageClient, server: AnthropicTestServer, workspace: Path
) -> dict[str, list[RecordedRequest]]:
    """Completion, quick action, refactor and workspace refactor; the requests each sent."""
    sent: dict[str, list[RecordedRequest]] = {}
    (workspace / "geometry.py").write_text(SOURCE)
    uri = open_document(client, workspace / "main.py", MAIN)

    before = len(server.messages_requests())
    result = await client.text_document_inline_completion_async(inline_params(uri, 6, 4))
    assert [i.insert_text for i in items_of(result)] == ["return x / 2"]
    sent["completion"] = new_requests(server, before)

    before = len(server.messages_requests())
    geometry = open_document(client, workspace / "geometry.py", SOURCE)
    actions = await client.text_document_code_action_async(
        types.CodeActionParams(
            text_document=types.TextDocumentIdentifier(uri=geometry),
            range=types.Range(start=types.Position(3, 6), end=types.Position(3, 6)),
            context=types.CodeActionContext(diagnostics=[]),
        )
    )
    (docstring,) = [a for a in actions or [] if "docstring" in a.title]
    resolved = await client.code_action_resolve_async(docstring)
    assert resolved.edit is not None, "the quick action offered no edit"
    sent["action"] = new_requests(server, before)

    before = len(server.messages_requests())
    answer = await command(
        client, "renga.refactor", {"uri": geometry, "range": None, "instruction": "rename area"}
    )
    assert answer["applied"] is True, answer
    sent["refactor"] = new_requests(server, before)

    before = len(server.messages_requests())
    answer = await command(client, "renga.refactorWorkspace", {"instruction": "rename area"})
    assert answer["applied"] is True, answer
    sent["workspace"] = new_requests(server, before)
    return sent


def assert_spoken_correctly(server: AnthropicTestServer) -> None:
    """No request was refused (400) or sent to a retired id (404), and none thought."""
    refused = [(r.path, r.status, r.body and r.body.get("model")) for r in server.requests]
    assert all(status == 200 for _, status, _ in refused), refused
    for r in server.messages_requests():
        behaviour = server.behaviour(r.body["model"])
        assert behaviour is not None, r.body["model"]
        assert not thinks(behaviour, r.body), f"{r.body['model']} was let think: {r.body}"


@pytest.mark.parametrize("smart", ["claude-sonnet-5-5", "claude-sonnet-4-6"])
@pytest.mark.parametrize("fast", ["claude-haiku-4-5", "claude-haiku-5-5"])
async def test_every_feature_on_each_pair_of_todays_models(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path, fast: str, smart: str
) -> None:
    anthropic_server.responder = respond
    client, _ = await session(
        anthropic_server, workspace, tmp_path, RENGA_FAST_MODEL=fast, RENGA_SMART_MODEL=smart
    )
    try:
        sent = await every_feature(client, anthropic_server, workspace)
    finally:
        await client.shutdown_session()
    assert {r.body["model"] for r in sent["completion"] + sent["action"]} == {fast}
    assert [r.body["model"] for r in sent["refactor"]] == [smart]
    plan, *steps = sent["workspace"]
    assert plan.body["model"] == smart and {s.body["model"] for s in steps} == {fast}
    assert_spoken_correctly(anthropic_server)
    assert not [m for m in client.messages if "not available" in m.message]


async def test_defaults_answer_refactors_from_a_sonnet_without_a_400(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    anthropic_server.responder = respond
    client, _ = await session(anthropic_server, workspace, tmp_path)
    try:
        sent = await every_feature(client, anthropic_server, workspace)
    finally:
        await client.shutdown_session()
    assert [r.body["model"] for r in sent["refactor"]] == ["claude-sonnet-5-5"]
    assert {r.body["model"] for r in sent["completion"]} == {"claude-haiku-4-5"}
    assert_spoken_correctly(anthropic_server)


async def test_a_pinned_sonnet_4_5_moves_to_sonnet_5_5_and_the_user_is_told_once(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    """A user whose settings still name the old default, Sonnet 4.5 (retired 2026-11-30)."""
    anthropic_server.responder = respond
    client, _ = await session(
        anthropic_server, workspace, tmp_path, RENGA_SMART_MODEL="claude-sonnet-4-5"
    )
    try:
        sent = await every_feature(client, anthropic_server, workspace)
        second = await command(
            client,
            "renga.refactor",
            {"uri": (workspace / "main.py").as_uri(), "range": None, "instruction": "rename"},
        )
        assert second["applied"] is True
        await asyncio.sleep(0.1)
    finally:
        await client.shutdown_session()
    assert [r.body["model"] for r in sent["refactor"]] == ["claude-sonnet-5-5"]
    assert sent["workspace"][0].body["model"] == "claude-sonnet-5-5"
    told = [m.message for m in client.messages if "claude-sonnet-4-5" in m.message]
    assert len(told) == 1, told
    assert "retired" in told[0] and "claude-sonnet-5-5" in told[0]
    # Skipped from the Models API's word: no request ever named it, none got a 400.
    assert all("sonnet-4-5" not in r.body["model"] for r in anthropic_server.messages_requests())
    assert_spoken_correctly(anthropic_server)


async def test_smart_effort_lets_refactors_think_and_the_answer_after_the_thinking_is_used(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    anthropic_server.responder = respond
    client, _ = await session(anthropic_server, workspace, tmp_path, RENGA_SMART_EFFORT="high")
    try:
        uri = open_document(client, workspace / "geometry.py", SOURCE)
        answer = await command(
            client, "renga.refactor", {"uri": uri, "range": None, "instruction": "rename area"}
        )
    finally:
        await client.shutdown_session()
    assert answer["applied"] is True, answer
    (refactor,) = anthropic_server.messages_requests()
    assert refactor.body["thinking"] == {"type": "adaptive"}
    assert refactor.body["output_config"] == {"effort": "high"}
    assert refactor.body["tool_choice"] == {"type": "auto"}  # thinking: never a forced tool
    # The server thought first (a thinking block before the tool call), and renga read past it.
    assert refactor.status == 200 and thinks(
        anthropic_server.behaviour("claude-sonnet-5-5"),  # type: ignore[arg-type]
        refactor.body,
    )
