"""The one module that talks to the model: providers, roles with fallbacks, streams, usage.

Nothing else in renga imports the anthropic SDK. Importing it costs most of a second, so it is
imported on first use (``load_sdk``, which the server calls in a thread once ``initialize`` has
been answered); until then streamed completions go out without it (``renga.model.direct``).
"""

from __future__ import annotations

import asyncio
import dataclasses
import importlib
import json
import logging
import os
import random
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx2

from renga.config import Settings
from renga.model import direct
from renga.model import lineup as lineups
from renga.model.breaker import BreakerChange, CircuitBreaker
from renga.model.catalog import (
    Capabilities,
    Usage,
    bedrock_messages_api,
    capabilities_from_api,
    price_known,
    provider_model_id,
)
from renga.model.credentials import credentials_problem
from renga.model.errors import Failure, ModelError, unreachable
from renga.model.request import ModelRequest, Role

if TYPE_CHECKING:
    import anthropic
else:

    class _SDK:
        """The anthropic package, imported where it is first used (then this module's global)."""

        def __getattr__(self, name: str) -> Any:
            return getattr(load_sdk(), name)

    anthropic = _SDK()


def load_sdk() -> Any:
    """Import the anthropic SDK (most of a second); the server calls it in a thread."""
    module = importlib.import_module("anthropic")
    globals()["anthropic"] = module
    return module


def sdk_loaded() -> bool:
    """The SDK is imported and ready, not still loading in another thread (importlib marks a
    module being executed with ``__spec__._initializing``)."""
    module = sys.modules.get("anthropic")
    return module is not None and not getattr(module.__spec__, "_initializing", False)


log = logging.getLogger(__name__)

UsageSink = Callable[[str, Usage], None]
NoticeSink = Callable[[str], None]
# Privacy and cost hooks (renga.privacy, renga.cost): a redactor edits a request body in place
# just before it leaves; a gate raises ModelError (BUDGET) for a request that must not be sent.
BodyRedactor = Callable[[dict[str, Any]], None]
RequestGate = Callable[[ModelRequest], None]
BreakerSink = Callable[[BreakerChange], None]
T = TypeVar("T")

# Backoff between retries of background requests doubles up to this many seconds.
MAX_BACKOFF_S = 8.0

# Bedrock's InvokeModel takes the SDK's default API version (2026-10-21) only for Claude 4.7 and
# later; the 4.x models there need the older one (the SDK only setdefaults it). The 5.x models go
# through the Messages-API endpoint (AsyncAnthropicBedrockMantle), which takes no such field.
BEDROCK_VERSION = {"anthropic_version": "bedrock-2023-05-31"}
# How long a background request waits for the Models API's first answer before going ahead.
LINEUP_WAIT_S = 10.0

_STATUS_FAILURE: dict[int, Failure] = {
    400: Failure.BAD_REQUEST,
    401: Failure.AUTH,
    402: Failure.PERMISSION,
    403: Failure.PERMISSION,
    404: Failure.NOT_FOUND,
    408: Failure.TIMEOUT,
    413: Failure.BAD_REQUEST,
    422: Failure.BAD_REQUEST,
    429: Failure.RATE_LIMIT,
    504: Failure.TIMEOUT,
    529: Failure.OVERLOADED,
}
_TYPE_FAILURE: dict[str, Failure] = {
    "invalid_request_error": Failure.BAD_REQUEST,
    "authentication_error": Failure.AUTH,
    "billing_error": Failure.PERMISSION,
    "permission_error": Failure.PERMISSION,
    "not_found_error": Failure.NOT_FOUND,
    "request_too_large": Failure.BAD_REQUEST,
    "rate_limit_error": Failure.RATE_LIMIT,
    "api_error": Failure.SERVER,
    "timeout_error": Failure.TIMEOUT,
    "overloaded_error": Failure.OVERLOADED,
}


@dataclass
class Reply:
    """A whole (non-streamed) answer."""

    model: str
    text: str
    tool_calls: list[dict[str, Any]]
    stop_reason: str | None
    usage: Usage
    # The thinking blocks (with their signatures) a thinking model answered first: a follow-up
    # turn sends them back before the tool calls, as the API expects of a thinking model.
    thinking: list[dict[str, Any]] = field(default_factory=list)


