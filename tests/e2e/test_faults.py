"""Faults of the model service against a live ``renga serve``: each one is injected by the
Anthropic-compatible test server, and after each the same server must still complete normally.

Inline completions give up quietly and fast (no retries, a short timeout); repeated failures open
the circuit breaker, which the editor hears about once (``renga/status`` + ``window/showMessage``)
and not on every keystroke.
"""

from __future__ import annotations

import asyncio
import socket
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer, Reply
from lsp_support import inline_params, items_of, open_document, server_env, start_session

TIMEOUT_MS = 600
NORMAL = "return a + b"


@dataclass
class Fault:
    name: str
    replies: list[Reply]
    # What the user sees for the faulted completion: nothing, except where a fallback answers.
    shown: list[str] = field(default_factory=list)
    requests: int = 1  # how many HTTP requests it may cost: completions are never retried
    seconds: float = 1.5  # it must give up this fast


def retired_model_404() -> Reply:
    return Reply(status=404, error_type="not_found_error", error_message="model: claude-haiku-4-5")


FAULTS = [
    Fault("400 invalid request", [Reply(status=400)]),
    Fault("401 bad key", [Reply(status=401)]),
    Fault("403 permission", [Reply(status=403)]),
    # The retired model is dropped for the role's fallback, which answers.
    Fault("404 retired model", [retired_model_404(), Reply(text=NORMAL)], [NORMAL], requests=2),
    Fault("413 request too large", [Reply(status=413)]),
    Fault("429 with retry-after", [Reply(status=429, headers={"retry-after": "30"})]),
    Fault("429 without retry-after", [Reply(status=429)]),
    Fault("500 api error", [Reply(status=500)]),
    Fault("504 timeout error", [Reply(status=504)]),
    Fault("529 overloaded", [Reply(status=529)]),
    Fault(
        "timeout before the first token",
        [Reply(text=NORMAL, ttft=5.0)],
        seconds=TIMEOUT_MS / 1000 + 1.5,
    ),
    Fault("slow headers", [Reply(text=NORMAL, delay_headers=5.0)], seconds=TIMEOUT_MS / 1000 + 1.5),
    Fault(
        "error event mid-stream",
        [Reply(text=NORMAL, midstream_error="overloaded_error", error_after_deltas=1)],
    ),
    Fault("malformed event stream", [Reply(text=NORMAL, malformed=True, error_after_deltas=1)]),
    Fault("truncated event stream", [Reply(text=NORMAL, truncate_after_deltas=1)]),
    Fault("stream ended without message_stop", [Reply(text=NORMAL, end_after_deltas=1)]),
    Fault("connection reset", [Reply(reset=True)]),
]

DOC = "def add(a, b):\n    \n"


def options(**reliability: Any) -> dict[str, Any]:
    # Every completion here asks at the same cursor: remembered suggestions (type-through) would
    # answer from memory and the fault would never be asked for, so they are off in this suite.
    return {
        "renga": {
            "completion": {"timeoutMs": TIMEOUT_MS, "typeThrough": False},
            "reliability": {"breakerPauseMs": 100, "breakerFailures": 1000, **reliability},
        }
    }


async def complete(client: LanguageClient, uri: str) -> list[str]:
    result = await client.text_document_inline_completion_async(inline_params(uri, 1, 4))
    return [item.insert_text for item in items_of(result)]  # type: ignore[misc]


async def test_every_fault_is_survived_and_the_next_completion_works(
    anthropic_server: AnthropicTestServer, profile: str, workspace: Path, tmp_path: Path
) -> None:
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(env, profile, workspace, options())
    survived = []
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        anthropic_server.enqueue(Reply(text=NORMAL))  # the first call pays for importing the SDK
        assert await complete(client, uri) == [NORMAL]
        for fault in FAULTS:
            before = len(anthropic_server.messages_requests())
            anthropic_server.enqueue(*fault.replies)
            started = time.monotonic()
            shown = await complete(client, uri)
            elapsed = time.monotonic() - started
            assert shown == fault.shown, fault.name
            assert elapsed < fault.seconds, f"{fault.name}: gave up after {elapsed:.2f} s"
            sent = len(anthropic_server.messages_requests()) - before
            assert sent == fault.requests, f"{fault.name}: {sent} requests"
            # A rejected key pauses requests (breakerPauseMs here): the next one is the probe.
            await asyncio.sleep(0.15)
            anthropic_server.enqueue(Reply(text=NORMAL))
            assert await complete(client, uri) == [NORMAL], f"no completion after {fault.name}"
            survived.append(fault.name)
        assert client.protocol.writer is not None  # the server process is still connected
    finally:
        await client.shutdown_session()
    assert len(survived) == len(FAULTS)
    print(f"\nfaults tried: {len(FAULTS)}, survived: {len(survived)} ({profile})")


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def test_connection_refused_then_a_working_endpoint(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    dead = f"http://127.0.0.1:{closed_port()}"
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=dead)
    client = await start_session(env, "visual_studio_code", workspace, options())
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        assert await complete(client, uri) == []  # the first call pays for importing the SDK
        started = time.monotonic()
        assert await complete(client, uri) == []
        assert time.monotonic() - started < 1.0
        client.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(
                settings={"renga": {"baseUrl": anthropic_server.base_url}}
            )
        )
        anthropic_server.enqueue(Reply(text=NORMAL))
        assert await complete(client, uri) == [NORMAL]
    finally:
        await client.shutdown_session()


