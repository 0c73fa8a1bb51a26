"""The model module against the Anthropic-compatible test server, through the real SDK."""

from __future__ import annotations

import asyncio
import dataclasses
from pathlib import Path

import anthropic
import pytest

from anthropic_server import AnthropicTestServer, Reply, tokenize
from renga.config import ModelSettings, ReliabilitySettings, Settings
from renga.model.breaker import BreakerChange
from renga.model.catalog import Usage
from renga.model.client import ModelClient, TextStream, _dumped, credentials_problem
from renga.model.errors import Failure, ModelError
from renga.model.request import ModelRequest


def make_client(
    server: AnthropicTestServer, cache_dir: Path | None = None, **models: object
) -> tuple[ModelClient, list[Usage], list[str]]:
    settings = Settings(
        base_url=server.base_url, models=dataclasses.replace(ModelSettings(), **models)
    )
    usages: list[Usage] = []
    notices: list[str] = []
    client = ModelClient(
        settings,
        environ={"ANTHROPIC_API_KEY": "sk-test"},
        on_usage=lambda feature, usage: usages.append(usage),
        on_notice=notices.append,
        cache_dir=cache_dir,
    )
    return client, usages, notices


def request(**kw: object) -> ModelRequest:
    fields: dict[str, object] = {
        "role": "fast",
        "feature": "test",
        "system": [{"type": "text", "text": "sys"}],
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 50,
        "prefill": "<fill>",
        "interactive": True,
    }
    fields.update(kw)
    return ModelRequest(**fields)  # type: ignore[arg-type]


async def test_stream_text_prefill_and_usage(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(text="return 42", input_tokens=120))
    client, usages, _ = make_client(anthropic_server)
    async with client.stream(request()) as stream:
        text = "".join([piece async for piece in stream.text()])
    await client.aclose()
    assert text == "return 42"
    assert stream.prefill == "<fill>"
    body = anthropic_server.requests[-1].body
    assert body["messages"][-1] == {"role": "assistant", "content": "<fill>"}
    assert "temperature" not in body  # API version 2026-10-21 rejects it
    assert usages[0].input_tokens == 120 and usages[0].output_tokens > 0


async def test_prefill_is_left_out_for_models_that_reject_it(
    anthropic_server: AnthropicTestServer,
) -> None:
    client, _, _ = make_client(anthropic_server, fast="claude-haiku-4-6")
    async with client.stream(request()) as stream:
        [piece async for piece in stream.text()]
    await client.aclose()
    assert stream.prefill == ""
    assert anthropic_server.requests[-1].body["messages"][-1]["role"] == "user"


