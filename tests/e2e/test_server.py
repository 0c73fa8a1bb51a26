"""The foundation end to end: a real ``renga serve`` subprocess, a client with VS Code's or
Neovim's capabilities, and model traffic over HTTP through the SDK to the test server."""

from __future__ import annotations

import asyncio
import json
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pygls.exceptions import JsonRpcRequestCancelled
from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer, Reply
from lsp_support import inline_params, items_of, open_document, server_env, start_session
from renga.syntax.languages import registry


async def test_capabilities(renga: LanguageClient) -> None:
    caps = renga.init_result.capabilities  # type: ignore[attr-defined]
    assert caps.inline_completion_provider is not None
    sync = caps.text_document_sync
    assert sync.change == types.TextDocumentSyncKind.Incremental
    assert "renga.acceptCompletion" in caps.execute_command_provider.commands
    offered = (
        (renga.capabilities.general.position_encodings or []) if renga.capabilities.general else []
    )  # type: ignore[union-attr]
    assert caps.position_encoding == ("utf-8" if "utf-8" in offered else "utf-16")


async def test_incremental_sync_keeps_text_and_tree_equal_to_a_fresh_parse(
    renga: LanguageClient, workspace: Path
) -> None:
    text = "def f(a):\r\n    return a  # 日本\r\n"
    uri = open_document(renga, workspace / "m.py", text)
    encoding = "utf-8" if renga.init_result.capabilities.position_encoding == "utf-8" else "utf-16"  # type: ignore[attr-defined]

    def column(line: int, chars: int) -> int:
        """``chars`` characters into ``line`` of the current text, in the negotiated units."""
        head = text.split("\n")[line][:chars]
        return (
            len(head.encode("utf-8")) if encoding == "utf-8" else len(head.encode("utf-16-le")) // 2
        )

    changes = [  # (line, first char, last char) in characters, then the new text
        (0, 6, 7, "x_😀"),  # a non-BMP character: two UTF-16 units, four bytes
        (1, 11, 12, "x_😀"),
        (1, 20, 20, "語"),
        (2, 0, 0, "class C:\n    pass\n"),
    ]
    for version, (line, first, last, new) in enumerate(changes, start=2):
        start, end = (
            types.Position(line, column(line, first)),
            types.Position(line, column(line, last)),
        )
        renga.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=start, end=end), text=new
                    )
                ],
            )
        )
        lines = text.split("\n")
        lines[line] = lines[line][:first] + new + lines[line][last:]
        text = "\n".join(lines)
    state = await renga.protocol.send_request_async("renga/documentState", {"uri": uri})
    expected = "def f(x_😀):\r\n    return x_😀  # 日本語\r\nclass C:\n    pass\n"
    assert text == expected
    assert state.encoding == encoding
    assert state.text == expected
    assert state.version == 5
    fresh = registry().get("python").parser().parse(expected.encode())  # type: ignore[union-attr]
    assert state.tree == str(fresh.root_node)


async def test_inline_completion_end_to_end(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return a + b"))
    uri = open_document(renga, workspace / "add.py", "def add(a, b):\n    \n")
    result = await renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    items = items_of(result)
    assert [i.insert_text for i in items] == ["return a + b"]
    assert items[0].range is not None and items[0].range.start == types.Position(1, 4)
    assert items[0].command is not None and items[0].command.command == "renga.acceptCompletion"
    body = anthropic_server.messages_requests()[-1].body
    assert body["model"] == "claude-haiku-4-5"
    assert body["stream"] is True
    user_text = "".join(block["text"] for block in body["messages"][0]["content"])
    assert "def add(a, b):" in user_text
    # Accepting is recorded and shows in the usage totals.
    await renga.workspace_execute_command_async(
        types.ExecuteCommandParams(
            command="renga.acceptCompletion", arguments=list(items[0].command.arguments or [])
        )
    )
    usage = await renga.workspace_execute_command_async(
        types.ExecuteCommandParams(command="renga.usage")
    )
    assert usage["acceptance"]["python"] == {"shown": 1, "accepted": 1}
    assert usage["session"]["completion"]["calls"] == 1


def first_messages_request(server: AnthropicTestServer, timeout: float = 20.0) -> Any:
    # Generous: on a loaded 2-core machine the server's first request waits for the SDK import.
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if requests := server.messages_requests():
            return requests[0]
        time.sleep(0.01)
    raise TimeoutError("no /v1/messages request reached the test server")


async def test_cancel_request_answers_32800_and_closes_the_model_stream(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="slow " * 50, ttft=5.0))
    uri = open_document(renga, workspace / "slow.py", "def slow():\n    \n")
    future = asyncio.ensure_future(
        renga.protocol.send_request_async(
            types.TEXT_DOCUMENT_INLINE_COMPLETION, inline_params(uri, 1, 4), msg_id="to-cancel"
        )
    )
    recorded = await asyncio.to_thread(first_messages_request, anthropic_server)
    started = time.monotonic()
    renga.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id="to-cancel"))
    with pytest.raises(JsonRpcRequestCancelled):
        await asyncio.wait_for(future, 5)
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, recorded, 2.0)
    assert time.monotonic() - started < 1.0
    assert recorded.client_disconnected and not recorded.completed


async def test_without_a_key_the_server_starts_answers_empty_and_says_what_to_set(
    profile: str, workspace: Path, tmp_path: Path
) -> None:
    client = await start_session(server_env(tmp_path), profile, workspace)
    try:
        uri = open_document(client, workspace / "a.py", "x = \n")
        results = [
            await client.text_document_inline_completion_async(inline_params(uri, 0, 4))
            for _ in range(3)
        ]
        assert all(not items_of(r) for r in results)
        warnings = [m.message for m in client.messages if "ANTHROPIC_API_KEY" in m.message]
        assert len(warnings) == 1, client.messages  # told once, not on every keystroke
        assert any(s["state"] == "inactive" for s in client.statuses)  # type: ignore[attr-defined]
    finally:
        await client.shutdown_session()


