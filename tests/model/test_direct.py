"""Streams sent before the SDK has loaded (renga.model.direct) against the same streams sent
through the SDK: the same request on the wire, the same text and usage, the same errors."""

from __future__ import annotations

import socket
import sys
from typing import Any

import anthropic
import pytest

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply
from renga.config import Settings
from renga.model import client as client_module
from renga.model import direct
from renga.model.catalog import Usage
from renga.model.client import ModelClient
from renga.model.errors import Failure, ModelError
from renga.model.request import ModelRequest

# Headers that carry meaning for the API (the SDK adds telemetry headers renga leaves out).
MEANINGFUL = ("authorization", "x-api-key", "anthropic-version", "content-type")


def make_client(base_url: str) -> tuple[ModelClient, list[Usage]]:
    usages: list[Usage] = []
    client = ModelClient(
        Settings(base_url=base_url),
        environ={"ANTHROPIC_API_KEY": "sk-test"},
        on_usage=lambda feature, usage: usages.append(usage),
    )
    return client, usages


def request() -> ModelRequest:
    return ModelRequest(
        role="fast",
        feature="test",
        system=[{"type": "text", "text": "sys"}],
        messages=[{"role": "user", "content": "hi"}],
        max_tokens=50,
        prefill="<fill>",
        stop_sequences=["</fill>"],
        interactive=True,
    )


def test_the_api_version_is_the_sdks() -> None:
    assert direct.API_VERSION == anthropic._constants.ANTHROPIC_API_VERSION


async def one_stream(
    server: AnthropicTestServer, monkeypatch: pytest.MonkeyPatch, *, sdk: bool
) -> tuple[str, list[Usage], RecordedRequest]:
    monkeypatch.setattr(client_module, "sdk_loaded", lambda: sdk)
    client, usages = make_client(server.base_url)
    try:
        async with client.stream(request()) as stream:
            text = "".join([piece async for piece in stream.text()])
        # The direct path never built the SDK's client; the SDK path never opened a direct one.
        assert (client._client is not None, client._direct is None) == (sdk, sdk)
    finally:
        await client.aclose()
    return text, usages, server.requests[-1]


async def test_a_stream_without_the_sdk_is_the_same_on_the_wire(
    anthropic_server: AnthropicTestServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    anthropic_server.default_reply = Reply(text="return 42", input_tokens=120)
    via_sdk = await one_stream(anthropic_server, monkeypatch, sdk=True)
    without = await one_stream(anthropic_server, monkeypatch, sdk=False)
    assert without[0] == via_sdk[0] == "return 42"
    assert without[1] == via_sdk[1] and without[1][0].input_tokens == 120
    sdk_request, direct_request = via_sdk[2], without[2]
    assert direct_request.path == sdk_request.path
    assert direct_request.body == sdk_request.body
    assert direct_request.api_key == sdk_request.api_key == "sk-test"
    for name in MEANINGFUL:
        assert direct_request.headers.get(name) == sdk_request.headers.get(name), name


async def failure_of(
    server: AnthropicTestServer, monkeypatch: pytest.MonkeyPatch, reply: Reply, *, sdk: bool
) -> ModelError:
    server.enqueue(reply)
    with pytest.raises(ModelError) as caught:
        await one_stream(server, monkeypatch, sdk=sdk)
    return caught.value


def summary(error: ModelError) -> dict[str, Any]:
    return {
        "failure": error.failure,
        "status": error.status,
        "retry_after": error.retry_after,
        "model": error.model,
        "text": str(error),
    }


@pytest.mark.parametrize(
    "reply",
    [
        Reply(status=401),
        Reply(status=429, headers={"retry-after": "7"}),
        Reply(status=529),
        Reply(status=500),
        Reply(midstream_error="overloaded_error", error_after_deltas=1),
    ],
    ids=["401", "429", "529", "500", "error-event"],
)
async def test_errors_without_the_sdk_are_the_sdks_errors(
    anthropic_server: AnthropicTestServer, monkeypatch: pytest.MonkeyPatch, reply: Reply
) -> None:
    via_sdk = await failure_of(anthropic_server, monkeypatch, reply, sdk=True)
    without = await failure_of(anthropic_server, monkeypatch, reply, sdk=False)
    assert summary(without) == summary(via_sdk)


async def test_an_unreachable_service_is_a_connection_failure(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once this block ends: nothing listens there
    errors = []
    for sdk in (True, False):
        monkeypatch.setattr(client_module, "sdk_loaded", lambda sdk=sdk: sdk)
        client, _ = make_client(f"http://127.0.0.1:{port}")
        with pytest.raises(ModelError) as caught:
            async with client.stream(request()):
                pass
        await client.aclose()
        errors.append(caught.value)
    assert [e.failure for e in errors] == [Failure.CONNECTION, Failure.CONNECTION]


def test_sdk_loaded_is_false_while_another_thread_still_imports_it() -> None:
    spec = sys.modules["anthropic"].__spec__
    assert client_module.sdk_loaded()
    spec._initializing = True  # what importlib sets while the module's code runs
    try:
        assert not client_module.sdk_loaded()
    finally:
        spec._initializing = False