def statuses(client: LanguageClient) -> list[dict[str, Any]]:
    return list(client.statuses)  # type: ignore[attr-defined]


async def wait_until(predicate: Any) -> None:
    """Notifications arrive on their own schedule: poll for up to 3 s."""
    for _ in range(150):
        if predicate():
            return
        await asyncio.sleep(0.02)
    raise TimeoutError("condition not met within 3 s")


async def test_a_bad_key_is_said_once_and_causes_no_retry_storm(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    anthropic_server.default_reply = Reply(status=401)
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(  # default breaker settings
        env, "neovim", workspace, {"renga": {"completion": {"typeThrough": False}}}
    )
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        for _ in range(10):  # ten keystrokes' worth of completions
            assert await complete(client, uri) == []
        await wait_until(lambda: any(s["state"] == "error" for s in statuses(client)))
        assert len(anthropic_server.messages_requests()) == 1
        shown = [m for m in client.messages if "API key" in m.message]
        assert len(shown) == 1 and shown[0].type == types.MessageType.Error
        assert "ANTHROPIC_API_KEY" in shown[0].message and "HTTP 401" in shown[0].message
        errors = [s for s in statuses(client) if s["state"] == "error"]
        assert len(errors) == 1 and "API key" in errors[0]["message"]
    finally:
        await client.shutdown_session()


async def test_breaker_pauses_tells_once_and_recovers(
    anthropic_server: AnthropicTestServer, profile: str, workspace: Path, tmp_path: Path
) -> None:
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(
        env, profile, workspace, options(breakerFailures=3, breakerPauseMs=1500)
    )
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        anthropic_server.enqueue(Reply(text=NORMAL))  # a working start (and the warm-up done)
        assert await complete(client, uri) == [NORMAL]
        anthropic_server.enqueue(Reply(status=529), Reply(status=500), Reply(reset=True))
        for _ in range(3):
            assert await complete(client, uri) == []
        await wait_until(lambda: any(s["state"] == "warning" for s in statuses(client)))
        opened_at = time.monotonic()
        for _ in range(10):  # paused: refused locally, fast, and nothing more is said
            assert await complete(client, uri) == []
        assert len(anthropic_server.messages_requests()) == 4
        warnings = [s for s in statuses(client) if s["state"] == "warning"]
        assert len(warnings) == 1 and "paused" in warnings[0]["message"]
        shown = [m for m in client.messages if "paused" in m.message]
        assert len(shown) == 1 and shown[0].type == types.MessageType.Warning
        await asyncio.sleep(max(0.0, 1.6 - (time.monotonic() - opened_at)))
        anthropic_server.enqueue(Reply(text=NORMAL))
        assert await complete(client, uri) == [NORMAL]
        await wait_until(lambda: statuses(client)[-1]["state"] == "ready")
        assert len([m for m in client.messages if "paused" in m.message]) == 1
    finally:
        await client.shutdown_session()


@pytest.mark.parametrize("fault", ["429", "529"])
async def test_interactive_completions_are_never_retried(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path, fault: str
) -> None:
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(
        env, "visual_studio_code", workspace, {"renga": {"completion": {"typeThrough": False}}}
    )
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        anthropic_server.enqueue(Reply(text=NORMAL))  # the first call pays for importing the SDK
        assert await complete(client, uri) == [NORMAL]
        anthropic_server.enqueue(Reply(status=int(fault), headers={"retry-after": "1"}))
        started = time.monotonic()
        assert await complete(client, uri) == []
        assert time.monotonic() - started < 0.9  # did not wait out the retry-after
        await asyncio.sleep(1.2)
        assert len(anthropic_server.messages_requests()) == 2
    finally:
        await client.shutdown_session()


@pytest.mark.parametrize(
    "cut",
    [
        Reply(text=NORMAL, end_after_deltas=1),
        Reply(text=NORMAL, end_after_deltas=100),
        Reply(text=NORMAL, midstream_error="overloaded_error", error_after_deltas=2),
    ],
    ids=["ended after one token", "ended after the whole text", "error event"],
)
async def test_a_cut_stream_is_neither_shown_nor_remembered(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path, cut: Reply
) -> None:
    """A stream that ends without ``message_stop`` (a proxy cut it), even when all its text
    arrived, or with an error event, is a failure: nothing is shown, and the next request at that
    cursor asks the model again rather than getting the cut text from the type-through memory
    (on here, the default)."""
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(env, "visual_studio_code", workspace)
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        anthropic_server.enqueue(cut)
        assert await complete(client, uri) == []
        (cut_request,) = anthropic_server.messages_requests()
        assert cut_request.deltas_sent == min(cut.end_after_deltas or 2, 5)
        anthropic_server.enqueue(Reply(text=NORMAL))
        assert await complete(client, uri) == [NORMAL]
        assert len(anthropic_server.messages_requests()) == 2  # the model was asked again
        assert anthropic_server.messages_requests()[1].completed
    finally:
        await client.shutdown_session()


def set_timeout(client: LanguageClient, ms: int) -> None:
    client.workspace_did_change_configuration(
        types.DidChangeConfigurationParams(settings={"renga": {"completion": {"timeoutMs": ms}}})
    )


async def test_timeout_bounds_a_slow_trickle_of_tokens(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    """``completion.timeoutMs`` is a deadline for the whole answer: a stream that keeps sending a
    token now and then (each wait far below the HTTP timeout) still ends at it, shows nothing,
    and hangs up on the service; the next completion works."""
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(env, "neovim", workspace)
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        anthropic_server.enqueue(Reply(text=NORMAL))  # the first call pays for the connection
        assert await complete(client, uri) == [NORMAL]
        set_timeout(client, 300)
        trickle = "return " + "a + " * 40 + "b"  # about 120 tokens at 10 a second: 12 s
        anthropic_server.enqueue(Reply(text=trickle, tokens_per_second=10))
        other = open_document(client, workspace / "sub.py", "def sub(a, b):\n    \n")
        assert await complete(client, other) == []
        dripped = anthropic_server.messages_requests()[-1]
        assert not dripped.completed
        assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, dripped, 10.0)
        set_timeout(client, 5000)
        anthropic_server.enqueue(Reply(text=NORMAL))
        assert await complete(client, other) == [NORMAL]
    finally:
        await client.shutdown_session()


async def test_a_service_that_keeps_refusing_requests_is_told_once(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    # The service is up (no pause), but every request is refused: one 413 may be one odd
    # request, a streak will not fix itself.
    anthropic_server.default_reply = Reply(
        status=413, error_type="request_too_large", error_message="Request exceeds the maximum size"
    )
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    client = await start_session(env, "visual_studio_code", workspace, options())
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        for _ in range(8):
            assert await complete(client, uri) == []
        await wait_until(lambda: any("refused" in m.message for m in client.messages))
        assert len(anthropic_server.messages_requests()) == 8  # nothing paused
        (told,) = [m for m in client.messages if "refused" in m.message]
        assert "HTTP 413" in told.message and "exceeds the maximum size" in told.message
    finally:
        await client.shutdown_session()


@pytest.mark.parametrize(
    ("url", "words"),
    [
        ("http://renga-test.invalid", ["renga-test.invalid", "cannot be resolved"]),
        ("https://{server}", ["TLS with 127.0.0.1 failed"]),
    ],
    ids=["dns", "tls"],
)
async def test_an_unreachable_host_is_named_once(
    anthropic_server: AnthropicTestServer,
    workspace: Path,
    tmp_path: Path,
    url: str,
    words: list[str],
) -> None:
    base_url = url.format(server=anthropic_server.base_url.removeprefix("http://"))
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=base_url)
    client = await start_session(env, "neovim", workspace, options(breakerFailures=2))
    try:
        uri = open_document(client, workspace / "add.py", DOC)
        for _ in range(6):
            assert await complete(client, uri) == []
            await asyncio.sleep(0.12)  # past breakerPauseMs: each one is a real attempt
        await wait_until(lambda: any(words[0] in m.message for m in client.messages))
        (told,) = [m for m in client.messages if words[0] in m.message]
        assert all(w in told.message for w in words), told.message
        assert "Connection error." not in told.message
    finally:
        await client.shutdown_session()