async def test_retired_model_falls_back_once_and_tells_the_user(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.enqueue(
        Reply(status=404, error_type="not_found_error", error_message="model: gone")
    )
    client, _, notices = make_client(
        anthropic_server, fast="claude-gone", fast_fallbacks=["claude-haiku-4-5"]
    )
    async with client.stream(request()) as stream:
        [piece async for piece in stream.text()]
    async with client.stream(request()) as again:
        [piece async for piece in again.text()]
    await client.aclose()
    models = [r.body["model"] for r in anthropic_server.messages_requests()]
    assert models == ["claude-gone", "claude-haiku-4-5", "claude-haiku-4-5"]
    assert stream.model == "claude-haiku-4-5"
    assert len(notices) == 1 and "claude-gone" in notices[0]


@pytest.mark.parametrize(
    ("reply", "failure"),
    [
        (Reply(status=401, error_type="authentication_error"), Failure.AUTH),
        (Reply(status=429, headers={"retry-after": "7"}), Failure.RATE_LIMIT),
        (Reply(status=529), Failure.OVERLOADED),
        (
            Reply(text="abc def ghi", midstream_error="overloaded_error", error_after_deltas=1),
            Failure.OVERLOADED,
        ),
        (Reply(text="abc def ghi jkl", truncate_after_deltas=1), Failure.CONNECTION),
        (Reply(text="abc def", malformed=True), Failure.STREAM),
        # Ended cleanly but without message_stop (a proxy cut it): short, not whole.
        (Reply(text="abc def ghi jkl", end_after_deltas=1), Failure.STREAM),
        (Reply(text="abc def ghi jkl", end_after_deltas=100), Failure.STREAM),
    ],
)
async def test_failures_become_model_errors(
    anthropic_server: AnthropicTestServer, reply: Reply, failure: Failure
) -> None:
    anthropic_server.enqueue(reply)
    client, _, _ = make_client(anthropic_server)
    with pytest.raises(ModelError) as info:
        async with client.stream(request()) as stream:
            [piece async for piece in stream.text()]
    await client.aclose()
    assert info.value.failure is failure
    if reply.status == 429:
        assert info.value.retry_after == 7
    assert len(anthropic_server.messages_requests()) == 1  # interactive: never retried


@pytest.mark.parametrize(
    "reply",
    [
        Reply(text="a " * 100, tokens_per_second=20),  # a slow trickle: 10 s of tokens
        Reply(text="a b", delay_headers=10.0),  # no answer at all before the deadline
    ],
    ids=["slow stream", "slow headers"],
)
async def test_the_deadline_bounds_the_whole_answer(
    anthropic_server: AnthropicTestServer, reply: Reply
) -> None:
    # Each wait is far shorter than the HTTP timeout: only the deadline can end the call.
    anthropic_server.enqueue(reply)
    client, _, _ = make_client(anthropic_server)
    deadline = asyncio.get_running_loop().time() + 0.3
    with pytest.raises(ModelError) as info:
        async with client.stream(request(), deadline=deadline) as stream:
            [piece async for piece in stream.text()]
    assert info.value.failure is Failure.TIMEOUT
    recorded = anthropic_server.messages_requests()[-1]
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, recorded, 5.0)
    assert not recorded.completed
    assert client.breaker.consecutive == 1  # a failure, as the breaker counts them
    await client.aclose()


async def test_leaving_the_stream_closes_the_http_response(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.enqueue(Reply(text="x " * 200, ttft=0.05, tokens_per_second=50))
    client, usages, _ = make_client(anthropic_server)
    async with client.stream(request()) as stream:
        async for _ in stream.text():
            break
    recorded = anthropic_server.requests[-1]
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, recorded, 2.0)
    await client.aclose()
    assert usages and usages[0].output_tokens >= 1  # an aborted stream is still counted


async def test_create_returns_tool_calls(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(tool_calls=[{"name": "edit", "input": {"text": "x"}}]))
    client, _, _ = make_client(anthropic_server)
    reply = await client.create(request(role="smart", interactive=False, prefill=""))
    await client.aclose()
    assert reply.tool_calls[0]["name"] == "edit" and reply.tool_calls[0]["input"] == {"text": "x"}
    assert reply.model == "claude-sonnet-5-5"


def test_missing_credentials_name_what_to_set() -> None:
    assert "ANTHROPIC_API_KEY" in (credentials_problem(Settings(), {}) or "")
    assert credentials_problem(Settings(), {"ANTHROPIC_API_KEY": "k"}) is None
    vertex = credentials_problem(Settings(provider="vertex"), {}) or ""
    assert "CLOUD_ML_REGION" in vertex and "ANTHROPIC_VERTEX_PROJECT_ID" in vertex
    assert "AWS_REGION" in (credentials_problem(Settings(provider="bedrock"), {}) or "")


# -- retries and the circuit breaker (background requests retry; completions never do) ----------


def reliable_client(
    server: AnthropicTestServer, **reliability: object
) -> tuple[ModelClient, list[BreakerChange]]:
    options: dict[str, object] = {"backoff_ms": 20, "breaker_pause_ms": 300}
    options.update(reliability)
    settings = Settings(
        base_url=server.base_url,
        reliability=dataclasses.replace(ReliabilitySettings(), **options),
    )
    changes: list[BreakerChange] = []
    client = ModelClient(
        settings, environ={"ANTHROPIC_API_KEY": "sk-test"}, on_breaker=changes.append
    )
    return client, changes


def background(**kw: object) -> ModelRequest:
    return request(role="smart", interactive=False, prefill="", **kw)


@pytest.mark.parametrize("status", [429, 500, 504, 529])
async def test_background_requests_retry_with_backoff_then_succeed(
    anthropic_server: AnthropicTestServer, status: int
) -> None:
    anthropic_server.enqueue(Reply(status=status), Reply(status=status), Reply(text="done"))
    client, _ = reliable_client(anthropic_server)
    reply = await client.create(background())
    await client.aclose()
    assert reply.text == "done"
    assert len(anthropic_server.messages_requests()) == 3