async def test_invalid_settings_get_one_message_and_defaults(
    anthropic_server: AnthropicTestServer, profile: str, workspace: Path, tmp_path: Path
) -> None:
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    options = {"completion": {"maxTokens": "many"}, "models": {"fast": "claude-haiku-4-5-20251001"}}
    client = await start_session(env, profile, workspace, initialization_options=options)
    try:
        uri = open_document(client, workspace / "b.py", "def f():\n    \n")
        await client.text_document_inline_completion_async(inline_params(uri, 1, 4))
        body = anthropic_server.messages_requests()[-1].body
        assert body["model"] == "claude-haiku-4-5-20251001"  # the valid setting is used
        assert body["max_tokens"] == 256  # the invalid one falls back to its default
        invalid = [m.message for m in client.messages if "maxTokens" in m.message]
        assert len(invalid) == 1
    finally:
        await client.shutdown_session()


async def test_unknown_language_document_does_not_break_anything(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    # No grammar, and completion.plainText is off by default: no completion, no model request
    # (tests/e2e/test_bad_input.py covers plainText on).
    anthropic_server.enqueue(Reply(text="world"))
    uri = open_document(renga, workspace / "notes.xyz", "hello ", language_id="xyz")
    result = await renga.text_document_inline_completion_async(inline_params(uri, 0, 6))
    assert items_of(result) == []
    assert anthropic_server.messages_requests() == []


async def test_utf8_positions_when_the_client_offers_them(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    from lsprotocol.types import ClientCapabilities, GeneralClientCapabilities, PositionEncodingKind
    from pytest_lsp import ClientServerConfig, client_capabilities

    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await ClientServerConfig(
        server_command=[sys.executable, "-m", "renga", "serve"], server_env=env
    ).start()
    caps: ClientCapabilities = client_capabilities("neovim")
    caps.general = GeneralClientCapabilities(
        position_encodings=[PositionEncodingKind.Utf16, PositionEncodingKind.Utf8]
    )
    result = await client.initialize_session(
        types.InitializeParams(capabilities=caps, root_uri=workspace.as_uri())
    )
    try:
        assert result.capabilities.position_encoding == "utf-8"  # preferred: no conversion needed
        uri = open_document(client, workspace / "u.py", "名 = 1\n")
        client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(start=types.Position(0, 6), end=types.Position(0, 7)),
                        text="2",
                    )
                ],
            )
        )
        state = await client.protocol.send_request_async("renga/documentState", {"uri": uri})
        assert state.text == "名 = 2\n"
    finally:
        await client.shutdown_session()


async def test_serves_over_tcp(anthropic_server: AnthropicTestServer, tmp_path: Path) -> None:
    import socket

    from pygls.lsp.client import LanguageClient as PlainClient

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "renga", "serve", "--tcp", f"127.0.0.1:{port}", env=env
    )
    client = PlainClient("tcp-test", "1")
    try:
        for _ in range(100):
            try:
                await client.start_tcp("127.0.0.1", port)
                break
            except OSError:
                await asyncio.sleep(0.05)
        result = await asyncio.wait_for(
            client.initialize_async(
                types.InitializeParams(capabilities=types.ClientCapabilities())
            ),
            10,
        )
        assert result.capabilities.inline_completion_provider is not None
        await client.shutdown_async(None)
        client.exit(None)
    finally:
        await client.stop()
        proc.kill()
        await proc.wait()


async def test_the_status_follows_the_spend(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    """renga/status is sent again when a model call changes today's spend (the status bar shows
    it), with the state it had."""
    statuses: list[dict[str, Any]] = renga.statuses  # type: ignore[attr-defined]
    deadline = time.monotonic() + 60
    while not any(s["state"] == "ready" for s in statuses):
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.05)
    assert statuses[-1]["spendTodayUsd"] == 0
    anthropic_server.enqueue(Reply(text="return a + b", input_tokens=20_000))
    uri = open_document(renga, workspace / "add.py", "def add(a, b):\n    \n")
    assert items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 4)))
    while not statuses[-1]["spendTodayUsd"]:
        assert time.monotonic() < deadline, statuses
        await asyncio.sleep(0.05)
    assert statuses[-1]["state"] == "ready"
    assert statuses[-1]["spendTodayUsd"] == pytest.approx(0.02, abs=0.001)  # Haiku 4.5: $1/MTok in


def test_debug_log_has_no_line_per_message(tmp_path: Path) -> None:
    """At debug level the log shows renga's records, not pygls's "Content length: N" per
    message (editors show the server's stderr as their log)."""

    def frame(message: dict[str, Any]) -> bytes:
        body = json.dumps(message).encode()
        return b"Content-Length: %d\r\n\r\n%s" % (len(body), body)

    messages = [
        {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"capabilities": {}}},
        {"jsonrpc": "2.0", "method": "initialized", "params": {}},
        {"jsonrpc": "2.0", "id": 2, "method": "shutdown"},
        {"jsonrpc": "2.0", "method": "exit"},
    ]
    done = subprocess.run(
        [sys.executable, "-m", "renga", "serve"],
        input=b"".join(frame(m) for m in messages),
        capture_output=True,
        timeout=120,
        env=server_env(tmp_path, RENGA_LOG_LEVEL="debug"),
    )
    log = done.stderr.decode()
    assert b'"id":1' in done.stdout.replace(b" ", b"")
    assert "Content length" not in log, log
