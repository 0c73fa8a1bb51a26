"""Bad input from the editor against a live ``renga serve``: nothing crashes it, nothing makes it
hang, and each case gets the answer a user would expect (often: no completion, no model call)."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer, Reply
from lsp_support import (
    SERVER_COMMAND,
    inline_params,
    items_of,
    open_document,
    server_env,
)
from renga.syntax.languages import registry

NORMAL = "return a + b"
DOC = "def add(a, b):\n    \n"


async def complete(client: LanguageClient, uri: str, line: int = 1, character: int = 4) -> Any:
    return items_of(
        await client.text_document_inline_completion_async(inline_params(uri, line, character))
    )


async def still_serving(client: LanguageClient, server: AnthropicTestServer, folder: Path) -> None:
    """The check after every bad input: a normal document still gets a normal completion."""
    server.enqueue(Reply(text=NORMAL))
    uri = open_document(client, folder / "ok.py", DOC)
    assert [i.insert_text for i in await complete(client, uri)] == [NORMAL]


async def state(client: LanguageClient, uri: str) -> Any:
    return await client.protocol.send_request_async("renga/documentState", {"uri": uri})


async def test_positions_past_the_end_of_a_line_or_file_are_clamped(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    uri = open_document(renga, workspace / "add.py", "def add(a, b):\n    ")
    for line, character in [(1, 999), (99, 5)]:
        anthropic_server.enqueue(Reply(text=NORMAL))
        (item,) = await complete(renga, uri, line, character)
        assert item.insert_text == NORMAL
        # Answered at the clamped cursor, a position that exists in the document.
        assert item.range.start == item.range.end == types.Position(1, 4)
    # An edit starting past the end of the file appends at its end.
    renga.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=2),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(start=types.Position(7, 3), end=types.Position(9, 0)),
                    text="\nz = 2",
                )
            ],
        )
    )
    assert (await state(renga, uri)).text == "def add(a, b):\n    \nz = 2"
    await still_serving(renga, anthropic_server, workspace)


async def test_unknown_uris_get_nothing_and_break_nothing(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    never_opened = (workspace / "ghost.py").as_uri()
    assert await complete(renga, never_opened) == []
    renga.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=never_opened, version=3),
            content_changes=[types.TextDocumentContentChangeWholeDocument(text="x = 1\n")],
        )
    )
    renga.text_document_did_close(
        types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(never_opened))
    )
    assert await state(renga, never_opened) is None
    assert anthropic_server.messages_requests() == []
    await still_serving(renga, anthropic_server, workspace)


@pytest.fixture
def profile() -> str:
    """One editor profile is enough where position encodings play no part."""
    return "visual_studio_code"


async def test_unsupported_language_gets_plain_text_completions_only_when_configured(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    uri = open_document(renga, workspace / "notes.xyz", "hello ", language_id="xyz")
    assert await complete(renga, uri, 0, 6) == []
    assert anthropic_server.messages_requests() == []
    renga.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"renga": {"completion": {"plainText": True}}})
    )
    anthropic_server.enqueue(Reply(text="world"))
    assert [i.insert_text for i in await complete(renga, uri, 0, 6)] == ["world"]
    assert (await state(renga, uri)).tree is None


async def test_binary_documents_get_no_completion(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    uri = open_document(renga, workspace / "blob.py", "x = 1\n\x00\x01\x02garbage\n")
    assert await complete(renga, uri, 0, 4) == []
    assert anthropic_server.messages_requests() == []
    await still_serving(renga, anthropic_server, workspace)


async def test_a_file_over_the_size_limit_is_skipped_with_a_log_line(
    renga: LanguageClient,
    anthropic_server: AnthropicTestServer,
    workspace: Path,
    capfd: pytest.CaptureFixture[str],
) -> None:
    text = "x = 1\n" * 400_000  # 2.4 MB, over the default 2,000,000 bytes
    uri = open_document(renga, workspace / "big.py", text)
    assert await complete(renga, uri, 10, 0) == []
    assert await complete(renga, uri, 11, 0) == []
    assert anthropic_server.messages_requests() == []
    await still_serving(renga, anthropic_server, workspace)
    logged = [line for line in capfd.readouterr().err.splitlines() if "maxFileBytes" in line]
    assert len(logged) == 1 and "big.py" in logged[0]  # once, not per request


def rss_peak_mb(pid: int) -> float:
    with open(f"/proc/{pid}/status", encoding="ascii") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    raise RuntimeError("no VmHWM")


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="reads /proc for memory")
async def test_a_50_mb_file_costs_bounded_time_and_memory(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    line = "value = compute(alpha, beta, gamma)  # generated\n"
    text = line * (50_000_000 // len(line))
    started = time.monotonic()
    uri = open_document(renga, workspace / "huge.py", text)
    assert await complete(renga, uri, 1000, 0) == []
    for version in range(2, 7):  # typing in it stays possible
        renga.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(5, 0), types.Position(5, 0)), text="# "
                    )
                ],
            )
        )
    assert await complete(renga, uri, 5, 2) == []
    elapsed = time.monotonic() - started
    pid = renga._server.pid  # type: ignore[attr-defined]
    peak = rss_peak_mb(pid)
    print(
        f"\n50 MB document: open + 5 edits + 2 requests in {elapsed:.1f} s, peak RSS {peak:.0f} MB"
    )
    assert elapsed < 45  # 9-15 s measured on a loaded 2-core machine
    # The text is held a few times over (the JSON message, pygls's copy, renga's bytes) but
    # never parsed: a tree-sitter tree of 50 MB would take gigabytes.
    assert peak < 900
    assert anthropic_server.messages_requests() == []
    await still_serving(renga, anthropic_server, workspace)


async def test_a_1_mb_line_is_completed_with_a_bounded_prompt(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    await still_serving(renga, anthropic_server, workspace)  # the SDK imported: time the rest
    long_line = "data = [" + "1, " * 350_000  # about 1 MB on one line, like minified code
    started = time.monotonic()
    uri = open_document(renga, workspace / "long.py", long_line)
    for version, column in enumerate(range(len(long_line), len(long_line) + 9, 3), start=2):
        renga.text_document_did_change(  # typing at the end of the line
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
                content_changes=[
                    types.TextDocumentContentChangePartial(
                        range=types.Range(types.Position(0, column), types.Position(0, column)),
                        text="2, ",
                    )
                ],
            )
        )
    anthropic_server.enqueue(Reply(text="1]"))
    items = await complete(renga, uri, 0, len(long_line) + 9)
    # No tree for such a line (tree-sitter needs about a second per keystroke on it).
    assert time.monotonic() - started < 3
    assert [i.insert_text for i in items] == ["1]"]
    body = anthropic_server.messages_requests()[-1].body
    assert len(str(body)) < 100_000  # the context window, not the megabyte
    assert (await state(renga, uri)).text.endswith("1, 2, 2, 2, ")


async def test_lone_surrogates_in_the_text_do_not_break_completions(
    env: dict[str, str], anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    # JSON can carry "\ud800" (a half of a UTF-16 pair), which no UTF-8 encoder accepts.
    raw = await RawSession.start(env)
    try:
        await raw.initialize(workspace)
        uri = (workspace / "s.py").as_uri()
        raw.open(uri, 'name = "\ud800"\ndef add(a, b):\n    \n')
        anthropic_server.enqueue(Reply(text=NORMAL))
        answer = await raw.complete(uri, 2, 4)
        assert [item["insertText"] for item in answer["result"]["items"]] == [NORMAL]
        await raw_completion_works(raw, anthropic_server, workspace)
    finally:
        await raw.close()


class RawSession:
    """``renga serve`` spoken to in raw JSON-RPC over its stdio: a pytest-lsp client refuses to
    send what a broken client sends (wrong param types, requests before ``initialize``)."""

    def __init__(self, process: asyncio.subprocess.Process) -> None:
        self.process = process
        self.next_id = 0

    @classmethod
    async def start(cls, env: dict[str, str]) -> RawSession:
        process = await asyncio.create_subprocess_exec(
            *SERVER_COMMAND,
            env=env,
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.DEVNULL,
        )
        return cls(process)

    def send(self, message: dict[str, Any], length_delta: int = 0) -> None:
        """Send ``message``, framed with a Content-Length off by ``length_delta``."""
        body = json.dumps({"jsonrpc": "2.0", **message}).encode()
        self.write(b"Content-Length: %d\r\n\r\n%s" % (len(body) + length_delta, body))

    def write(self, data: bytes) -> None:
        assert self.process.stdin is not None
        self.process.stdin.write(data)

    async def _read(self) -> dict[str, Any]:
        assert self.process.stdout is not None
        length = 0
        while (line := await self.process.stdout.readline()) not in (b"\r\n", b""):
            if line.lower().startswith(b"content-length:"):
                length = int(line.split(b":")[1])
        result: dict[str, Any] = json.loads(await self.process.stdout.readexactly(length))
        return result

    async def request(self, method: str, params: Any, length_delta: int = 0) -> dict[str, Any]:
        """Send a request and return its response (notifications on the way are skipped)."""
        return await self.answer(self.ask(method, params, length_delta))

    def ask(self, method: str, params: Any, length_delta: int = 0) -> int:
        """Send a request; its id."""
        self.next_id += 1
        self.send({"id": self.next_id, "method": method, "params": params}, length_delta)
        return self.next_id

    async def answer(self, msg_id: int) -> dict[str, Any]:
        """The response to request ``msg_id`` (other messages until then are dropped)."""
        async with asyncio.timeout(10):
            while True:
                message = await self._read()
                if message.get("id") == msg_id and "method" not in message:
                    return message

    async def initialize(self, folder: Path) -> None:
        answer = await self.request(
            "initialize", {"processId": None, "rootUri": folder.as_uri(), "capabilities": {}}
        )
        assert "capabilities" in answer["result"]
        self.send({"method": "initialized", "params": {}})

    def open(self, uri: str, text: str) -> None:
        item = {"uri": uri, "languageId": "python", "version": 1, "text": text}
        self.send({"method": "textDocument/didOpen", "params": {"textDocument": item}})

    async def complete(self, uri: str, line: int, character: int) -> dict[str, Any]:
        return await self.request(
            "textDocument/inlineCompletion",
            {
                "textDocument": {"uri": uri},
                "position": {"line": line, "character": character},
                "context": {"triggerKind": 1},
            },
        )

    async def close(self) -> int:
        if self.process.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.process.kill()
        return await self.process.wait()


async def raw_completion_works(raw: RawSession, server: AnthropicTestServer, folder: Path) -> None:
    server.enqueue(Reply(text=NORMAL))
    uri = (folder / "ok.py").as_uri()
    raw.open(uri, DOC)
    answer = await raw.complete(uri, 1, 4)
    assert [item["insertText"] for item in answer["result"]["items"]] == [NORMAL]


@pytest.fixture
def env(anthropic_server: AnthropicTestServer, tmp_path: Path) -> dict[str, str]:
    return server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)


async def test_malformed_requests_get_an_error_and_the_server_keeps_serving(
    env: dict[str, str], anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    raw = await RawSession.start(env)
    try:
        await raw.initialize(workspace)
        answer = await raw.request(
            "textDocument/inlineCompletion", {"textDocument": 5, "position": "here"}
        )
        assert answer["error"]["code"] == -32602  # InvalidParams, instead of no answer at all
        # A malformed notification has nobody to answer: it is dropped, and nothing breaks.
        raw.send({"method": "textDocument/didChange", "params": {"contentChanges": 1}})
        raw.send({"method": "textDocument/didOpen", "params": {"textDocument": None}})
        await raw_completion_works(raw, anthropic_server, workspace)
    finally:
        await raw.close()


async def test_requests_before_initialize_are_refused_and_initialize_still_works(
    env: dict[str, str], anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    raw = await RawSession.start(env)
    try:
        early = (workspace / "early.py").as_uri()
        raw.open(early, DOC)  # a notification before initialize: dropped
        answer = await raw.complete(early, 1, 4)
        assert answer["error"]["code"] == -32002  # ServerNotInitialized
        await raw.initialize(workspace)
        assert (await raw.request("renga/documentState", {"uri": early}))["result"] is None
        await raw_completion_works(raw, anthropic_server, workspace)
    finally:
        await raw.close()


async def test_requests_after_shutdown_are_refused_and_exit_ends_the_process(
    env: dict[str, str], anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    raw = await RawSession.start(env)
    try:
        await raw.initialize(workspace)
        uri = (workspace / "late.py").as_uri()
        raw.open(uri, DOC)
        assert (await raw.request("shutdown", None))["result"] is None
        answer = await raw.complete(uri, 1, 4)
        assert answer["error"]["code"] == -32600  # InvalidRequest, instead of no answer at all
        raw.send({"method": "exit"})
        async with asyncio.timeout(5):
            assert await raw.process.wait() == 0
    finally:
        await raw.close()
    assert anthropic_server.messages_requests() == []


@pytest.mark.parametrize(
    ("length_delta", "junk"),
    [
        (-7, b""),  # too short: the rest of the body runs into the next header
        (25, b""),  # too long: the body swallows the beginning of the next message
        (0, b'Content-Length: 40\r\n\r\n{"jsonrpc": "2.0", "id": 9, "meth'),  # cut body
        (0, b"Content-Type: x\r\nX-Junk\r\n\x00\xff\r\n\r\n{broken json}\r\n"),
    ],
    ids=["length too short", "length too long", "body cut short", "garbage"],
)
async def test_a_bad_frame_costs_that_frame_at_most(
    env: dict[str, str],
    anthropic_server: AnthropicTestServer,
    workspace: Path,
    length_delta: int,
    junk: bytes,
) -> None:
    """After a frame with a wrong Content-Length or junk between frames, the server reads on from
    the next header: the following requests are answered (a request whose length was wrong is
    answered too, once the next header shows where it ended)."""
    raw = await RawSession.start(env)
    try:
        await raw.initialize(workspace)
        uri = (workspace / "framed.py").as_uri()
        raw.open(uri, DOC)
        raw.write(junk)
        bad = raw.ask("renga/documentState", {"uri": uri}, length_delta)
        after = raw.ask("renga/documentState", {"uri": uri})
        if length_delta:
            assert (await raw.answer(bad))["result"]["text"] == DOC
        assert (await raw.answer(after))["result"]["text"] == DOC
        await raw_completion_works(raw, anthropic_server, workspace)
        assert raw.process.returncode is None
    finally:
        await raw.close()


async def test_a_request_with_a_length_too_long_and_nothing_after_it_is_answered(
    env: dict[str, str], workspace: Path
) -> None:
    """Its sender waits for the answer, so no next header comes to resynchronise on: once no
    byte has come for a moment, a body that is whole JSON is taken as it is."""
    raw = await RawSession.start(env)
    try:
        await raw.initialize(workspace)
        uri = (workspace / "framed.py").as_uri()
        raw.open(uri, DOC)
        bad = raw.ask("renga/documentState", {"uri": uri}, length_delta=100)
        assert (await raw.answer(bad))["result"]["text"] == DOC
        assert (await raw.request("renga/documentState", {"uri": uri}))["result"]["text"] == DOC
    finally:
        await raw.close()


async def test_exit_without_shutdown_ends_the_process_with_code_1(
    env: dict[str, str], workspace: Path
) -> None:
    raw = await RawSession.start(env)
    try:
        await raw.initialize(workspace)
        raw.send({"method": "exit"})
        async with asyncio.timeout(5):
            assert await raw.process.wait() == 1  # the LSP specification's code for it
    finally:
        await raw.close()


def test_renga_complete_reads_a_file_with_invalid_utf8(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes("# caf\xe9 au lait\ndef add(a, b):\n    \n".encode("latin-1"))
    anthropic_server.enqueue(Reply(text=NORMAL))
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    result = subprocess.run(
        [*SERVER_COMMAND[:-1], "complete", str(path), "--line", "2", "--character", "4"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == NORMAL + "\n"
    prompt = str(anthropic_server.messages_requests()[0].body["messages"])
    assert "caf\ufffd au lait" in prompt


@pytest.mark.parametrize(
    ("content", "reason"),
    [(b"\x00\x01ELF binary", "binary"), (b"x = 1\n" * 400_000, "maxFileBytes")],
)
def test_renga_complete_refuses_binary_and_oversized_files(
    tmp_path: Path, content: bytes, reason: str
) -> None:
    path = tmp_path / "f.py"
    path.write_bytes(content)
    env = {**os.environ, "ANTHROPIC_API_KEY": "k", "ANTHROPIC_BASE_URL": "http://127.0.0.1:9"}
    result = subprocess.run(
        [*SERVER_COMMAND[:-1], "complete", str(path), "--line", "0", "--character", "0"],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 2 and reason in result.stderr


def test_the_python_grammar_is_installed() -> None:
    # The size-limit tests only mean something if the document would otherwise be parsed.
    assert registry().get("python") is not None
