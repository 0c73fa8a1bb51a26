"""An Anthropic-compatible HTTP server for tests and benchmarks.

A real HTTP/1.1 server on loopback that the real ``anthropic`` SDK talks to through
``base_url``. Pure stdlib, one thread per connection, keep-alive, chunked SSE streams.

In process::

    with AnthropicTestServer() as server:
        server.enqueue(Reply(text="def f():\\n    pass", ttft=0.3, tokens_per_second=80))
        client = anthropic.AsyncAnthropic(api_key="k", base_url=server.base_url, max_retries=0)
        ...
        (req,) = server.requests

As a separate process (editor end-to-end tests)::

    python tests/anthropic_server.py --port 0 --text "hello" --ttft 0.5 --tps 80
    python tests/anthropic_server.py --port 0 --script replies.json   # list of Reply dicts

prints ``READY http://127.0.0.1:PORT`` on stdout, then serves until SIGTERM/SIGINT.

Timing model of a streamed reply: the status line, headers and ``message_start`` are sent
at once (after ``delay_headers``); then the server waits ``ttft`` seconds, then sends
``content_block_start``, ``ping`` and the first delta, then one delta per token every
``1 / tokens_per_second`` seconds. A non-streamed reply is sent after
``ttft + tokens / tokens_per_second``. While waiting, the server watches the socket, so a
client that hangs up is seen within about 50 ms (``RecordedRequest.client_disconnected``).

Token model: text is split by :func:`tokenize` into pieces of at most four non-space
characters (an optional leading space attached) and whitespace runs; one piece is one
output token and one ``content_block_delta``. Input tokens are estimated by
:func:`estimate_input_tokens` as ``len(json)//4`` (x1.3 for the 5.x models' tokenizer).

Today's lineup (December 2026, ``shared/notes/claude-api.md``): the models of :data:`LINEUP`
behave per model, as the Claude API does: a retired id answers 404; prefill, sampling
parameters, thinking types and efforts a model refuses, and forced ``tool_choice`` on Sonnet 5.5
(count_tokens too), answer the notes' 400s; the 5.x models think when ``thinking`` is omitted (a
thinking block at index 0, its tokens counted against ``max_tokens``); each model caches from its
own minimum; ``GET /v1/models`` lists the lineup with lifecycle and capabilities. A request that
the lineup refuses does not use up a scripted reply. Model ids not in the lineup (``"m"``, local
models) are answered as before, and ``lineup=False`` (``--no-lineup``) turns all of it off.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import dataclasses
import hashlib
import json
import re
import secrets
import select
import signal
import socket
import string
import struct
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http import HTTPStatus
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

__all__ = [
    "DEFAULT_TEXT",
    "LINEUP",
    "AnthropicTestServer",
    "Behaviour",
    "RecordedRequest",
    "Reply",
    "estimate_input_tokens",
    "tokenize",
]

DEFAULT_TEXT = "Hello from the test server."

# Error type the real API uses for each status (used when Reply.error_type is not given).
ERROR_TYPES: dict[int, str] = {
    400: "invalid_request_error",
    401: "authentication_error",
    402: "billing_error",
    403: "permission_error",
    404: "not_found_error",
    413: "request_too_large",
    429: "rate_limit_error",
    500: "api_error",
    504: "timeout_error",
    529: "overloaded_error",
}

# Default error.message per status, close to what the API says.
ERROR_MESSAGES: dict[int, str] = {
    400: "Invalid request",
    401: "invalid x-api-key",
    402: "Your credit balance is too low to access the Anthropic API.",
    403: "Your API key does not have permission to use the specified resource.",
    404: "Not found",
    413: "Request exceeds the maximum allowed number of bytes.",
    429: "Number of request tokens has exceeded your per-minute rate limit.",
    500: "Internal server error",
    504: "Request timed out",
    529: "Overloaded",
}

PREFILL_MESSAGE = (
    "This model does not support assistant message prefill. "
    "The conversation must end with a user message."
)
FORCED_TOOL_MESSAGE = 'tool_choice: type "tool" and "any" are not supported for this model.'
DEFAULT_THINKING = (
    "The user wants code that fits here. Look at the surrounding definitions and the names in "
    "scope, then answer with only what belongs at the cursor."
)


@dataclass
class Behaviour:
    """How one model of today's lineup answers (the notes' behaviour table)."""

    id: str
    display_name: str
    line: str
    created_at: str
    aliases: tuple[str, ...] = ()
    lifecycle: str = "active"
    deprecated_at: str | None = None
    retires_at: str | None = None
    prefill: bool = False
    thinks_by_default: bool = False
    thinking_types: tuple[str, ...] = ("disabled",)
    efforts: tuple[str, ...] = ()
    # Efforts at which thinking "disabled" is accepted (None: any).
    disabled_efforts: tuple[str, ...] | None = None
    forced_tools: bool = True
    structured_outputs: bool = False
    cache_min_tokens: int = 1024
    token_factor: float = 1.0  # the 5.x tokenizer counts about 30% more

    def info(self) -> dict[str, Any]:
        """The model as ``GET /v1/models`` lists it."""
        yes_no = {"supported": True}, {"supported": False}

        def flag(ok: bool) -> dict[str, bool]:
            return dict(yes_no[0] if ok else yes_no[1])

        efforts = {e: flag(e in self.efforts) for e in ("low", "medium", "high", "xhigh", "max")}
        return {
            "type": "model",
            "id": self.id,
            "display_name": self.display_name,
            "created_at": self.created_at,
            "lifecycle": self.lifecycle,
            "deprecated_at": self.deprecated_at,
            "retires_at": self.retires_at,
            "line": self.line,
            "max_input_tokens": 200_000 if self.token_factor == 1.0 else 1_000_000,
            "max_tokens": 64_000 if self.token_factor == 1.0 else 128_000,
            "capabilities": {
                "thinking": {
                    "supported": True,
                    "types": {
                        t: flag(t in self.thinking_types)
                        for t in ("adaptive", "between_tools", "disabled", "enabled")
                    },
                },
                "effort": {"supported": bool(self.efforts), **efforts},
                "structured_outputs": flag(self.structured_outputs),
            },
        }


_FIVE = {
    "efforts": ("low", "medium", "high", "max"),
    "token_factor": 1.3,
    "structured_outputs": True,
}
LINEUP: tuple[Behaviour, ...] = (
    Behaviour(
        "claude-haiku-4-5-20251001",
        "Claude Haiku 4.5",
        "haiku",
        "2025-10-01T00:00:00Z",
        aliases=("claude-haiku-4-5",),
        prefill=True,
        thinking_types=("enabled", "disabled"),
        cache_min_tokens=4096,
    ),
    Behaviour(
        "claude-haiku-5-5",
        "Claude Haiku 5.5",
        "haiku",
        "2026-10-07T00:00:00Z",
        thinks_by_default=True,
        thinking_types=("adaptive", "disabled"),
        disabled_efforts=("low", "medium", "high"),
        cache_min_tokens=512,
        **_FIVE,  # type: ignore[arg-type]
    ),
    Behaviour(
        "claude-sonnet-4-5-20250929",
        "Claude Sonnet 4.5",
        "sonnet",
        "2025-09-29T00:00:00Z",
        aliases=("claude-sonnet-4-5",),
        lifecycle="retired",
        deprecated_at="2026-08-01T00:00:00Z",
        retires_at="2026-11-30T00:00:00Z",
        prefill=True,
        thinking_types=("enabled", "disabled"),
    ),
    Behaviour(
        "claude-sonnet-4-6",
        "Claude Sonnet 4.6",
        "sonnet",
        "2026-02-17T00:00:00Z",
        lifecycle="deprecated",
        deprecated_at="2026-10-01T00:00:00Z",
        retires_at="2027-02-17T00:00:00Z",
        thinking_types=("adaptive", "disabled", "enabled"),
        efforts=("low", "medium", "high", "max"),
        structured_outputs=True,
    ),
    Behaviour(
        "claude-sonnet-5",
        "Claude Sonnet 5",
        "sonnet",
        "2026-05-01T00:00:00Z",
        lifecycle="deprecated",
        deprecated_at="2026-10-01T00:00:00Z",
        retires_at="2027-06-30T00:00:00Z",
        thinks_by_default=True,
        thinking_types=("adaptive", "disabled"),
        **_FIVE,  # type: ignore[arg-type]
    ),
    Behaviour(
        "claude-sonnet-5-5",
        "Claude Sonnet 5.5",
        "sonnet",
        "2026-09-28T00:00:00Z",
        thinks_by_default=True,
        thinking_types=("adaptive", "between_tools"),
        forced_tools=False,
        cache_min_tokens=512,
        **_FIVE,  # type: ignore[arg-type]
    ),
    Behaviour(
        "claude-opus-5-5",
        "Claude Opus 5.5",
        "opus",
        "2026-09-28T00:00:00Z",
        thinks_by_default=True,
        thinking_types=("adaptive", "disabled"),
        cache_min_tokens=512,
        **_FIVE,  # type: ignore[arg-type]
    ),
)


class Refused(Exception):
    """A request the model refuses, as (status, error type, message)."""

    def __init__(self, status: int, error_type: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.error_type = error_type
        self.message = message


def check_request(behaviour: Behaviour, body: dict[str, Any], *, count: bool = False) -> None:
    """Raise :class:`Refused` where the Claude API refuses ``body`` for this model."""
    if behaviour.lifecycle == "retired":
        raise Refused(404, "not_found_error", f"model: {body.get('model')}")

    def bad(message: str) -> Refused:
        return Refused(400, "invalid_request_error", message)

    for name in ("temperature", "top_p", "top_k"):
        if name in body:
            raise bad(f"{name}: Extra inputs are not permitted")
    messages = body.get("messages") or []
    if (
        not behaviour.prefill
        and messages
        and isinstance(messages[-1], dict)
        and messages[-1].get("role") == "assistant"
    ):
        raise bad(PREFILL_MESSAGE)
    choice = body.get("tool_choice") or {}
    forced = isinstance(choice, dict) and choice.get("type") in ("tool", "any")
    if forced and not behaviour.forced_tools:
        raise bad(FORCED_TOOL_MESSAGE)
    config = body.get("output_config") or {}
    effort = config.get("effort") if isinstance(config, dict) else None
    if effort is not None and effort not in behaviour.efforts:
        raise bad(f'output_config.effort: "{effort}" is not supported for this model.')
    if isinstance(config, dict) and config.get("format") and not behaviour.structured_outputs:
        raise bad("output_config.format: structured outputs are not supported for this model.")
    thinking = body.get("thinking")
    if isinstance(thinking, dict):
        kind = thinking.get("type")
        if kind not in behaviour.thinking_types:
            raise bad(f'thinking.type: "{kind}" is not supported for this model.')
        if kind == "disabled" and behaviour.disabled_efforts is not None:
            level = effort or "medium"
            if level not in behaviour.disabled_efforts:
                raise bad(f'thinking.type "disabled" is not supported at effort "{level}".')
    for tool in body.get("tools") or []:
        if isinstance(tool, dict) and tool.get("strict"):
            if not behaviour.structured_outputs:
                raise bad("tools.strict: strict tools are not supported for this model.")
            if not _closed(tool.get("input_schema")):
                raise bad(
                    "tools: strict tool schemas must set additionalProperties to false "
                    "on every object."
                )
    del count  # count_tokens refuses the same (the notes: forced tools "count_tokens too")


def _closed(schema: Any) -> bool:
    if isinstance(schema, dict):
        if schema.get("type") == "object" and schema.get("additionalProperties") is not False:
            return False
        return all(_closed(v) for v in schema.values())
    if isinstance(schema, list):
        return all(_closed(v) for v in schema)
    return True


def thinks(behaviour: Behaviour, body: dict[str, Any]) -> bool:
    """Whether the model thinks before answering ``body`` (thinking on, nothing forced)."""
    thinking = body.get("thinking")
    kind = thinking.get("type") if isinstance(thinking, dict) else None
    on = kind in ("adaptive", "enabled") or (kind is None and behaviour.thinks_by_default)
    choice = body.get("tool_choice") or {}
    forced = isinstance(choice, dict) and choice.get("type") in ("tool", "any")
    return on and not forced


_TOKEN_RE = re.compile(r" ?\S{1,4}|\s+")
_POLL = 0.05  # seconds between checks of the stop flag while waiting


def tokenize(text: str) -> list[str]:
    """Split text into pseudo tokens; ``"".join(tokenize(s)) == s`` always holds."""
    return _TOKEN_RE.findall(text)


def _dumps(obj: Any) -> str:
    return json.dumps(obj, separators=(",", ":"), ensure_ascii=False)


def estimate_input_tokens(body: dict[str, Any]) -> int:
    """``len(json of system + messages)//4``, plus ``len(json of tools)//4`` if tools are given."""
    n = len(_dumps({"system": body.get("system"), "messages": body.get("messages")})) // 4
    if body.get("tools"):
        n += len(_dumps(body["tools"])) // 4
    return max(n, 1)


