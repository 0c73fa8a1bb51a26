"""The Anthropic test server, exercised through the real ``anthropic`` SDK."""

from __future__ import annotations

import asyncio
import http.client
import json
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import anthropic
import httpx2
import pytest

from anthropic_server import (
    DEFAULT_TEXT,
    FORCED_TOOL_MESSAGE,
    PREFILL_MESSAGE,
    AnthropicTestServer,
    RecordedRequest,
    Reply,
    estimate_input_tokens,
    tokenize,
)

MODEL = "claude-haiku-4-5"
USER = [{"role": "user", "content": "complete: def add(a, b):"}]


def aclient(server: AnthropicTestServer, **kw: Any) -> anthropic.AsyncAnthropic:
    return anthropic.AsyncAnthropic(
        api_key="test-key", base_url=server.base_url, max_retries=0, **kw
    )


@pytest.fixture
def client(anthropic_server: AnthropicTestServer) -> Iterator[anthropic.Anthropic]:
    with anthropic.Anthropic(
        api_key="test-key", base_url=anthropic_server.base_url, max_retries=0
    ) as c:
        yield c


def only_request(server: AnthropicTestServer) -> RecordedRequest:
    (req,) = server.wait_for_requests(1, timeout=2)
    assert server.wait_for_finish(req, timeout=2)
    return req


# -- helpers -------------------------------------------------------------------------------


def test_tokenize_round_trips_and_is_about_four_chars() -> None:
    text = "def add(a, b):\n    return a + b  # sum\n"
    toks = tokenize(text)
    assert "".join(toks) == text
    assert all(len(t.strip()) <= 4 for t in toks)
    assert tokenize("Hello world") == ["Hell", "o", " worl", "d"]


# -- streaming -----------------------------------------------------------------------------


async def test_stream_text_and_final_usage(anthropic_server: AnthropicTestServer) -> None:
    text = "    return a + b\n"
    anthropic_server.enqueue(Reply(text=text))
    async with (
        aclient(anthropic_server) as c,
        c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as stream,
    ):
        chunks = [t async for t in stream.text_stream]
        final = await stream.get_final_message()
        request_id = stream.request_id
    assert chunks == tokenize(text)
    assert final.content[0].type == "text"
    assert final.content[0].text == text
    assert final.stop_reason == "end_turn"
    assert final.stop_sequence is None
    assert final.model == MODEL
    assert final.id.startswith("msg_")
    body = {"model": MODEL, "max_tokens": 64, "messages": USER}
    assert final.usage.input_tokens == estimate_input_tokens(body)
    assert final.usage.output_tokens == len(tokenize(text))
    assert final.usage.cache_creation_input_tokens == 0
    assert final.usage.cache_read_input_tokens == 0
    assert request_id is not None and request_id.startswith("req_")

    req = only_request(anthropic_server)
    assert req.path == "/v1/messages"
    assert req.stream
    assert req.body["messages"] == USER
    assert req.headers["authorization"] == "Bearer test-key"
    assert req.api_key == "test-key"
    assert "anthropic-version" in req.headers
    assert req.completed and not req.client_disconnected
    assert req.deltas_sent == len(tokenize(text))
    assert req.text_sent == text