async def test_retries_are_bounded(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.default_reply = Reply(status=500)
    client, _ = reliable_client(anthropic_server, retries=2, breaker_failures=100)
    with pytest.raises(ModelError) as info:
        await client.create(background())
    await client.aclose()
    assert info.value.failure is Failure.SERVER
    assert len(anthropic_server.messages_requests()) == 3


async def test_a_short_retry_after_is_waited_for(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(status=429, headers={"retry-after": "1"}), Reply(text="ok"))
    client, _ = reliable_client(anthropic_server)
    assert (await client.create(background())).text == "ok"
    await client.aclose()
    first, second = anthropic_server.messages_requests()
    assert first.finished_at is not None
    assert 0.9 < second.started_at - first.finished_at < 3.0


async def test_a_retry_after_over_the_cap_fails_at_once(
    anthropic_server: AnthropicTestServer,
) -> None:
    # The SDK would sleep the whole minute; renga gives the error back instead.
    anthropic_server.enqueue(Reply(status=429, headers={"retry-after": "60"}), Reply(text="ok"))
    client, _ = reliable_client(anthropic_server, max_retry_after_ms=5000)
    started = asyncio.get_running_loop().time()
    with pytest.raises(ModelError) as info:
        await client.create(background())
    await client.aclose()
    assert info.value.failure is Failure.RATE_LIMIT and info.value.retry_after == 60
    assert asyncio.get_running_loop().time() - started < 2
    assert len(anthropic_server.messages_requests()) == 1


async def test_a_rejected_key_is_not_retried_and_pauses_requests(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.default_reply = Reply(status=401)
    client, changes = reliable_client(anthropic_server, breaker_pause_ms=60000)
    with pytest.raises(ModelError) as info:
        await client.create(background())
    assert info.value.failure is Failure.AUTH
    for _ in range(5):  # no retry storm: later calls are refused without a request
        with pytest.raises(ModelError) as again:
            async with client.stream(request()) as stream:
                [piece async for piece in stream.text()]
        assert again.value.failure is Failure.PAUSED
    await client.aclose()
    assert len(anthropic_server.messages_requests()) == 1
    (change,) = changes
    assert change.auth and "API key" in change.message


async def test_breaker_opens_on_repeated_stream_failures_and_recovers_after_a_probe(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.enqueue(
        Reply(text="a b c", midstream_error="overloaded_error", error_after_deltas=1),
        Reply(status=529),
        Reply(reset=True),
    )
    client, changes = reliable_client(anthropic_server, breaker_failures=3)
    for _ in range(3):
        with pytest.raises(ModelError):
            async with client.stream(request()) as stream:
                [piece async for piece in stream.text()]
    with pytest.raises(ModelError) as paused:
        async with client.stream(request()) as stream:
            [piece async for piece in stream.text()]
    assert paused.value.failure is Failure.PAUSED
    assert len(anthropic_server.messages_requests()) == 3
    await asyncio.sleep(0.35)
    async with client.stream(request()) as stream:  # the probe: the service answers again
        text = "".join([piece async for piece in stream.text()])
    await client.aclose()
    assert text
    assert [c.state for c in changes] == ["open", "closed"]
    assert changes[0].new_outage and not changes[0].auth


async def test_typed_sdk_events_read_like_raw_ones(anthropic_server: AnthropicTestServer) -> None:
    # Bedrock's stream is decoded by the SDK into typed events (renga reads the others raw):
    # both must give the same text and usage. The typed events come from the SDK itself here.
    anthropic_server.enqueue(Reply(text="alpha beta", input_tokens=42))
    sdk = anthropic.AsyncAnthropic(api_key="sk-test", base_url=anthropic_server.base_url)
    typed = await sdk.messages.create(
        model="claude-haiku-4-5",
        max_tokens=20,
        messages=[{"role": "user", "content": "hi"}],
        stream=True,
    )
    stream = TextStream(_dumped(typed), "claude-haiku-4-5", "")
    text = "".join([piece async for piece in stream.text()])
    await sdk.close()
    assert text == "alpha beta"
    assert stream.finished and stream.stop_reason == "end_turn"
    assert stream.usage.input_tokens == 42 and stream.usage.output_tokens >= 2


# -- today's lineup: request shapes, the Models API, prices ----------------------------------

EDIT_TOOL = {
    "name": "edit",
    "input_schema": {
        "type": "object",
        "properties": {"text": {"type": "string"}},
        "required": ["text"],
    },
}


def tool_request(**kw: object) -> ModelRequest:
    return request(
        role="smart",
        interactive=False,
        prefill="",
        tools=[EDIT_TOOL],
        tool_choice={"type": "tool", "name": "edit"},
        **kw,
    )


async def test_sonnet_5_5_structured_answer_without_forced_tools(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.enqueue(Reply(tool_calls=[{"name": "edit", "input": {"text": "x"}}]))
    client, _, _ = make_client(anthropic_server, tmp_path)
    reply = await client.create(tool_request())
    await client.aclose()
    assert reply.model == "claude-sonnet-5-5" and reply.tool_calls[0]["input"] == {"text": "x"}
    (sent,) = anthropic_server.messages_requests()
    assert sent.status == 200
    assert sent.body["tool_choice"] == {"type": "auto"}
    assert sent.body["tools"][0]["strict"] is True
    assert sent.body["thinking"] == {"type": "between_tools"}


async def test_haiku_5_5_completion_does_not_think(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return 42"))
    client, usages, _ = make_client(anthropic_server, tmp_path, fast="claude-haiku-5-5")
    async with client.stream(request(max_tokens=4)) as stream:
        text = "".join([piece async for piece in stream.text()])
    await client.aclose()
    assert text == "return 42" and stream.stop_reason == "end_turn"
    body = anthropic_server.messages_requests()[0].body
    assert body["thinking"] == {"type": "disabled"}
    assert body["output_config"] == {"effort": "low"}
    assert body["messages"][-1]["role"] == "user"  # no prefill on 5.x
    assert usages[0].output_tokens == len(tokenize("return 42"))  # no thinking tokens


async def test_smart_effort_thinks_and_the_text_after_the_thinking_block_is_read(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.enqueue(Reply(text="done", thinking="Plan the change first."))
    client, _, _ = make_client(anthropic_server, tmp_path, smart_effort="high")
    async with client.stream(request(role="smart", prefill="")) as stream:
        text = "".join([piece async for piece in stream.text()])
    await client.aclose()
    assert text == "done"
    body = anthropic_server.messages_requests()[0].body
    assert body["thinking"] == {"type": "adaptive"} and body["output_config"] == {"effort": "high"}


async def test_retired_model_is_skipped_from_the_models_api_without_a_404(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    client, _, notices = make_client(anthropic_server, tmp_path, smart="claude-sonnet-4-5")
    await client.warm()
    reply = await client.create(request(role="smart", interactive=False, prefill=""))
    again = await client.create(request(role="smart", interactive=False, prefill=""))
    await client.aclose()
    assert reply.model == again.model == "claude-sonnet-5-5"
    assert [r.status for r in anthropic_server.messages_requests()] == [200, 200]
    (notice,) = notices
    assert "claude-sonnet-4-5" in notice and "claude-sonnet-5-5" in notice
    # A second client with the same key reads the day-old cache, not the API.
    listed = [r for r in anthropic_server.requests if r.path.startswith("/v1/models")]
    assert len(listed) == 1
    second, _, _ = make_client(anthropic_server, tmp_path, smart="claude-sonnet-4-5")
    await second.warm()
    await second.aclose()
    assert len([r for r in anthropic_server.requests if r.path.startswith("/v1/models")]) == 1
    assert second.models("smart")[0] == "claude-sonnet-5-5"


async def test_without_models_api_a_404_still_falls_back_within_the_line(
    tmp_path: Path,
) -> None:
    with AnthropicTestServer(lineup=False) as server:
        server.enqueue(Reply(status=404, error_message="model: claude-sonnet-4-5"))
        client, _, notices = make_client(
            server, tmp_path, smart="claude-sonnet-4-5", smart_fallbacks=["claude-sonnet-4-6"]
        )
        reply = await client.create(request(role="smart", interactive=False, prefill=""))
        await client.aclose()
    assert reply.model == "claude-sonnet-4-6"
    assert len(notices) == 1 and "claude-sonnet-4-6" in notices[0]


async def test_failed_stream_costs_nothing_and_unknown_models_are_noted_once(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.enqueue(
        Reply(text="abc def ghi", midstream_error="overloaded_error", error_after_deltas=1)
    )
    client, usages, notices = make_client(anthropic_server, tmp_path)
    with pytest.raises(ModelError):
        async with client.stream(request()) as stream:
            [piece async for piece in stream.text()]
    assert usages[0].failed and usages[0].cost_usd == 0.0
    local, local_usages, local_notices = make_client(anthropic_server, tmp_path, fast="qwen3")
    for _ in range(2):
        async with local.stream(request()) as stream:
            [piece async for piece in stream.text()]
    await client.aclose()
    await local.aclose()
    assert local_usages[0].cost_usd > 0
    assert len(local_notices) == 1 and "upper bound" in local_notices[0]
    assert notices == []


def test_bedrock_bodies_per_generation() -> None:
    settings = Settings(provider="bedrock", aws_region="us-east-1")
    client = ModelClient(settings, environ={})
    old, _ = client._kwargs(request(), "claude-haiku-4-5")
    assert old["model"] == "global.anthropic.claude-haiku-4-5-20251001-v1:0"
    assert old["extra_body"] == {"anthropic_version": "bedrock-2023-05-31"}
    assert old["messages"][-1]["role"] == "assistant"  # Haiku 4.5 takes prefill
    new, _ = client._kwargs(tool_request(), "claude-sonnet-5-5")
    assert new["model"] == "global.anthropic.claude-sonnet-5-5"
    assert "extra_body" not in new  # the Messages-API endpoint takes the SDK's version
    # No strict tools on Bedrock: auto, and renga checks the answer itself.
    assert new["tool_choice"] == {"type": "auto"} and "strict" not in new["tools"][0]
    vertex = ModelClient(Settings(provider="vertex"), environ={})
    assert vertex._kwargs(request(), "claude-haiku-5-5")[0]["model"] == "claude-haiku-5-5"
    assert vertex._kwargs(request(), "claude-haiku-4-5")[0]["model"] == (
        "claude-haiku-4-5@20251001"
    )


async def test_bedrock_5x_models_go_through_the_messages_api_endpoint() -> None:
    client = ModelClient(Settings(provider="bedrock", aws_region="us-east-1"), environ={})
    client.problem = lambda: None  # type: ignore[method-assign]  # no boto3 needed to build
    mantle = client._sdk("claude-sonnet-5-5")
    invoke = client._sdk("claude-haiku-4-5")
    assert isinstance(mantle, anthropic.AsyncAnthropicBedrockMantle)
    assert "bedrock-mantle.us-east-1" in str(mantle.base_url)
    assert isinstance(invoke, anthropic.AsyncAnthropicBedrock)
    assert "bedrock-runtime.us-east-1" in str(invoke.base_url)
    assert client._sdk("claude-haiku-5-5") is mantle  # one client per endpoint
    await client.aclose()


def closed_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.mark.parametrize(
    ("url", "words"),
    [
        # RFC 6761: names under .invalid never resolve.
        ("http://user:secret@renga-test.invalid", ["renga-test.invalid", "cannot be resolved"]),
        ("https://{server}", ["TLS with 127.0.0.1 failed", "https://127.0.0.1:"]),
        ("http://127.0.0.1:{closed}", ["refused the connection", "http://127.0.0.1:"]),
    ],
    ids=["dns", "tls", "refused"],
)
async def test_an_unreachable_service_is_named_with_the_cause(
    anthropic_server: AnthropicTestServer, url: str, words: list[str]
) -> None:
    base_url = url.format(
        server=anthropic_server.base_url.removeprefix("http://"), closed=closed_port()
    )
    client = ModelClient(Settings(base_url=base_url), environ={"ANTHROPIC_API_KEY": "sk-test"})
    with pytest.raises(ModelError) as info:
        async with client.stream(request()) as stream:
            [piece async for piece in stream.text()]
    await client.aclose()
    assert info.value.failure is Failure.CONNECTION
    message = str(info.value)
    assert all(w in message for w in words), message
    assert "Connection error." not in message and "secret" not in message