def _random_id(prefix: str, n: int = 24) -> str:
    alphabet = string.ascii_letters + string.digits
    return prefix + "".join(secrets.choice(alphabet) for _ in range(n))


@dataclass
class Reply:
    """What the server answers to one ``POST /v1/messages``.

    Options marked *stream* only apply to ``"stream": true`` requests.
    """

    text: str = DEFAULT_TEXT
    # Each {"name": str, "input": dict} (optional "id"); sent as tool_use blocks after the text.
    tool_calls: list[dict[str, Any]] = field(default_factory=list)
    ttft: float = 0.0  # seconds from message_start to the first delta
    tokens_per_second: float | None = None  # None: as fast as possible
    # Error response: status != 200 answers {"type":"error","error":{...},"request_id":...}.
    status: int = 200
    error_type: str | None = None  # default from the status (429 -> rate_limit_error, ...)
    error_message: str | None = None
    error_details: dict[str, Any] | None = None  # error.details, e.g. {"error_code": "..."}
    headers: dict[str, str] = field(default_factory=dict)  # extra headers, e.g. retry-after
    # stream: an `event: error` (of this error type) after `error_after_deltas` deltas.
    midstream_error: str | None = None
    midstream_error_message: str = "Overloaded"
    error_after_deltas: int = 0  # also where `malformed` puts its bad line
    # stream: drop the connection (no message_stop, no final chunk) after this many deltas.
    # Non-stream: send the headers and half of the body, then drop the connection.
    truncate_after_deltas: int | None = None
    # stream: end the response cleanly (the last chunk sent, so HTTP sees a whole body) after this
    # many deltas (or all of them, if fewer), without message_delta and message_stop: a proxy
    # that cuts the stream.
    end_after_deltas: int | None = None
    malformed: bool = False  # stream: an invalid `data:` line; non-stream: invalid JSON body
    reset: bool = False  # abort the TCP connection with RST before answering
    delay_headers: float = 0.0  # seconds before the status line (for client timeouts)
    # Usage overrides (default: estimated, with simulated prompt caching).
    input_tokens: int | None = None
    cache_creation_input_tokens: int | None = None
    cache_read_input_tokens: int | None = None
    stop_reason: str | None = None  # default: end_turn / tool_use / stop_sequence / max_tokens
    model: str | None = None  # default: the request's model
    # What a thinking model thinks first (lineup models with thinking on); None: a default text.
    thinking: str | None = None

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reply:
        names = {f.name for f in dataclasses.fields(cls)}
        unknown = set(data) - names
        if unknown:
            raise ValueError(f"unknown Reply fields: {sorted(unknown)}")
        return cls(**data)