def test_stream_wire_format_matches_the_api(anthropic_server: AnthropicTestServer) -> None:
    """Checks the raw bytes the SDK hides: ping, event/data pairs, chunked encoding."""
    anthropic_server.enqueue(Reply(text="ab cd"))
    conn = http.client.HTTPConnection("127.0.0.1", anthropic_server.port, timeout=5)
    body = {"model": MODEL, "max_tokens": 10, "messages": USER, "stream": True}
    conn.request("POST", "/v1/messages", json.dumps(body), {"content-type": "application/json"})
    resp = conn.getresponse()
    assert resp.status == 200
    assert resp.getheader("transfer-encoding") == "chunked"
    assert resp.getheader("content-type").startswith("text/event-stream")
    assert resp.getheader("request-id").startswith("req_")
    raw = resp.read().decode()
    events = [e for e in raw.split("\n\n") if e]
    names = []
    for e in events:
        name_line, data_line = e.split("\n")
        assert name_line.startswith("event: ") and data_line.startswith("data: ")
        name, data = name_line[7:], json.loads(data_line[6:])
        assert data["type"] == name
        names.append(name)
    assert names == [
        "message_start",
        "content_block_start",
        "ping",
        "content_block_delta",
        "content_block_delta",
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]
    start = json.loads(events[0].split("data: ", 1)[1])["message"]
    assert set(start["usage"]) >= {
        "input_tokens",
        "cache_creation_input_tokens",
        "cache_read_input_tokens",
        "output_tokens",
    }
    assert start["content"] == [] and start["stop_reason"] is None
    # Keep-alive: the same connection serves another request after the stream.
    conn.request("POST", "/v1/messages/count_tokens", json.dumps(body))
    assert conn.getresponse().status == 200
    conn.close()
    reqs = anthropic_server.requests
    assert reqs[0].client_port == reqs[1].client_port


