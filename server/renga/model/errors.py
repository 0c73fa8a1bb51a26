"""Model failures in renga's own terms, so callers never handle SDK exception classes."""

from __future__ import annotations

import socket
import ssl
from enum import StrEnum
from urllib.parse import urlsplit


class Failure(StrEnum):
    NOT_CONFIGURED = "not_configured"  # no key or provider settings
    AUTH = "auth"  # 401: bad key; retrying cannot help
    PERMISSION = "permission"  # 403
    NOT_FOUND = "not_found"  # 404: model retired or misspelt
    BAD_REQUEST = "bad_request"  # 400, 413, 422
    RATE_LIMIT = "rate_limit"  # 429
    OVERLOADED = "overloaded"  # 529
    SERVER = "server"  # 500, 502, 503, 504
    TIMEOUT = "timeout"
    CONNECTION = "connection"  # refused, reset, DNS
    STREAM = "stream"  # error event or malformed stream after HTTP 200
    BUDGET = "budget"  # renga's own spend cap
    PAUSED = "paused"  # renga's circuit breaker: the service kept failing, no request was sent


RETRYABLE = {
    Failure.RATE_LIMIT,
    Failure.OVERLOADED,
    Failure.SERVER,
    Failure.TIMEOUT,
    Failure.CONNECTION,
    Failure.STREAM,
}


class ModelError(Exception):
    def __init__(
        self,
        failure: Failure,
        message: str,
        *,
        status: int | None = None,
        retry_after: float | None = None,
        model: str | None = None,
    ) -> None:
        super().__init__(message)
        self.failure = failure
        self.status = status
        self.retry_after = retry_after
        self.model = model

    @property
    def retryable(self) -> bool:
        return self.failure in RETRYABLE

    def __str__(self) -> str:
        status = f" (HTTP {self.status})" if self.status else ""
        return f"{self.failure.value}{status}: {self.args[0]}"


# Why a service cannot be reached, by the transport error beneath the SDK's "Connection error.":
# the first row whose type is in the exception's cause chain says it. {origin}: scheme, host and
# port; {host}; {cause}: the system's words.
UNREACHABLE: list[tuple[type[BaseException], str]] = [
    (
        socket.gaierror,
        "the host {host} cannot be resolved ({cause}): check the network, or the base URL "
        "(`baseUrl`, ANTHROPIC_BASE_URL)",
    ),
    (
        ssl.SSLCertVerificationError,
        "TLS with {host} failed: its certificate is not trusted ({cause}); behind a proxy that "
        "inspects TLS, point SSL_CERT_FILE at its CA bundle",
    ),
    (
        ssl.SSLError,
        "TLS with {host} failed ({cause}): is {origin} an HTTPS endpoint?",
    ),
    (ConnectionRefusedError, "{origin} refused the connection ({cause})"),
    (ConnectionResetError, "{origin} reset the connection ({cause})"),
]


def unreachable(exc: BaseException, url: str) -> str:
    """In plain words, why the service at ``url`` could not be reached, from the causes of
    ``exc`` (the address is named without any user or password it holds)."""
    parts = urlsplit(url)
    host = parts.hostname or "the model service"
    origin = f"{parts.scheme}://{host}" if parts.scheme else host
    if parts.scheme and parts.port:
        origin += f":{parts.port}"
    causes: list[BaseException] = []
    cause: BaseException | None = exc
    while cause is not None and cause not in causes:
        causes.append(cause)
        cause = cause.__cause__ or cause.__context__
    for kind, template in UNREACHABLE:
        for cause in causes:
            if isinstance(cause, kind):
                words = getattr(cause, "verify_message", None) or getattr(cause, "strerror", None)
                return template.format(host=host, origin=origin, cause=words or cause)
    return f"cannot reach the model service at {origin}: {causes[-1]}"