@dataclass
class RecordedRequest:
    """One request as the server saw it. Header names are lower-cased."""

    method: str
    path: str  # as sent, including any query string (the SDK's beta calls add ?beta=true)
    headers: dict[str, str]
    body: Any  # parsed JSON, or None
    started_at: float  # time.monotonic()
    client_port: int = 0  # the client's source port: equal ports mean a reused connection
    finished_at: float | None = None
    status: int | None = None
    reply: Reply | None = None  # the Reply used (POST /v1/messages only)
    completed: bool = False  # the whole scripted answer was written
    client_disconnected: bool = False  # the client hung up before the end
    deltas_sent: int = 0
    text_sent: str = ""  # concatenated text deltas actually written
    usage: dict[str, Any] | None = None  # usage reported (messages) or input_tokens (count)

    @property
    def stream(self) -> bool:
        return isinstance(self.body, dict) and bool(self.body.get("stream"))

    @property
    def api_key(self) -> str | None:
        auth = self.headers.get("authorization", "")
        if auth.lower().startswith("bearer "):
            return auth[7:]
        return self.headers.get("x-api-key")

    @property
    def duration(self) -> float | None:
        return None if self.finished_at is None else self.finished_at - self.started_at


class _ClientGone(Exception):
    """The client closed or reset the connection."""


