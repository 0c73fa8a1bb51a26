"""Model failures in renga's own terms, so callers never handle SDK exception classes."""

from __future__ import annotations

from enum import StrEnum


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