class TextStream:
    """An open streamed answer. Iterate :meth:`text`; leaving the ``stream`` context closes the
    HTTP response at once, so tokens stop being generated (and paid for) when renga stops reading.
    """

    def __init__(
        self,
        raw: Any,
        model: str,
        prefill: str,
        on_error: Callable[[ModelError], None] | None = None,
        deadline: float | None = None,
    ) -> None:
        self._raw = raw
        self._on_error = on_error
        # Event-loop time by which the last token must have arrived (None: no bound).
        self.deadline = deadline
        self.failed = False
        self.model = model
        # The prefill the model continues (empty when the model was not given one).
        self.prefill = prefill
        self.usage = Usage(model=model)
        self.stop_reason: str | None = None
        self.first_token_at: float | None = None
        self.finished = False
        self._chars = 0

    async def text(self) -> AsyncIterator[str]:
        """The answer's text as it arrives. Raises :class:`ModelError` when the stream fails, is
        past its deadline, or ends without ``message_stop``: a stream cut short by the network or
        a proxy looks like a short answer, and must never be taken for a whole one."""
        events = aiter(self._raw)
        try:
            while True:
                # The deadline applies to every wait, not to the loop's body: a timeout around
                # a ``yield`` would cancel whatever the consumer awaits between two pieces.
                async with asyncio.timeout_at(self.deadline):
                    try:
                        event = await anext(events)
                    except StopAsyncIteration:
                        break
                kind = event.get("type")
                if kind == "message_start":
                    u = event.get("message", {}).get("usage") or {}
                    self.usage.input_tokens = u.get("input_tokens") or 0
                    self.usage.cache_creation_input_tokens = (
                        u.get("cache_creation_input_tokens") or 0
                    )
                    self.usage.cache_read_input_tokens = u.get("cache_read_input_tokens") or 0
                elif kind == "content_block_delta":
                    delta = event.get("delta") or {}
                    if delta.get("type") != "text_delta":
                        continue
                    if self.first_token_at is None:
                        self.first_token_at = time.monotonic()
                    piece = str(delta.get("text", ""))
                    self._chars += len(piece)
                    yield piece
                elif kind == "message_delta":
                    self.stop_reason = (event.get("delta") or {}).get("stop_reason")
                    output = (event.get("usage") or {}).get("output_tokens")
                    if output is not None:
                        self.usage.output_tokens = output
                elif kind == "message_stop":
                    self.finished = True
            if not self.finished:
                raise ModelError(
                    Failure.STREAM,
                    "the answer was cut short: its stream ended before message_stop",
                    model=self.model,
                )
        except (asyncio.CancelledError, GeneratorExit):
            raise
        except Exception as exc:
            error = translate(exc, self.model)
            self.failed = True
            if self._on_error is not None:
                self._on_error(error)
            raise error from exc

    def settle_usage(self) -> Usage:
        # A stream closed early never got message_delta: estimate what was generated.
        estimate = (self._chars + 3) // 4
        if not self.finished and self.usage.output_tokens < estimate:
            self.usage.output_tokens = estimate
        return self.usage


def _retry_after(headers: Mapping[str, str] | None) -> float | None:
    if not headers:
        return None
    value = headers.get("retry-after")
    try:
        return float(value) if value is not None else None
    except ValueError:
        return None


def _error_of(body: object) -> tuple[str, str]:
    """The type and message of an API error body, ``{"type": "error", "error": {...}}``."""
    outer = body if isinstance(body, dict) else {}
    error = outer.get("error")
    if not isinstance(error, dict):
        error = outer
    return str(error.get("type", "")), str(error.get("message", ""))


def _failure(err_type: str, status: int | None) -> Failure:
    """What an error means, by its type, else its HTTP status (None: an ``error`` event read
    from the stream itself, a failure on the service's side)."""
    failure = _TYPE_FAILURE.get(err_type) or (_STATUS_FAILURE.get(status) if status else None)
    if failure is not None:
        return failure
    return Failure.SERVER if status is None or status >= 500 else Failure.BAD_REQUEST