class _Stopping(Exception):
    """The server is shutting down."""


@dataclass
class _Plan:
    """A reply resolved against a request: blocks, pieces, stop reason, usage."""

    blocks: list[dict[str, Any]]  # final content blocks (non-streaming body)
    pieces: list[list[str]]  # per block: the text / partial_json pieces to stream
    stop_reason: str
    stop_sequence: str | None
    usage: dict[str, Any]
    model: str

    @property
    def output_tokens(self) -> int:
        return sum(len(p) for p in self.pieces)


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"
    server_version = "anthropic-test-server"
    sys_version = ""
    server: _HTTPServer

    # -- plumbing -------------------------------------------------------------------------

    def setup(self) -> None:
        super().setup()
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        self.server.owner._track(self.connection, add=True)

    def finish(self) -> None:
        self.server.owner._track(self.connection, add=False)
        with contextlib.suppress(OSError):
            super().finish()

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def _client_gone(self) -> bool:
        """True if the peer has closed (EOF) or reset the connection. Does not block."""
        try:
            readable, _, _ = select.select([self.connection], [], [], 0)
            if not readable:
                return False
            return self.connection.recv(1, socket.MSG_PEEK) == b""
        except (OSError, ValueError):
            return True

    def _wait(self, seconds: float) -> None:
        """Sleep, but raise _ClientGone as soon as the client hangs up."""
        deadline = time.monotonic() + seconds
        stopping = self.server.owner._stopping
        while True:
            if stopping.is_set():
                raise _Stopping
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                if self._client_gone():
                    raise _ClientGone
                return
            try:
                readable, _, _ = select.select([self.connection], [], [], min(remaining, _POLL))
                if readable:
                    data = self.connection.recv(1, socket.MSG_PEEK)
                    if data == b"":
                        raise _ClientGone
                    # Unexpected early bytes (pipelining): do not spin on them.
                    time.sleep(min(max(deadline - time.monotonic(), 0), _POLL))
            except (OSError, ValueError) as exc:
                raise _ClientGone from exc

    def _write(self, data: bytes) -> None:
        try:
            self.wfile.write(data)
        except OSError as exc:  # BrokenPipe, ConnectionReset, ...
            raise _ClientGone from exc

    def _send_head(self, status: int, headers: dict[str, str]) -> None:
        try:
            self.send_response(status)
            for k, v in headers.items():
                self.send_header(k, v)
            self.end_headers()
        except OSError as exc:
            raise _ClientGone from exc

    def _abort_with_rst(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        # rfile holds a reference to the socket; the fd only closes when both are closed.
        with contextlib.suppress(OSError):
            self.rfile.close()
        with contextlib.suppress(OSError):
            self.connection.close()

    def _drop_connection(self) -> None:
        self.close_connection = True
        with contextlib.suppress(OSError):
            self.connection.shutdown(socket.SHUT_RDWR)

    def _send_json(
        self, status: int, obj: Any, rid: str, extra: dict[str, str] | None = None
    ) -> None:
        payload = _dumps(obj).encode()
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(payload)),
            "request-id": rid,
            **(extra or {}),
        }
        self._send_head(status, headers)
        self._write(payload)

    def _send_error_json(
        self,
        status: int,
        rid: str,
        error_type: str | None = None,
        message: str | None = None,
        details: dict[str, Any] | None = None,
        extra: dict[str, str] | None = None,
    ) -> None:
        if message is None:
            message = ERROR_MESSAGES.get(status)
        if message is None:
            try:
                message = HTTPStatus(status).phrase
            except ValueError:
                message = "Error"
        err: dict[str, Any] = {
            "type": error_type or ERROR_TYPES.get(status, "api_error"),
            "message": message,
        }
        if details is not None:
            err["details"] = details
        self._send_json(status, {"type": "error", "error": err, "request_id": rid}, rid, extra)

    # -- routing --------------------------------------------------------------------------

    def _read_body(self) -> bytes:
        length = int(self.headers.get("Content-Length") or 0)
        return self.rfile.read(length) if length > 0 else b""

    def _handle(self) -> None:
        owner = self.server.owner
        raw = self._read_body() if self.command in ("POST", "PUT", "PATCH") else b""
        body: Any = None
        parse_error: str | None = None
        if raw:
            try:
                body = json.loads(raw)
            except ValueError as exc:
                parse_error = f"Request body is not valid JSON: {exc}"
        rec = RecordedRequest(
            method=self.command,
            path=self.path,
            headers={k.lower(): v for k, v in self.headers.items()},
            body=body,
            started_at=time.monotonic(),
            client_port=self.client_address[1],
        )
        owner._record(rec)
        rid = _random_id("req_")
        route = urlsplit(self.path).path.rstrip("/")
        try:
            behaviour = owner.behaviour(body.get("model")) if isinstance(body, dict) else None
            if self.command == "GET" and owner.lineup and route.startswith("/v1/models"):
                self._models(rec, route, rid)
            elif self.command != "POST" or route not in (
                "/v1/messages",
                "/v1/messages/count_tokens",
            ):
                rec.status = 404
                self._send_error_json(404, rid, "not_found_error", f"Not found: {self.path}")
                rec.completed = True
            elif parse_error or not isinstance(body, dict):
                rec.status = 400
                self._send_error_json(400, rid, message=parse_error or "Body must be a JSON object")
                rec.completed = True
            elif behaviour is not None and (refused := owner.refusal(behaviour, body)):
                rec.status = refused.status
                self._send_error_json(refused.status, rid, refused.error_type, refused.message)
                rec.completed = True
            elif route == "/v1/messages/count_tokens":
                n = owner.input_tokens(body)
                rec.status = 200
                rec.usage = {"input_tokens": n}
                self._send_json(200, {"input_tokens": n}, rid)
                rec.completed = True
            else:
                missing = [k for k in ("model", "max_tokens", "messages") if k not in body]
                if missing:
                    rec.status = 400
                    self._send_error_json(400, rid, message=f"{missing[0]}: Field required")
                    rec.completed = True
                else:
                    self._messages(rec, body, rid)
        except _ClientGone:
            rec.client_disconnected = True
            self.close_connection = True
        except _Stopping:
            self._drop_connection()
        finally:
            rec.finished_at = time.monotonic()
            owner._notify()

    do_POST = _handle
    do_GET = _handle
    do_PUT = _handle
    do_DELETE = _handle
    do_PATCH = _handle

    # -- /v1/models -----------------------------------------------------------------------

    def _models(self, rec: RecordedRequest, route: str, rid: str) -> None:
        owner = self.server.owner
        rec.status = 200
        if route != "/v1/models":
            wanted = route.removeprefix("/v1/models/")
            found = owner.behaviour(wanted)
            if found is None:
                rec.status = 404
                self._send_error_json(404, rid, "not_found_error", f"model: {wanted}")
            else:
                self._send_json(200, found.info(), rid)
            rec.completed = True
            return
        query = parse_qs(urlsplit(self.path).query)
        # Retired models only when asked for, as the API does.
        stages = query.get("lifecycle[]") or query.get("lifecycle") or ["active", "deprecated"]
        data = [b.info() for b in owner.models if b.lifecycle in stages]
        data.sort(key=lambda m: m["created_at"], reverse=True)
        page = {
            "data": data,
            "has_more": False,
            "first_id": data[0]["id"] if data else None,
            "last_id": data[-1]["id"] if data else None,
        }
        self._send_json(200, page, rid)
        rec.completed = True

    # -- /v1/messages ---------------------------------------------------------------------

    def _messages(self, rec: RecordedRequest, body: dict[str, Any], rid: str) -> None:
        owner = self.server.owner
        try:
            reply = owner._next_reply(rec)
        except Exception as exc:  # a broken responder must fail the test, not hang it
            owner.errors.append(exc)
            rec.status = 500
            self._send_error_json(500, rid, "api_error", f"test server responder failed: {exc!r}")
            return
        rec.reply = reply
        if reply.reset:
            rec.status = None
            self._abort_with_rst()
            return
        if reply.delay_headers > 0:
            self._wait(reply.delay_headers)
        if reply.status != 200:
            rec.status = reply.status
            self._send_error_json(
                reply.status,
                rid,
                reply.error_type,
                reply.error_message,
                reply.error_details,
                reply.headers,
            )
            rec.completed = True
            return
        plan = owner._plan(body, reply)
        rec.usage = plan.usage
        rec.status = 200
        if body.get("stream"):
            self._stream(rec, plan, reply, rid)
        else:
            self._non_stream(rec, plan, reply, rid)

    def _non_stream(self, rec: RecordedRequest, plan: _Plan, reply: Reply, rid: str) -> None:
        n = plan.output_tokens
        delay = reply.ttft + (n / reply.tokens_per_second if reply.tokens_per_second else 0.0)
        if delay > 0:
            self._wait(delay)
        msg = {
            "id": _random_id("msg_01"),
            "type": "message",
            "role": "assistant",
            "model": plan.model,
            "content": plan.blocks,
            "stop_reason": plan.stop_reason,
            "stop_sequence": plan.stop_sequence,
            "usage": {**plan.usage, "output_tokens": n},
        }
        payload = _dumps(msg).encode()
        if reply.malformed:
            payload = payload[: len(payload) // 2] + b"<<not json"
        headers = {
            "Content-Type": "application/json",
            "Content-Length": str(len(payload)),
            "request-id": rid,
            **reply.headers,
        }
        self._send_head(200, headers)
        if reply.truncate_after_deltas is not None:
            self._write(payload[: len(payload) // 2])
            self._drop_connection()
            return
        self._write(payload)
        rec.deltas_sent = n
        rec.text_sent = "".join(b.get("text", "") for b in plan.blocks)
        rec.completed = True

    def _stream(self, rec: RecordedRequest, plan: _Plan, reply: Reply, rid: str) -> None:
        headers = {
            "Content-Type": "text/event-stream; charset=utf-8",
            "Cache-Control": "no-cache",
            "Transfer-Encoding": "chunked",
            "request-id": rid,
            **reply.headers,
        }
        self._send_head(200, headers)

        def event(name: str, data: Any, raw: str | None = None) -> None:
            text = raw if raw is not None else _dumps(data)
            chunk = f"event: {name}\ndata: {text}\n\n".encode()
            self._write(b"%x\r\n%s\r\n" % (len(chunk), chunk))

        msg = {
            "id": _random_id("msg_01"),
            "type": "message",
            "role": "assistant",
            "model": plan.model,
            "content": [],
            "stop_reason": None,
            "stop_sequence": None,
            "usage": {**plan.usage, "output_tokens": 1},
        }
        event("message_start", {"type": "message_start", "message": msg})
        if reply.ttft > 0:
            self._wait(reply.ttft)
        elif self._client_gone():
            raise _ClientGone
        interval = 1.0 / reply.tokens_per_second if reply.tokens_per_second else 0.0
        deltas = 0
        sent_text: list[str] = []

        malformed_sent = False

        def before_delta(final: bool = False) -> bool:
            """Inject scripted faults before the next delta; False: stop streaming."""
            nonlocal malformed_sent
            at_fault = deltas == reply.error_after_deltas or (
                final and deltas < reply.error_after_deltas
            )
            if at_fault and reply.malformed and not malformed_sent:
                malformed_sent = True
                bad = '{"type": "content_block_delta", "index": 0, "delta": {"type": "text_d'
                event("content_block_delta", None, raw=bad)
            if at_fault and reply.midstream_error:
                err = {"type": reply.midstream_error, "message": reply.midstream_error_message}
                event("error", {"type": "error", "error": err})
                self._write(b"0\r\n\r\n")
                rec.completed = True
                return False
            if reply.truncate_after_deltas is not None and deltas >= reply.truncate_after_deltas:
                self._drop_connection()
                return False
            if reply.end_after_deltas is not None and (final or deltas >= reply.end_after_deltas):
                self._write(b"0\r\n\r\n")
                return False
            return True

        for index, (block, pieces) in enumerate(zip(plan.blocks, plan.pieces, strict=True)):
            if block["type"] == "text":
                start = {"type": "text", "text": ""}
            elif block["type"] == "thinking":
                start = {"type": "thinking", "thinking": "", "signature": ""}
            else:
                start = {"type": "tool_use", "id": block["id"], "name": block["name"], "input": {}}
            event(
                "content_block_start",
                {"type": "content_block_start", "index": index, "content_block": start},
            )
            if index == 0:
                event("ping", {"type": "ping"})
            if block["type"] == "tool_use":
                empty = {"type": "input_json_delta", "partial_json": ""}
                event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": empty},
                )
            for piece in pieces:
                if not before_delta():
                    return
                if deltas > 0 and interval:
                    self._wait(interval)
                elif deltas > 0 and self._client_gone():
                    raise _ClientGone
                if block["type"] == "text":
                    delta = {"type": "text_delta", "text": piece}
                elif block["type"] == "thinking":
                    delta = {"type": "thinking_delta", "thinking": piece}
                else:
                    delta = {"type": "input_json_delta", "partial_json": piece}
                event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": delta},
                )
                deltas += 1
                rec.deltas_sent = deltas
                if block["type"] == "text":
                    sent_text.append(piece)
                    rec.text_sent = "".join(sent_text)
            if block["type"] == "thinking":
                signature = {"type": "signature_delta", "signature": block["signature"]}
                event(
                    "content_block_delta",
                    {"type": "content_block_delta", "index": index, "delta": signature},
                )
            event("content_block_stop", {"type": "content_block_stop", "index": index})
        if not before_delta(final=True):
            return
        event(
            "message_delta",
            {
                "type": "message_delta",
                "delta": {"stop_reason": plan.stop_reason, "stop_sequence": plan.stop_sequence},
                "usage": {"output_tokens": plan.output_tokens},
            },
        )
        event("message_stop", {"type": "message_stop"})
        self._write(b"0\r\n\r\n")
        rec.completed = True


class _HTTPServer(ThreadingHTTPServer):
    daemon_threads = True
    allow_reuse_address = True
    owner: AnthropicTestServer

    def handle_error(self, request: Any, client_address: Any) -> None:
        # Quiet: connection errors are expected (clients hang up, we reset sockets).
        exc = sys.exc_info()[1]
        if isinstance(exc, OSError | _ClientGone | _Stopping):
            return
        super().handle_error(request, client_address)


class AnthropicTestServer:
    """An Anthropic Messages API look-alike on 127.0.0.1 for the real SDK.

    Replies come from ``enqueue()``d ``Reply`` objects (FIFO, one per ``/v1/messages``
    request), else from ``responder(request) -> Reply | str``, else ``default_reply``.
    """

    def __init__(
        self,
        host: str = "127.0.0.1",
        port: int = 0,
        *,
        default_reply: Reply | None = None,
        cache_min_tokens: int | None = None,
        lineup: bool = True,
    ) -> None:
        self.host = host
        self.port = port
        self.default_reply = default_reply or Reply()
        self.responder: Callable[[RecordedRequest], Reply | str] | None = None
        # One minimum for every model when given; else each lineup model's own (4096 for others).
        self.cache_min_tokens = cache_min_tokens
        # Today's models, answered per model (module docstring); False: every model as any other.
        self.lineup = lineup
        self.models: list[Behaviour] = [dataclasses.replace(b) for b in LINEUP]
        self.cache: dict[str, int] = {}  # prefix hash -> prefix tokens
        self.errors: list[BaseException] = []  # exceptions raised by `responder`
        self._queue: collections.deque[Reply] = collections.deque()
        self._requests: list[RecordedRequest] = []
        self._cond = threading.Condition()
        self._stopping = threading.Event()
        self._conns: set[socket.socket] = set()
        self._httpd: _HTTPServer | None = None
        self._thread: threading.Thread | None = None

    # -- lifecycle --------------------------------------------------------------------------

    def start(self) -> AnthropicTestServer:
        if self._httpd is not None:
            return self
        self._stopping.clear()
        httpd = _HTTPServer((self.host, self.port), _Handler)
        httpd.owner = self
        self.port = httpd.server_address[1]
        self._httpd = httpd
        self._thread = threading.Thread(
            target=httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        httpd = self._httpd
        if httpd is None:
            return
        self._stopping.set()
        httpd.shutdown()
        httpd.server_close()
        with self._cond:
            conns = list(self._conns)
        for conn in conns:  # idle keep-alive connections would keep their threads alive
            with contextlib.suppress(OSError):
                conn.shutdown(socket.SHUT_RDWR)
        with self._cond:  # let handler threads finish, so stop() leaves nothing running
            self._cond.wait_for(lambda: not self._conns, timeout=2)
        if self._thread is not None:
            self._thread.join(timeout=5)
        self._httpd = None
        self._thread = None

    def __enter__(self) -> AnthropicTestServer:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    @property
    def base_url(self) -> str:
        return f"http://{self.host}:{self.port}"

    # -- scripting --------------------------------------------------------------------------

    def enqueue(self, *replies: Reply) -> None:
        with self._cond:
            self._queue.extend(replies)

    def clear_queue(self) -> None:
        with self._cond:
            self._queue.clear()

    def _next_reply(self, rec: RecordedRequest) -> Reply:
        with self._cond:
            if self._queue:
                return self._queue.popleft()
        if self.responder is not None:
            result = self.responder(rec)
            return Reply(text=result) if isinstance(result, str) else result
        return self.default_reply

    # -- recording --------------------------------------------------------------------------

    @property
    def requests(self) -> list[RecordedRequest]:
        """A snapshot of every request received so far, in arrival order."""
        with self._cond:
            return list(self._requests)

    def messages_requests(self) -> list[RecordedRequest]:
        """Only the ``POST /v1/messages`` requests."""
        return [r for r in self.requests if urlsplit(r.path).path.rstrip("/") == "/v1/messages"]

    def _record(self, rec: RecordedRequest) -> None:
        with self._cond:
            self._requests.append(rec)
            self._cond.notify_all()

    def _notify(self) -> None:
        with self._cond:
            self._cond.notify_all()

    def _track(self, conn: socket.socket, *, add: bool) -> None:
        with self._cond:
            if add:
                self._conns.add(conn)
            else:
                self._conns.discard(conn)
                self._cond.notify_all()

    def wait_for_requests(self, n: int, timeout: float = 5.0) -> list[RecordedRequest]:
        """Wait until at least ``n`` requests have arrived; raise TimeoutError otherwise."""
        with self._cond:
            if not self._cond.wait_for(lambda: len(self._requests) >= n, timeout):
                raise TimeoutError(f"expected {n} requests, got {len(self._requests)}")
            return list(self._requests)

    def wait_for_disconnect(self, req: RecordedRequest, timeout: float = 5.0) -> bool:
        """Wait until the client hangs up on ``req``. False if it finishes or time runs out."""
        with self._cond:
            self._cond.wait_for(
                lambda: req.client_disconnected or req.finished_at is not None, timeout
            )
            return req.client_disconnected

    def wait_for_finish(self, req: RecordedRequest, timeout: float = 5.0) -> bool:
        """Wait until the server is done with ``req`` (written, failed or abandoned)."""
        with self._cond:
            return self._cond.wait_for(lambda: req.finished_at is not None, timeout)

    def reset(self) -> None:
        """Forget requests, queued replies and the prompt cache."""
        with self._cond:
            self._requests.clear()
            self._queue.clear()
            self.cache.clear()

    # -- the lineup ------------------------------------------------------------------------

    def behaviour(self, model: Any) -> Behaviour | None:
        """The lineup model ``model`` names (by id or alias); None when off or not listed."""
        if not self.lineup or not isinstance(model, str):
            return None
        for b in self.models:
            if model == b.id or model in b.aliases:
                return b
        return None

    def refusal(self, behaviour: Behaviour, body: dict[str, Any]) -> Refused | None:
        try:
            check_request(behaviour, body)
        except Refused as refused:
            return refused
        return None

    def _factor(self, body: dict[str, Any]) -> float:
        b = self.behaviour(body.get("model"))
        return b.token_factor if b else 1.0

    def _cache_min(self, body: dict[str, Any]) -> int:
        if self.cache_min_tokens is not None:
            return self.cache_min_tokens
        b = self.behaviour(body.get("model"))
        return b.cache_min_tokens if b else 4096

    def input_tokens(self, body: dict[str, Any]) -> int:
        """What count_tokens answers: the estimate, in the model's tokenizer."""
        return max(int(estimate_input_tokens(body) * self._factor(body)), 1)

    # -- reply planning ---------------------------------------------------------------------

    def _cache_usage(self, body: dict[str, Any]) -> tuple[int, int, int]:
        """(input, cache_creation, cache_read) with simulated prompt caching.

        The prompt is flattened into blocks in the API's order (tools, system, messages).
        A breakpoint is a block with ``cache_control``. Every prefix that ends at a
        breakpoint and is at least ``cache_min_tokens`` long is written to the cache. A read
        is the longest cached prefix ending at any block up to the last breakpoint; creation
        is the rest of the prefix up to the last breakpoint.
        """
        total = self.input_tokens(body)
        factor = self._factor(body)
        minimum = self._cache_min(body)
        blocks: list[Any] = []
        marks: list[bool] = []

        def add(block: Any, role: str | None = None) -> None:
            marked = isinstance(block, dict) and "cache_control" in block
            if isinstance(block, dict):
                block = {k: v for k, v in block.items() if k != "cache_control"}
            blocks.append([role, block] if role else block)
            marks.append(marked)

        for tool in body.get("tools") or []:
            add(tool, "tool")
        system = body.get("system")
        if isinstance(system, list):
            for b in system:
                add(b, "system")
        elif system:
            add(system, "system")
        for m in body.get("messages") or []:
            content = m.get("content") if isinstance(m, dict) else None
            role = m.get("role", "user") if isinstance(m, dict) else "user"
            if isinstance(content, list):
                for b in content:
                    add(b, role)
            else:
                add(content, role)
        if not any(marks):
            return total, 0, 0
        last = max(i for i, marked in enumerate(marks) if marked)
        h = hashlib.sha256()
        prefix_len = 0
        read = 0
        written: list[tuple[str, int]] = []
        with self._cond:
            for i in range(last + 1):
                piece = _dumps(blocks[i])
                h.update(piece.encode())
                h.update(b"\x00")
                prefix_len += len(piece) + 1
                key = h.hexdigest()
                tokens = int(prefix_len // 4 * factor)
                if key in self.cache:
                    read = self.cache[key]
                if marks[i] and tokens >= minimum:
                    written.append((key, tokens))
            for key, tokens in written:
                self.cache[key] = tokens
        full = int(prefix_len // 4 * factor)
        if full < minimum:
            return total, 0, read
        creation = max(full - read, 0)
        return max(total - read - creation, 1), creation, read

    def _plan(self, body: dict[str, Any], reply: Reply) -> _Plan:
        text = reply.text
        stop_reason = "end_turn"
        stop_sequence: str | None = None
        cut = None
        for seq in body.get("stop_sequences") or []:
            pos = text.find(seq) if seq else -1
            if pos >= 0 and (cut is None or pos < cut[0]):
                cut = (pos, seq)
        tool_calls = list(reply.tool_calls)
        if cut is not None:
            text = text[: cut[0]]
            stop_reason, stop_sequence = "stop_sequence", cut[1]
            tool_calls = []
        elif tool_calls:
            stop_reason = "tool_use"

        blocks: list[dict[str, Any]] = []
        pieces: list[list[str]] = []
        behaviour = self.behaviour(body.get("model"))
        if behaviour is not None and thinks(behaviour, body):
            thought = reply.thinking if reply.thinking is not None else DEFAULT_THINKING
            blocks.append({"type": "thinking", "thinking": thought, "signature": "sig"})
            pieces.append(tokenize(thought))
        if text or not tool_calls:
            blocks.append({"type": "text", "text": text})
            pieces.append(tokenize(text))
        for call in tool_calls:
            blocks.append(
                {
                    "type": "tool_use",
                    "id": call.get("id") or _random_id("toolu_01"),
                    "name": call["name"],
                    "input": call.get("input", {}),
                }
            )
            pieces.append(tokenize(_dumps(call.get("input", {}))))

        budget = int(body.get("max_tokens") or 0)
        if sum(len(p) for p in pieces) > budget:
            stop_reason, stop_sequence = "max_tokens", None
            kept_blocks: list[dict[str, Any]] = []
            kept_pieces: list[list[str]] = []
            for block, p in zip(blocks, pieces, strict=True):
                if budget <= 0 and kept_blocks:
                    break
                p = p[: max(budget, 0)]
                budget -= len(p)
                if block["type"] == "text":
                    block = {**block, "text": "".join(p)}
                elif block["type"] == "thinking":
                    block = {**block, "thinking": "".join(p)}
                elif len(p) < len(tokenize(_dumps(block["input"]))):
                    block = {**block, "input": {}}  # the model stopped mid-JSON
                kept_blocks.append(block)
                kept_pieces.append(p)
            blocks, pieces = kept_blocks, kept_pieces
        if reply.stop_reason is not None:
            stop_reason = reply.stop_reason

        inp, creation, read = self._cache_usage(body)
        if reply.input_tokens is not None:
            inp = reply.input_tokens
        if reply.cache_creation_input_tokens is not None:
            creation = reply.cache_creation_input_tokens
        if reply.cache_read_input_tokens is not None:
            read = reply.cache_read_input_tokens
        usage = {
            "input_tokens": inp,
            "cache_creation_input_tokens": creation,
            "cache_read_input_tokens": read,
            "cache_creation": {
                "ephemeral_5m_input_tokens": creation,
                "ephemeral_1h_input_tokens": 0,
            },
            "service_tier": "standard",
        }
        return _Plan(
            blocks=blocks,
            pieces=pieces,
            stop_reason=stop_reason,
            stop_sequence=stop_sequence,
            usage=usage,
            model=reply.model or str(body.get("model")),
        )


# -- script mode --------------------------------------------------------------------------


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=0)
    p.add_argument("--text", default=DEFAULT_TEXT, help="reply text when no script reply is left")
    p.add_argument("--ttft", type=float, default=0.0, help="seconds to first token")
    p.add_argument("--tps", type=float, default=None, help="output tokens per second")
    p.add_argument("--script", help="JSON file: a list of Reply dicts, answered in order")
    p.add_argument("--cache-min-tokens", type=int, default=None, help="one minimum for every model")
    p.add_argument(
        "--no-lineup", action="store_true", help="answer every model alike (no per-model rules)"
    )
    return p.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = _parse_args(argv)
    server = AnthropicTestServer(
        args.host,
        args.port,
        default_reply=Reply(text=args.text, ttft=args.ttft, tokens_per_second=args.tps),
        cache_min_tokens=args.cache_min_tokens,
        lineup=not args.no_lineup,
    )
    if args.script:
        with open(args.script, encoding="utf-8") as f:
            items = json.load(f)
        if not isinstance(items, list):
            raise SystemExit("--script must hold a JSON list of reply objects")
        server.enqueue(*(Reply.from_dict(item) for item in items))
    done = threading.Event()

    def on_signal(signum: int, frame: Any) -> None:
        done.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    with server:
        print(f"READY {server.base_url}", flush=True)
        while not done.wait(0.2):
            pass
    return 0


if __name__ == "__main__":
    sys.exit(main())