def test_sdk_reuses_connection_after_stream(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
        s.until_done()
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    a, b = anthropic_server.wait_for_requests(2)
    assert a.client_port == b.client_port


def test_non_streaming(anthropic_server: AnthropicTestServer, client: anthropic.Anthropic) -> None:
    anthropic_server.enqueue(Reply(text="x = 1", input_tokens=1234))
    msg = client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == "x = 1"
    assert msg.usage.input_tokens == 1234
    assert msg.usage.output_tokens == len(tokenize("x = 1"))
    assert msg.stop_reason == "end_turn"
    req = only_request(anthropic_server)
    assert not req.stream and req.completed and req.status == 200


def test_default_reply(client: anthropic.Anthropic) -> None:
    msg = client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == DEFAULT_TEXT


def test_queue_then_responder(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(text="first"), Reply(text="second"))
    seen: list[str] = []

    def responder(req: RecordedRequest) -> Reply:
        seen.append(req.body["messages"][-1]["content"])
        return Reply(text="echo: " + req.body["messages"][-1]["content"])

    anthropic_server.responder = responder
    texts = []
    for i in range(3):
        msg = client.messages.create(
            model=MODEL, max_tokens=64, messages=[{"role": "user", "content": f"q{i}"}]
        )
        assert msg.content[0].type == "text"
        texts.append(msg.content[0].text)
    assert texts == ["first", "second", "echo: q2"]
    assert seen == ["q2"]


async def test_tool_use_streamed_as_partial_json(anthropic_server: AnthropicTestServer) -> None:
    tool_input = {"path": "src/app.py", "edits": [{"line": 3, "text": "return a + b"}]}
    anthropic_server.enqueue(
        Reply(text="Editing.", tool_calls=[{"name": "apply_edit", "input": tool_input}])
    )
    partials: list[str] = []
    async with (
        aclient(anthropic_server) as c,
        c.messages.stream(
            model=MODEL,
            max_tokens=200,
            messages=USER,
            tools=[{"name": "apply_edit", "input_schema": {"type": "object"}}],
        ) as stream,
    ):
        async for event in stream:
            if event.type == "input_json":
                partials.append(event.partial_json)
        final = await stream.get_final_message()
    assert final.stop_reason == "tool_use"
    assert [b.type for b in final.content] == ["text", "tool_use"]
    tool = final.content[1]
    assert tool.type == "tool_use"
    assert tool.name == "apply_edit"
    assert tool.id.startswith("toolu_")
    assert tool.input == tool_input
    assert len(partials) > 5  # really streamed in pieces
    assert "".join(partials) == json.dumps(tool_input, separators=(",", ":"))


def test_tool_use_non_streaming(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(text="", tool_calls=[{"name": "t", "input": {"k": 1}}]))
    msg = client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert [b.type for b in msg.content] == ["tool_use"]
    assert msg.content[0].type == "tool_use" and msg.content[0].input == {"k": 1}
    assert msg.stop_reason == "tool_use"


# -- cutting -------------------------------------------------------------------------------


async def test_stop_sequences_cut_before_first_match(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.enqueue(Reply(text="a = 1\n```\nb = 2\n\nc = 3"))
    async with (
        aclient(anthropic_server) as c,
        c.messages.stream(
            model=MODEL, max_tokens=64, messages=USER, stop_sequences=["\n\n", "```"]
        ) as stream,
    ):
        final = await stream.get_final_message()
    assert final.content[0].type == "text"
    assert final.content[0].text == "a = 1\n"
    assert final.stop_reason == "stop_sequence"
    assert final.stop_sequence == "```"
    assert final.usage.output_tokens == len(tokenize("a = 1\n"))


def test_max_tokens_cuts(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    text = "one two three four five six seven"
    anthropic_server.enqueue(Reply(text=text))
    with client.messages.stream(model=MODEL, max_tokens=3, messages=USER) as s:
        final = s.get_final_message()
    assert final.content[0].type == "text"
    assert final.content[0].text == "".join(tokenize(text)[:3]) == "one two thre"
    assert final.stop_reason == "max_tokens"
    assert final.usage.output_tokens == 3
    anthropic_server.enqueue(Reply(text=text))
    msg = client.messages.create(model=MODEL, max_tokens=2, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == "one two"
    assert msg.stop_reason == "max_tokens"


# -- errors --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "exc", "error_type"),
    [
        (400, anthropic.BadRequestError, "invalid_request_error"),
        (401, anthropic.AuthenticationError, "authentication_error"),
        (403, anthropic.PermissionDeniedError, "permission_error"),
        (404, anthropic.NotFoundError, "not_found_error"),
        (413, anthropic.ContentTooLargeError, "request_too_large"),
        (429, anthropic.RateLimitError, "rate_limit_error"),
        (500, anthropic.InternalServerError, "api_error"),
        (529, anthropic.OverloadedError, "overloaded_error"),
    ],
)
async def test_error_status_raises_sdk_class(
    anthropic_server: AnthropicTestServer,
    status: int,
    exc: type[anthropic.APIStatusError],
    error_type: str,
) -> None:
    anthropic_server.enqueue(Reply(status=status, error_message="scripted failure"))
    async with aclient(anthropic_server) as c:
        with pytest.raises(exc) as info:
            async with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
                await s.get_final_message()
    err = info.value
    assert type(err) is exc
    assert err.status_code == status
    assert err.type == error_type
    assert err.api_message == "scripted failure"
    assert err.request_id is not None and err.request_id.startswith("req_")
    assert isinstance(err.body, dict) and err.body["request_id"] == err.request_id


def test_rate_limit_carries_retry_after(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(status=429, headers={"retry-after": "7"}))
    with pytest.raises(anthropic.RateLimitError) as info:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert info.value.response.headers["retry-after"] == "7"
    assert info.value.status_code == 429


def test_retries_follow_retry_after(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(status=529, headers={"retry-after": "0"}), Reply(text="ok"))
    with anthropic.Anthropic(api_key="k", base_url=anthropic_server.base_url, max_retries=1) as c:
        msg = c.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == "ok"
    a, b = anthropic_server.requests
    assert (a.status, b.status) == (529, 200)
    assert b.headers["x-stainless-retry-count"] == "1"


async def test_midstream_error_event_raises(anthropic_server: AnthropicTestServer) -> None:
    text = "alpha beta gamma delta"
    anthropic_server.enqueue(
        Reply(text=text, midstream_error="overloaded_error", error_after_deltas=2)
    )
    got: list[str] = []
    async with aclient(anthropic_server) as c:
        with pytest.raises(anthropic.APIStatusError) as info:
            async with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
                async for t in s.text_stream:
                    got.append(t)
    # An error event after HTTP 200 keeps the 200 status: the SDK raises the base class.
    assert type(info.value) is anthropic.APIStatusError
    assert info.value.status_code == 200
    assert info.value.body == {
        "type": "error",
        "error": {"type": "overloaded_error", "message": "Overloaded"},
    }
    assert got == tokenize(text)[:2]
    req = only_request(anthropic_server)
    assert req.deltas_sent == 2


async def test_truncated_stream_raises(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(text="alpha beta gamma delta", truncate_after_deltas=2))
    async with aclient(anthropic_server) as c:
        # Not wrapped by the SDK: the transport error escapes as httpx2's own class.
        with pytest.raises(httpx2.RemoteProtocolError):
            async with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
                await s.get_final_message()
    req = only_request(anthropic_server)
    assert req.deltas_sent == 2 and not req.completed


def test_truncated_non_stream_raises(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(truncate_after_deltas=0))
    with pytest.raises(anthropic.APIConnectionError):
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)


def test_malformed_sse_raises(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(text="alpha beta gamma", malformed=True, error_after_deltas=1))
    with (
        pytest.raises(json.JSONDecodeError),
        client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s,
    ):
        s.get_final_message()


def test_connection_reset_raises_connection_error(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(reset=True))
    with pytest.raises(anthropic.APIConnectionError) as info:
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert not isinstance(info.value, anthropic.APITimeoutError)
    # The server is still fine afterwards.
    msg = client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert msg.content[0].type == "text" and msg.content[0].text == DEFAULT_TEXT


async def test_delayed_headers_time_out_client(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(delay_headers=3))
    async with aclient(anthropic_server, timeout=0.3) as c:
        t0 = time.monotonic()
        with pytest.raises(anthropic.APITimeoutError):
            await c.messages.create(model=MODEL, max_tokens=64, messages=USER)
        assert time.monotonic() - t0 < 1.5
    (req,) = anthropic_server.requests
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, req, 1.0)
    assert req.status is None and not req.completed


def test_invalid_requests_get_api_errors(anthropic_server: AnthropicTestServer) -> None:
    with httpx2.Client(base_url=anthropic_server.base_url) as h:
        r = h.post(
            "/v1/messages", json={"model": MODEL, "messages": USER}, headers={"x-api-key": "k"}
        )
        assert r.status_code == 400
        assert r.json()["error"] == {
            "type": "invalid_request_error",
            "message": "max_tokens: Field required",
        }
        r = h.post("/v1/messages", content=b"{nope")
        assert r.status_code == 400
        assert r.json()["type"] == "error"
        r = h.get("/v1/other")
        assert r.status_code == 404
        body = r.json()
        assert body["error"]["type"] == "not_found_error"
        assert body["request_id"] == r.headers["request-id"]
    assert anthropic_server.requests[0].api_key == "k"


def test_unknown_endpoint_is_not_found_for_sdk(client: anthropic.Anthropic) -> None:
    with pytest.raises(anthropic.NotFoundError):
        client.messages.batches.list()


# -- timing and hang-ups -------------------------------------------------------------------


async def test_ttft_and_tokens_per_second(anthropic_server: AnthropicTestServer) -> None:
    text = "x" * 44  # 11 tokens
    assert len(tokenize(text)) == 11
    anthropic_server.enqueue(Reply(text=text, ttft=0.3, tokens_per_second=50))
    async with aclient(anthropic_server) as c:
        t0 = time.monotonic()
        first = None
        async with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
            async for _ in s.text_stream:
                if first is None:
                    first = time.monotonic() - t0
        total = time.monotonic() - t0
    assert first is not None
    assert 0.28 <= first <= 0.6, first
    assert 0.48 <= total <= 1.0, total  # 0.3 s + 10 gaps of 20 ms


def test_non_streaming_waits_for_the_whole_answer(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(text="x" * 40, ttft=0.2, tokens_per_second=50))
    t0 = time.monotonic()
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert 0.38 <= time.monotonic() - t0 <= 0.9


async def test_hang_up_during_ttft_is_seen_quickly(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(text="never sent", ttft=2.0))
    async with aclient(anthropic_server) as c:
        async with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
            async for event in s:
                assert event.type == "message_start"
                break
        closed_at = time.monotonic()
    (req,) = anthropic_server.requests
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, req, 0.5)
    assert req.finished_at is not None and req.finished_at - closed_at < 0.5
    assert req.deltas_sent == 0 and not req.completed