def translate(exc: BaseException, model: str | None = None) -> ModelError:
    """An SDK or transport exception as a :class:`ModelError`."""
    if isinstance(exc, ModelError):
        return exc
    # Before the SDK has loaded no SDK exception can exist (renga.model.direct), and touching
    # `anthropic` would block the event loop until it has.
    sdk = sdk_loaded()
    if isinstance(exc, httpx2.TimeoutException) or (
        sdk and isinstance(exc, anthropic.APITimeoutError)
    ):
        return ModelError(Failure.TIMEOUT, "the model did not answer in time", model=model)
    if isinstance(exc, TimeoutError):  # a request's own deadline (ModelClient.stream)
        return ModelError(
            Failure.TIMEOUT,
            "the answer was not whole by its deadline (completion.timeoutMs)",
            model=model,
        )
    if isinstance(exc, httpx2.TransportError) or (
        sdk and isinstance(exc, anthropic.APIConnectionError)
    ):
        return ModelError(Failure.CONNECTION, unreachable(exc, _url_of(exc)), model=model)
    if sdk and isinstance(exc, anthropic.APIStatusError):
        err_type, message = _error_of(exc.body)
        status = exc.status_code
        return ModelError(
            _failure(err_type, status),
            message or exc.message,
            # An error event after the stream began arrives under HTTP 200: no status to show.
            status=None if status == 200 else status,
            retry_after=_retry_after(exc.response.headers if exc.response else None),
            model=model,
        )
    if isinstance(exc, TypeError) and "authentication" in str(exc):
        return ModelError(Failure.NOT_CONFIGURED, str(exc), model=model)
    return ModelError(Failure.STREAM, f"unreadable answer from the model: {exc!r}", model=model)


def _url_of(exc: BaseException) -> str:
    """The URL of the request that failed with ``exc`` ("" when it is not known)."""
    try:
        request = getattr(exc, "request", None)  # httpx raises when it has none
    except RuntimeError:
        return ""
    return str(request.url) if request is not None else ""


async def _sse_events(
    response: Any, model: str | None, raw: AsyncIterator[Any] | None = None
) -> AsyncIterator[dict[str, Any]]:
    """The Messages API events of a streamed response, as the SDK's own stream reads them
    (``raw``: the same events read without the SDK, by ``renga.model.direct``)."""
    async for sse in raw or anthropic.AsyncStream.raw_events(response):
        if sse.event == "error":
            raise _error_event(sse.data, model)
        if sse.event in (None, "ping") or not sse.data:
            continue
        yield json.loads(sse.data)


async def _dumped(stream: Any) -> AsyncIterator[dict[str, Any]]:
    async for event in stream:
        yield event.model_dump()


def _error_event(data: str, model: str | None) -> ModelError:
    """An ``error`` event in a stream that began with HTTP 200 (overloaded midway, say)."""
    try:
        body = json.loads(data)
    except ValueError:
        body = None
    if not (isinstance(body, dict) and isinstance(body.get("error"), dict)):
        return ModelError(
            Failure.STREAM, f"unreadable error from the model: {data[:200]}", model=model
        )
    err_type, message = _error_of(body)
    return ModelError(_failure(err_type, None), message or err_type, model=model)