async def test_hang_up_between_deltas_is_seen(anthropic_server: AnthropicTestServer) -> None:
    text = "x" * 400  # 100 tokens at 20/s would take 5 s
    anthropic_server.enqueue(Reply(text=text, tokens_per_second=20))
    async with (
        aclient(anthropic_server) as c,
        c.messages.stream(model=MODEL, max_tokens=200, messages=USER) as s,
    ):
        n = 0
        async for _ in s.text_stream:
            n += 1
            if n == 3:
                break
    (req,) = anthropic_server.requests
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, req, 0.5)
    assert 3 <= req.deltas_sent < 10
    assert not req.completed


def test_wait_for_disconnect_is_false_for_a_finished_request(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    req = only_request(anthropic_server)
    t0 = time.monotonic()
    assert not anthropic_server.wait_for_disconnect(req, 2.0)
    assert time.monotonic() - t0 < 0.5


async def test_concurrent_streams(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.responder = lambda req: Reply(
        text="answer " + req.body["messages"][0]["content"], ttft=0.5, tokens_per_second=100
    )

    async def one(c: anthropic.AsyncAnthropic, i: int) -> str:
        messages = [{"role": "user", "content": f"n{i}"}]
        async with c.messages.stream(model=MODEL, max_tokens=64, messages=messages) as s:
            return await s.get_final_text()

    async with aclient(anthropic_server) as c:
        t0 = time.monotonic()
        results = await asyncio.gather(*(one(c, i) for i in range(5)))
        elapsed = time.monotonic() - t0
    assert results == [f"answer n{i}" for i in range(5)]
    assert elapsed < 1.5, elapsed  # serially it would take 5 x 0.5 s
    reqs = anthropic_server.requests
    assert len(reqs) == 5 and all(r.completed for r in reqs)
    assert len({r.client_port for r in reqs}) == 5


# -- count_tokens and caching --------------------------------------------------------------


def test_count_tokens(anthropic_server: AnthropicTestServer, client: anthropic.Anthropic) -> None:
    system = "You complete code."
    result = client.messages.count_tokens(model=MODEL, system=system, messages=USER)
    body = {"model": MODEL, "system": system, "messages": USER}
    assert result.input_tokens == estimate_input_tokens(body)
    req = only_request(anthropic_server)
    assert req.path == "/v1/messages/count_tokens"
    assert anthropic_server.messages_requests() == []


def _cached_call(client: anthropic.Anthropic, stable: str, live: str) -> anthropic.types.Usage:
    msg = client.messages.create(
        model=MODEL,
        max_tokens=16,
        system=[
            {"type": "text", "text": "You complete code."},
            {"type": "text", "text": stable, "cache_control": {"type": "ephemeral"}},
        ],
        messages=[{"role": "user", "content": live}],
    )
    return msg.usage


def test_cache_creation_then_read(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    stable = "def f(x):\n    return x\n" * 800  # about 4,800 tokens by the server's estimate
    first = _cached_call(client, stable, "cursor at line 1")
    assert first.cache_creation_input_tokens is not None
    assert first.cache_creation_input_tokens >= 4096
    assert first.cache_read_input_tokens == 0
    # Only what follows the breakpoint counts as input.
    assert 0 < first.input_tokens < 100

    second = _cached_call(client, stable, "cursor at line 2 (a different live window)")
    assert second.cache_read_input_tokens == first.cache_creation_input_tokens
    assert second.cache_creation_input_tokens == 0
    assert second.input_tokens > first.input_tokens

    third = _cached_call(client, stable + "# edited\n", "cursor at line 1")
    assert third.cache_read_input_tokens == 0
    assert third.cache_creation_input_tokens is not None
    assert third.cache_creation_input_tokens > first.cache_creation_input_tokens


def test_cache_needs_minimum_prefix(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    small = "def f(x):\n    return x\n" * 100  # about 600 tokens
    for _ in range(2):
        usage = _cached_call(client, small, "live")
        assert usage.cache_creation_input_tokens == 0
        assert usage.cache_read_input_tokens == 0
    anthropic_server.cache_min_tokens = 100
    assert _cached_call(client, small, "live").cache_creation_input_tokens
    assert _cached_call(client, small, "live").cache_read_input_tokens


def test_cache_read_on_longest_cached_prefix(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    """A later request with one more breakpoint reads the old prefix, writes the rest."""
    anthropic_server.cache_min_tokens = 1024
    stable = "x = 1\n" * 1000
    first = _cached_call(client, stable, "live")
    msg = client.messages.create(
        model=MODEL,
        max_tokens=16,
        system=[
            {"type": "text", "text": "You complete code."},
            {"type": "text", "text": stable, "cache_control": {"type": "ephemeral"}},
        ],
        messages=[
            {
                "role": "user",
                "content": [
                    {
                        "type": "text",
                        "text": "y = 2\n" * 300,
                        "cache_control": {"type": "ephemeral"},
                    },
                    {"type": "text", "text": "live"},
                ],
            }
        ],
    )
    assert msg.usage.cache_read_input_tokens == first.cache_creation_input_tokens
    assert msg.usage.cache_creation_input_tokens is not None
    assert 500 <= msg.usage.cache_creation_input_tokens <= 560  # the 2,100-char block


def test_usage_overrides(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(
        Reply(input_tokens=5, cache_creation_input_tokens=7, cache_read_input_tokens=9)
    )
    with client.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
        usage = s.get_final_message().usage
    assert (
        usage.input_tokens,
        usage.cache_creation_input_tokens,
        usage.cache_read_input_tokens,
    ) == (
        5,
        7,
        9,
    )


# -- lifecycle and script mode -------------------------------------------------------------


def test_stop_closes_idle_keep_alive_connections() -> None:
    server = AnthropicTestServer().start()
    with anthropic.Anthropic(api_key="k", base_url=server.base_url, max_retries=0) as c:
        c.messages.create(model=MODEL, max_tokens=64, messages=USER)
        t0 = time.monotonic()
        server.stop()
        assert time.monotonic() - t0 < 2
        with pytest.raises(anthropic.APIConnectionError):
            c.messages.create(model=MODEL, max_tokens=64, messages=USER)


def _run_script(args: list[str]) -> tuple[subprocess.Popen[str], str]:
    script = Path(__file__).with_name("anthropic_server.py")
    proc = subprocess.Popen(
        [sys.executable, str(script), "--port", "0", *args],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert proc.stdout is not None
    line = proc.stdout.readline().strip()
    assert line.startswith("READY http://127.0.0.1:"), line
    return proc, line.split(" ", 1)[1]


def test_script_mode(tmp_path: Path) -> None:
    script = tmp_path / "replies.json"
    script.write_text(json.dumps([{"text": "scripted one"}, {"status": 429}]))
    proc, url = _run_script(["--text", "fixed", "--ttft", "0.1", "--script", str(script)])
    try:
        with anthropic.Anthropic(api_key="k", base_url=url, max_retries=0) as c:
            with c.messages.stream(model=MODEL, max_tokens=64, messages=USER) as s:
                assert s.get_final_text() == "scripted one"
            with pytest.raises(anthropic.RateLimitError):
                c.messages.create(model=MODEL, max_tokens=64, messages=USER)
            t0 = time.monotonic()
            msg = c.messages.create(model=MODEL, max_tokens=64, messages=USER)
            assert msg.content[0].type == "text" and msg.content[0].text == "fixed"
            assert time.monotonic() - t0 >= 0.1
    finally:
        proc.terminate()
        assert proc.wait(timeout=5) == 0


def test_broken_responder_answers_500(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    def responder(req: RecordedRequest) -> Reply:
        raise KeyError("oops")

    anthropic_server.responder = responder
    with pytest.raises(anthropic.InternalServerError, match="responder failed"):
        client.messages.create(model=MODEL, max_tokens=64, messages=USER)
    assert [type(e) for e in anthropic_server.errors] == [KeyError]


# -- today's lineup: per-model answers (shared/notes/claude-api.md) -------------------------

TOOL = {
    "name": "answer",
    "input_schema": {"type": "object", "properties": {"x": {"type": "string"}}},
}


def refused(call: Any) -> anthropic.APIStatusError:
    with pytest.raises(anthropic.APIStatusError) as info:
        call()
    return info.value


def test_retired_model_is_404_and_keeps_the_scripted_reply(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    anthropic_server.enqueue(Reply(text="kept"))
    for model in ("claude-sonnet-4-5", "claude-sonnet-4-5-20250929"):
        error = refused(
            lambda m=model: client.messages.create(model=m, max_tokens=5, messages=USER)
        )
        assert error.status_code == 404
        assert error.body["error"] == {"type": "not_found_error", "message": f"model: {model}"}
    answer = client.messages.create(
        model="claude-sonnet-5-5", max_tokens=50, messages=USER, thinking={"type": "between_tools"}
    )
    assert answer.content[-1].text == "kept"


def test_the_notes_400s_with_their_messages(client: anthropic.Anthropic) -> None:
    prefill = [*USER, {"role": "assistant", "content": "<fill>"}]
    for model in ("claude-haiku-5-5", "claude-sonnet-4-6", "claude-sonnet-5-5"):
        error = refused(
            lambda m=model: client.messages.create(model=m, max_tokens=5, messages=prefill)
        )
        assert error.status_code == 400 and error.body["error"]["message"] == PREFILL_MESSAGE
    client.messages.create(model="claude-haiku-4-5", max_tokens=5, messages=prefill)

    forced: Any = {"type": "tool", "name": "answer"}
    error = refused(
        lambda: client.messages.create(
            model="claude-sonnet-5-5", max_tokens=5, messages=USER, tools=[TOOL], tool_choice=forced
        )
    )
    assert error.body["error"]["message"] == FORCED_TOOL_MESSAGE
    error = refused(
        lambda: client.messages.count_tokens(
            model="claude-sonnet-5-5", messages=USER, tools=[TOOL], tool_choice=forced
        )
    )
    assert error.body["error"]["message"] == FORCED_TOOL_MESSAGE
    client.messages.create(
        model="claude-haiku-5-5", max_tokens=50, messages=USER, tools=[TOOL], tool_choice=forced
    )

    error = refused(
        lambda: client.messages.create(
            model="claude-haiku-4-5", max_tokens=5, messages=USER, extra_body={"temperature": 0.2}
        )
    )
    assert error.body["error"]["message"] == "temperature: Extra inputs are not permitted"

    error = refused(
        lambda: client.messages.create(
            model="claude-sonnet-5-5", max_tokens=5, messages=USER, thinking={"type": "disabled"}
        )
    )
    assert error.status_code == 400 and '"disabled"' in error.body["error"]["message"]
    error = refused(
        lambda: client.messages.create(
            model="claude-haiku-5-5",
            max_tokens=5,
            messages=USER,
            thinking={"type": "disabled"},
            output_config={"effort": "max"},
        )
    )
    assert error.status_code == 400


def test_strict_tools_need_closed_schemas(client: anthropic.Anthropic) -> None:
    open_tool: Any = {**TOOL, "strict": True}
    error = refused(
        lambda: client.messages.create(
            model="claude-sonnet-5-5",
            max_tokens=5,
            messages=USER,
            tools=[open_tool],
            thinking={"type": "between_tools"},
        )
    )
    assert "additionalProperties" in error.body["error"]["message"]
    closed: Any = {
        **open_tool,
        "input_schema": {**TOOL["input_schema"], "additionalProperties": False},
    }
    client.messages.create(
        model="claude-sonnet-5-5",
        max_tokens=50,
        messages=USER,
        tools=[closed],
        tool_choice={"type": "auto"},
        thinking={"type": "between_tools"},
    )


async def test_5x_models_think_first_unless_told_not_to(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.default_reply = Reply(text="return a + b", thinking="Add them.")
    async with aclient(anthropic_server) as c:
        events = [
            e
            async for e in await c.messages.create(
                model="claude-haiku-5-5", max_tokens=50, messages=USER, stream=True
            )
        ]
        starts = [e.content_block for e in events if e.type == "content_block_start"]
        assert [b.type for b in starts] == ["thinking", "text"]
        texts = [
            e for e in events if e.type == "content_block_delta" and e.delta.type == "text_delta"
        ]
        assert {e.index for e in texts} == {1}
        assert any(
            e.delta.type == "signature_delta" for e in events if e.type == "content_block_delta"
        )
        # Thinking counts against max_tokens: a small budget ends before any text.
        short = await c.messages.create(model="claude-haiku-5-5", max_tokens=2, messages=USER)
        assert short.stop_reason == "max_tokens"
        assert [b.type for b in short.content] == ["thinking"]
        quiet = await c.messages.create(
            model="claude-haiku-5-5",
            max_tokens=50,
            messages=USER,
            thinking={"type": "disabled"},
            output_config={"effort": "low"},
        )
        assert [b.type for b in quiet.content] == ["text"]
        old = await c.messages.create(model="claude-haiku-4-5", max_tokens=50, messages=USER)
        assert [b.type for b in old.content] == ["text"]


def test_models_api_lists_lifecycle_and_capabilities(client: anthropic.Anthropic) -> None:
    listed = {m.id: m for m in client.models.list()}
    assert "claude-sonnet-4-5-20250929" not in listed  # retired: only when asked for
    assert listed["claude-sonnet-4-6"].lifecycle == "deprecated"
    sonnet = listed["claude-sonnet-5-5"]
    assert sonnet.line == "sonnet" and sonnet.capabilities is not None
    assert not sonnet.capabilities.thinking.types.disabled.supported
    everything = {
        m.id: m for m in client.models.list(lifecycle=["active", "deprecated", "retired"])
    }
    assert everything["claude-sonnet-4-5-20250929"].lifecycle == "retired"
    assert str(everything["claude-sonnet-4-5-20250929"].retires_at)[:10] == "2026-11-30"


def test_cache_minimum_and_token_count_per_model(
    anthropic_server: AnthropicTestServer, client: anthropic.Anthropic
) -> None:
    system: Any = [{"type": "text", "text": "x " * 1500, "cache_control": {"type": "ephemeral"}}]
    small = client.messages.create(
        model="claude-haiku-5-5",
        max_tokens=50,
        messages=USER,
        system=system,
        thinking={"type": "disabled"},
    )
    assert small.usage.cache_creation_input_tokens > 0  # ~1,000 tokens >= 512
    old = client.messages.create(
        model="claude-haiku-4-5", max_tokens=50, messages=USER, system=system
    )
    assert old.usage.cache_creation_input_tokens == 0  # < 4,096
    four = client.messages.count_tokens(model="claude-haiku-4-5", messages=USER, system=system)
    five = client.messages.count_tokens(model="claude-haiku-5-5", messages=USER, system=system)
    assert five.input_tokens == pytest.approx(four.input_tokens * 1.3, rel=0.01)


def test_without_the_lineup_every_model_is_answered_alike() -> None:
    with (
        AnthropicTestServer(lineup=False) as server,
        anthropic.Anthropic(api_key="k", base_url=server.base_url, max_retries=0) as c,
    ):
        prefill = [*USER, {"role": "assistant", "content": "<"}]
        answer = c.messages.create(model="claude-sonnet-4-5", max_tokens=50, messages=prefill)
        assert answer.content[0].type == "text"
        with pytest.raises(anthropic.NotFoundError):
            c.models.list()