class ModelClient:
    """Roles, fallbacks and one pooled HTTP client shared by every request."""

    def __init__(
        self,
        settings: Settings,
        *,
        environ: Mapping[str, str] | None = None,
        on_usage: UsageSink | None = None,
        on_notice: NoticeSink | None = None,
        redactor: BodyRedactor | None = None,
        gate: RequestGate | None = None,
        on_breaker: BreakerSink | None = None,
        cache_dir: Path | None = None,
    ) -> None:
        self.settings = settings
        self.redactor = redactor
        self.gate = gate
        self._environ = dict(os.environ if environ is None else environ)
        self.on_usage = on_usage
        self.on_notice = on_notice
        # Models that answered 404 (model -> why): skipped from then on, the user told once.
        self.gone: dict[str, str] = {}
        # What the Models API lists for this key (empty until read, and on providers without it).
        self.lineup = lineups.Lineup()
        self._lineup_task: asyncio.Task[None] | None = None
        self._cache_dir = cache_dir
        self._told: set[str] = set()
        self._client: Any = None
        self._mantle: Any = None
        self._direct: httpx2.AsyncClient | None = None  # until the SDK has loaded
        r = settings.reliability
        self.breaker = CircuitBreaker(
            r.breaker_failures,
            r.breaker_pause_ms / 1000,
            on_change=on_breaker,
            on_refused=on_notice,
        )

    # -- configuration -------------------------------------------------------------------

    def problem(self) -> str | None:
        return credentials_problem(self.settings, self._environ)

    def resolution(self, role: Role) -> lineups.Resolution:
        """The models ``role`` tries and why (``renga doctor`` shows this)."""
        m = self.settings.models
        chain = [m.fast, *m.fast_fallbacks] if role == "fast" else [m.smart, *m.smart_fallbacks]
        # The built-in table may name a line's successor only on the Claude API itself.
        on_claude_api = self.settings.provider == "anthropic" and not (
            self.settings.base_url or self._environ.get("ANTHROPIC_BASE_URL")
        )
        return lineups.resolve(
            role, chain, self.lineup, self.gone, use_catalog=on_claude_api and not self.lineup
        )

    def models(self, role: Role) -> list[str]:
        """The models ``role`` tries, in order; tells the user (once) of any move."""
        resolution = self.resolution(role)
        for notice in resolution.notices:
            self._tell(notice)
        return resolution.models

    def capabilities(self, model: str) -> Capabilities:
        """What ``model`` accepts: the Models API's word where it listed the model, else the
        built-in table."""
        listed = self.lineup.find(model)
        return capabilities_from_api(model, listed.capabilities if listed else None)

    def uses_prefill(self, model: str) -> bool:
        mode = self.settings.models.prefill
        return mode == "on" or (mode == "auto" and self.capabilities(model).prefill)

    def _tell(self, message: str) -> None:
        if message in self._told:
            return
        self._told.add(message)
        log.warning(message)
        if self.on_notice is not None:
            self.on_notice(message)

    def update_settings(self, settings: Settings) -> None:
        rebuild = (settings.provider, settings.base_url, settings.aws_region) != (
            self.settings.provider,
            self.settings.base_url,
            self.settings.aws_region,
        )
        self.settings = settings
        r = settings.reliability
        self.breaker.configure(r.breaker_failures, r.breaker_pause_ms / 1000)
        if rebuild:
            # Another endpoint: its predecessor's failures say nothing about it.
            self.breaker.reset()
        if rebuild:
            for old in (self._client, self._mantle):
                if old is not None:
                    asyncio.get_running_loop().create_task(old.close())
            self._client = self._mantle = None
            # Another endpoint lists other models: read its Models API afresh.
            self.lineup, self.gone, self._lineup_task = lineups.Lineup(), {}, None

    def _sdk(self, model: str | None = None) -> Any:
        """The SDK client for ``model``: on Bedrock the 5.x models have one of their own."""
        if (
            model is not None
            and self.settings.provider == "bedrock"
            and bedrock_messages_api(model)
        ):
            return self._bedrock_mantle()
        if self._client is not None:
            return self._client
        problem = self.problem()
        if problem:
            raise ModelError(Failure.NOT_CONFIGURED, problem)
        s, env = self.settings, self._environ
        # One pool for every request: completions reuse a warm keep-alive connection.
        http = anthropic.DefaultAsyncHttpxClient(
            limits=httpx2.Limits(max_connections=32, max_keepalive_connections=16),
        )
        # renga retries itself (ModelClient._call): the SDK would honour any retry-after, uncapped.
        common: dict[str, Any] = {"http_client": http, "max_retries": 0}
        if s.provider == "anthropic":
            self._client = anthropic.AsyncAnthropic(
                api_key=env.get("ANTHROPIC_API_KEY") or None,
                auth_token=env.get("ANTHROPIC_AUTH_TOKEN") or None,
                base_url=s.base_url or env.get("ANTHROPIC_BASE_URL") or None,
                **common,
            )
        elif s.provider == "bedrock":
            self._client = anthropic.AsyncAnthropicBedrock(
                aws_region=s.aws_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
                aws_profile=s.aws_profile or None,
                base_url=s.base_url or None,
                **common,
            )
        else:
            self._client = anthropic.AsyncAnthropicVertex(
                region=s.vertex_region or env.get("CLOUD_ML_REGION") or "",
                project_id=s.vertex_project_id or env.get("ANTHROPIC_VERTEX_PROJECT_ID") or "",
                base_url=s.base_url or None,
                **common,
            )
        return self._client

    def _bedrock_mantle(self) -> Any:
        """Bedrock's Messages-API endpoint, which serves the 5.x models."""
        if self._mantle is not None:
            return self._mantle
        problem = self.problem()
        if problem:
            raise ModelError(Failure.NOT_CONFIGURED, problem)
        s, env = self.settings, self._environ
        self._mantle = anthropic.AsyncAnthropicBedrockMantle(
            aws_region=s.aws_region or env.get("AWS_REGION") or env.get("AWS_DEFAULT_REGION"),
            aws_profile=s.aws_profile or None,
            base_url=s.base_url or None,
            max_retries=0,
            http_client=anthropic.DefaultAsyncHttpxClient(),
        )
        return self._mantle

    def _timeout(self, request: ModelRequest) -> httpx2.Timeout:
        if request.interactive:
            seconds = self.settings.completion.timeout_ms / 1000
            return httpx2.Timeout(seconds, connect=min(seconds, 2.0))
        return httpx2.Timeout(120.0, connect=5.0)

    def _options(self, request: ModelRequest, model: str | None = None) -> Any:
        # A retried completion arrives after the user has moved on: no retries.
        return self._sdk(model).with_options(max_retries=0, timeout=self._timeout(request))

    def _use_direct(self) -> bool:
        return self.settings.provider == "anthropic" and self._client is None and not sdk_loaded()

    async def _send_direct(
        self, path: str, body: dict[str, Any], limits: httpx2.Timeout
    ) -> httpx2.Response:
        if self._direct is None:
            self._direct = httpx2.AsyncClient(
                limits=httpx2.Limits(max_connections=8, max_keepalive_connections=4)
            )
        base_url = self.settings.base_url or self._environ.get("ANTHROPIC_BASE_URL", "")
        return await direct.send(self._direct, base_url, self._environ, path, body, limits)

    async def _open_direct(
        self, request: ModelRequest, kwargs: dict[str, Any]
    ) -> tuple[Callable[[], Awaitable[None]], AsyncIterator[dict[str, Any]]]:
        """A streamed request sent before the SDK has loaded (see renga.model.direct), failing
        with the ModelError ``translate`` gives for the SDK's own exceptions."""
        model = kwargs.get("model")
        problem = self.problem()
        if problem:
            raise ModelError(Failure.NOT_CONFIGURED, problem)
        response = await self._send_direct(
            "/v1/messages", {**kwargs, "stream": True}, self._timeout(request)
        )
        if response.status_code != 200:
            try:
                raw = await response.aread()
            finally:
                await response.aclose()
            try:
                body = json.loads(raw)
            except ValueError:
                body = None
            err_type, message = _error_of(body)
            status = response.status_code
            raise ModelError(
                _failure(err_type, status),
                message or f"HTTP {status}",
                status=status,
                retry_after=_retry_after(response.headers),
                model=model,
            )
        events = _sse_events(response, model, raw=direct.events(response))
        return response.aclose, events

    def _kwargs(self, request: ModelRequest, model: str) -> tuple[dict[str, Any], str]:
        """The request's body for ``model``, shaped by what the model accepts (request.py)."""
        prefill = request.prefill if self.uses_prefill(model) else ""
        provider = self.settings.provider
        if request.effort is None and request.role == "smart":
            request = dataclasses.replace(request, effort=self.settings.models.smart_effort)
        body = request.body(
            provider_model_id(model, provider),
            prefill=bool(prefill),
            caps=self.capabilities(model),
            # Bedrock has no strict tools: there the answer is checked by renga alone.
            strict_tools=provider != "bedrock",
        )
        if provider == "bedrock" and not bedrock_messages_api(model):
            body["extra_body"] = BEDROCK_VERSION
        if self.redactor is not None:
            self.redactor(body)
        return body, prefill

    def _record(self, feature: str, usage: Usage) -> None:
        if not price_known(usage.model) and not usage.failed:
            self._tell(
                f"renga: no price is known for {usage.model}; its calls are costed at the "
                "dearest current Claude model's prices, so the spend shown is an upper bound."
            )
        if self.on_usage is not None:
            try:
                self.on_usage(feature, usage)
            except Exception:  # a broken ledger must not break completions
                log.exception("recording usage failed")

    def _retire(self, model: str, role: Role) -> None:
        """``model`` answered 404: skip it from now on; ``models`` tells the user where to."""
        self.gone[model] = "not found (retired or unknown)"
        self.models(role)

    # -- calls ---------------------------------------------------------------------------

    def _retry_wait(self, request: ModelRequest, error: ModelError, tries: int) -> float | None:
        """Seconds to wait before retrying after ``error``, or None to give up. Completions
        never retry: a retried completion arrives after the user has moved on."""
        r = self.settings.reliability
        if request.interactive or not error.retryable or tries >= r.retries:
            return None
        if self.breaker.is_open:
            return None
        if error.retry_after is not None:
            if error.retry_after * 1000 > r.max_retry_after_ms:
                log.info(
                    "the service asks to retry after %.0f s, longer than "
                    "reliability.maxRetryAfterMs: giving up",
                    error.retry_after,
                )
                return None
            return max(0.0, error.retry_after)
        backoff = min(MAX_BACKOFF_S, r.backoff_ms / 1000 * 2**tries)
        return random.uniform(backoff / 2, backoff)

    async def _call(
        self, request: ModelRequest, model: str, attempt: Callable[[], Awaitable[T]]
    ) -> T:
        """``attempt()`` behind the circuit breaker, retried with backoff for background work.
        The caller reports success to the breaker once the answer is whole."""
        tries = 0
        while True:
            self.breaker.check()
            try:
                return await attempt()
            except (asyncio.CancelledError, GeneratorExit):
                self.breaker.release()
                raise
            except Exception as exc:
                error = translate(exc, model)
                self.breaker.record(error)
                wait = self._retry_wait(request, error, tries)
                if wait is None:
                    raise error from exc
                tries += 1
                log.info("%s failed (%s): retry %d in %.1f s", request.feature, error, tries, wait)
                await asyncio.sleep(wait)

    async def _open_events(
        self, request: ModelRequest, kwargs: dict[str, Any]
    ) -> tuple[Callable[[], Awaitable[None]], AsyncIterator[dict[str, Any]]]:
        """Send a streamed request: a function that closes its HTTP response, and its events as
        plain JSON objects. renga reads only text deltas and usage; the SDK's typed events (and
        MessageStream's snapshot of the whole message on every event) cost about 1.5 ms of a
        completion's overhead (bench/completion.py), so the server-sent events are read raw."""
        if self._use_direct():
            return await self._open_direct(request, kwargs)
        model = str(kwargs.get("model", ""))
        messages = self._options(request, model).messages
        if self.settings.provider == "bedrock" and not bedrock_messages_api(model):
            # Bedrock streams AWS event-stream frames, not server-sent events: the SDK decodes.
            typed = await messages.create(stream=True, **kwargs)
            return typed.close, _dumped(typed)
        response = await messages.with_streaming_response.create(stream=True, **kwargs).__aenter__()
        return response.close, _sse_events(response.http_response, kwargs.get("model"))

    @asynccontextmanager
    async def stream(
        self, request: ModelRequest, deadline: float | None = None
    ) -> AsyncIterator[TextStream]:
        """Open a streamed answer, falling back along the role's model list on 404.

        ``deadline`` (event-loop time) bounds the whole answer, from sending the request to its
        last token: past it, the open or the reading fails with ``ModelError(TIMEOUT)``. The
        HTTP timeout only bounds each wait, so a slow trickle of tokens would run on."""
        if self.gate is not None:
            self.gate(request)
        await self._await_lineup(request)
        for model in self.models(request.role):
            kwargs, prefill = self._kwargs(request, model)

            async def open_events(
                kwargs: dict[str, Any] = kwargs,
            ) -> tuple[Callable[[], Awaitable[None]], AsyncIterator[dict[str, Any]]]:
                async with asyncio.timeout_at(deadline):
                    return await self._open_events(request, kwargs)

            since = self.breaker.now()
            try:
                close, events = await self._call(request, model, open_events)
            except ModelError as error:
                if error.failure is Failure.NOT_FOUND and model != self.models(request.role)[-1]:
                    self._retire(model, request.role)
                    continue
                raise
            stream = TextStream(
                events, model, prefill, on_error=self.breaker.record, deadline=deadline
            )
            try:
                yield stream
            finally:
                # Closing the stream closes the HTTP response: the server sees the hang-up.
                try:
                    await close()
                finally:
                    if not stream.failed:
                        self.breaker.success(since)
                    usage = stream.settle_usage()
                    # A stream that ended in an error is not billed (shared/notes/claude-api.md).
                    usage.failed = stream.failed
                    self._record(request.feature, usage)
            return
        raise ModelError(Failure.NOT_FOUND, f"no usable model for the {request.role} role")

    async def create(self, request: ModelRequest) -> Reply:
        """A whole answer (text and tool calls), with bounded retries for background work
        (``reliability`` settings) and fallback along the role's model list on 404."""
        if self.gate is not None:
            self.gate(request)
        await self._await_lineup(request)
        for model in self.models(request.role):
            kwargs, prefill = self._kwargs(request, model)

            async def send(kwargs: dict[str, Any] = kwargs, model: str = model) -> Any:
                return await self._options(request, model).messages.create(**kwargs)

            since = self.breaker.now()
            try:
                message = await self._call(request, model, send)
            except ModelError as error:
                if error.failure is Failure.NOT_FOUND and model != self.models(request.role)[-1]:
                    self._retire(model, request.role)
                    continue
                raise
            self.breaker.success(since)
            u = message.usage
            usage = Usage(
                model=model,
                input_tokens=u.input_tokens or 0,
                output_tokens=u.output_tokens or 0,
                cache_creation_input_tokens=u.cache_creation_input_tokens or 0,
                cache_read_input_tokens=u.cache_read_input_tokens or 0,
            )
            self._record(request.feature, usage)
            text = prefill + "".join(b.text for b in message.content if b.type == "text")
            calls = [
                {"id": b.id, "name": b.name, "input": b.input}
                for b in message.content
                if b.type == "tool_use"
            ]
            thinking = [
                {"type": "thinking", "thinking": b.thinking, "signature": b.signature}
                if b.type == "thinking"
                else {"type": "redacted_thinking", "data": b.data}
                for b in message.content
                if b.type in ("thinking", "redacted_thinking")
            ]
            return Reply(model, text, calls, message.stop_reason, usage, thinking)
        raise ModelError(Failure.NOT_FOUND, f"no usable model for the {request.role} role")

    async def count_tokens(self, request: ModelRequest) -> int:
        """Input tokens of ``request`` as the API counts them (free; not on Bedrock)."""
        model = self.models(request.role)[0]
        kwargs, _ = self._kwargs(request, model)
        kwargs.pop("max_tokens", None)
        kwargs.pop("stop_sequences", None)
        kwargs.pop("extra_body", None)

        async def count() -> Any:
            return await self._options(request, model).messages.count_tokens(**kwargs)

        # Through the breaker, so a rejected key is known from the warm-up call on.
        since = self.breaker.now()
        result = await self._call(request, model, count)
        self.breaker.success(since)
        return int(result.input_tokens)

    async def warm(self) -> None:
        """Open the pooled connection before the first keystroke needs it (a free call), and
        read the Models API (once) so that retired models are skipped without a 404."""
        if self.problem() or self.settings.provider == "bedrock":
            return
        request = ModelRequest(
            role="fast",
            feature="warmup",
            system=[],
            messages=[{"role": "user", "content": "."}],
            max_tokens=1,
            interactive=True,
        )
        if self._use_direct():
            # The SDK is still loading (and building its client would wait for it): open the
            # connection the next completion takes, renga.model.direct's.
            body, _ = self._kwargs(request, self.models("fast")[0])
            for key in ("max_tokens", "stop_sequences", "extra_body"):
                body.pop(key, None)  # what count_tokens leaves out
            try:
                response = await self._send_direct(
                    "/v1/messages/count_tokens", body, self._timeout(request)
                )
                await response.aread()
                await response.aclose()
            except httpx2.HTTPError as exc:
                log.info("warm-up call failed: %s", exc)
            return
        try:
            await self.count_tokens(request)
        except ModelError as exc:
            log.info("warm-up call failed: %s", exc)
        task = self.start_lineup()
        if task is not None:
            await asyncio.shield(task)

    # -- the Models API --------------------------------------------------------------------

    def _has_models_api(self) -> bool:
        # Bedrock and Vertex list no Claude lifecycle: their built-in table and 404s serve.
        return self.settings.provider == "anthropic" and self.problem() is None

    def start_lineup(self) -> asyncio.Task[None] | None:
        """Read the Models API once, in the background (None where the provider has none)."""
        if self._lineup_task is None and self._has_models_api():
            self._lineup_task = asyncio.get_running_loop().create_task(self._read_lineup())
        return self._lineup_task

    async def _await_lineup(self, request: ModelRequest) -> None:
        """Background requests wait (briefly) for the Models API's first answer, so a retired
        model is skipped without a 404; completions never wait for it."""
        if request.interactive or not self._has_models_api():
            return
        task = self.start_lineup()
        if task is not None and not task.done():
            try:
                await asyncio.wait_for(asyncio.shield(task), LINEUP_WAIT_S)
            except TimeoutError:
                log.info("the Models API has not answered yet: going ahead without it")

    def _lineup_cache(self) -> Path:
        env = self._environ
        key = env.get("ANTHROPIC_API_KEY") or env.get("ANTHROPIC_AUTH_TOKEN") or ""
        endpoint = self.settings.base_url or env.get("ANTHROPIC_BASE_URL") or ""
        return lineups.cache_path(self.settings.provider, endpoint, key, self._cache_dir)

    async def _read_lineup(self) -> None:
        path = self._lineup_cache()
        cached = await asyncio.to_thread(lineups.load_cached, path)
        if cached is not None:
            self.lineup = cached
        else:
            try:
                raw = await self.list_models()
            except ModelError as exc:
                # No Models API (a local server, a gateway): the table and 404s serve instead.
                log.info("the Models API did not answer (%s): using the built-in model table", exc)
                return
            self.lineup = lineups.Lineup.from_api(raw, time.time())
            await asyncio.to_thread(lineups.store, path, raw)
        # Tell the user now (once) of a retired or retiring configured model, not at first use.
        roles: tuple[Role, ...] = ("fast", "smart")
        for role in roles:
            self.models(role)

    async def list_models(self) -> list[dict[str, Any]]:
        """Every model the key can reach, retired ones included (``GET /v1/models``), as JSON."""
        # A connection of its own: the pooled keep-alive one stays free for the first completion.
        http = anthropic.DefaultAsyncHttpxClient()
        sdk = self._sdk().with_options(
            max_retries=0, timeout=httpx2.Timeout(10.0, connect=5.0), http_client=http
        )
        try:
            out: list[dict[str, Any]] = []
            async for info in sdk.models.list(
                limit=100, lifecycle=["active", "deprecated", "retired"]
            ):
                out.append(info.model_dump(mode="json"))
            return out
        except Exception as exc:
            raise translate(exc) from exc
        finally:
            await http.aclose()

    async def aclose(self) -> None:
        if self._lineup_task is not None and not self._lineup_task.done():
            self._lineup_task.cancel()
        for sdk in (self._client, self._mantle):
            if sdk is not None:
                await sdk.close()
        self._client = self._mantle = None
        if self._direct is not None:
            await self._direct.aclose()
            self._direct = None
