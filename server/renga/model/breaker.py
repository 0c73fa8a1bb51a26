"""A circuit breaker in front of the model service.

When the service keeps failing (overloaded, rate limited, unreachable, broken streams), every
keystroke would otherwise send one more doomed request and log one more error. After
``failures`` consecutive failures the breaker *opens*: requests fail at once, locally, for
``pause`` seconds. Then it lets one *probe* request through (half-open); the probe's success
closes it, its failure opens it for another pause. A rejected key (401, 403) opens it at once:
no retry can fix a key.

Listeners hear about transitions only (``on_change``), so the editor is told once per outage, not
once per keystroke.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from renga.model.errors import RETRYABLE, Failure, ModelError

log = logging.getLogger(__name__)

# However long a retry-after asks for, a paused editor retries after at most this long.
MAX_PAUSE_S = 600.0

# Requests refused in a row (400, 413, 422) before the user is told: one refusal may be one odd
# request, a streak means every request will be (a setting, a proxy, a prompt too large).
REFUSALS_TO_TELL = 3

# Failures that say nothing about the service's health: no request reached it.
_NOT_SERVICE = {Failure.NOT_CONFIGURED, Failure.BUDGET, Failure.PAUSED}
_AUTH = {Failure.AUTH, Failure.PERMISSION}


class BreakerState(StrEnum):
    CLOSED = "closed"
    OPEN = "open"
    HALF_OPEN = "half_open"


@dataclass(frozen=True)
class BreakerChange:
    """A transition, as listeners hear it."""

    state: BreakerState
    message: str
    # A new outage (closed -> open): the one moment to show the user a message.
    new_outage: bool = False
    # The key was rejected: an error the user must fix, not a wait.
    auth: bool = False


def auth_message(error: ModelError) -> str:
    if error.failure is Failure.AUTH:
        what = "the API key was rejected"
        fix = "check ANTHROPIC_API_KEY (or ANTHROPIC_AUTH_TOKEN, or the provider's credentials)"
    else:
        what = "the API key is not allowed to use this model or resource"
        fix = "check the key's workspace, permissions and billing, or choose another model"
    return f"renga: {what} ({error}); {fix}. Requests are paused until it works."


class CircuitBreaker:
    def __init__(
        self,
        failures: int = 5,
        pause_s: float = 30.0,
        *,
        on_change: Callable[[BreakerChange], None] | None = None,
        clock: Callable[[], float] = time.monotonic,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        self.failures = max(1, failures)
        self.pause_s = pause_s
        self.on_change = on_change
        # Told (once per streak) when the service keeps refusing requests: it is up, so the
        # breaker stays closed, but every completion fails.
        self.on_refused = on_refused
        self.refused = 0
        self._clock = clock
        self.state = BreakerState.CLOSED
        self.consecutive = 0
        self.last_error: ModelError | None = None
        self._open_until = 0.0
        self._opened_at = 0.0
        self._probe_since: float | None = None
        self._auth = False

    def configure(self, failures: int, pause_s: float) -> None:
        self.failures = max(1, failures)
        self.pause_s = pause_s

    def now(self) -> float:
        return self._clock()

    @property
    def is_open(self) -> bool:
        return self.state is BreakerState.OPEN and self._clock() < self._open_until

    def check(self) -> None:
        """Raise ``ModelError(PAUSED)`` when no request may go out now. In half-open state one
        request (the probe) is let through; the others are refused until its outcome is known."""
        if self.state is BreakerState.CLOSED:
            return
        now = self._clock()
        if self.state is BreakerState.OPEN and now >= self._open_until:
            self.state = BreakerState.HALF_OPEN
            self._probe_since = None
            log.info("model requests: pause over, probing the service")
        # A probe whose outcome never came (lost task) must not block requests forever.
        probe_free = self._probe_since is None or now - self._probe_since > self.pause_s
        if self.state is BreakerState.HALF_OPEN and probe_free:
            self._probe_since = now
            return
        raise ModelError(Failure.PAUSED, self._paused_message(now))

    def _paused_message(self, now: float) -> str:
        cause = f": {self.last_error}" if self.last_error else ""
        wait = max(0.0, self._open_until - now)
        return f"model requests paused for {wait:.0f} s after repeated failures{cause}"

    def success(self, since: float | None = None) -> None:
        """The service answered (even a 400 or 404 says it is up). ``since``: when the request
        began; an answer to a request sent before the outage began says nothing about it now."""
        if since is not None and self.state is not BreakerState.CLOSED and since < self._opened_at:
            return
        self.consecutive = 0
        self.refused = 0
        if self.state is BreakerState.CLOSED:
            return
        self.state = BreakerState.CLOSED
        self._probe_since = None
        self._auth = False
        log.info("model service answers again: requests resumed")
        self._emit(BreakerChange(BreakerState.CLOSED, ""))

    def release(self) -> None:
        """The request was cancelled before its outcome was known: another may probe."""
        self._probe_since = None

    def record(self, error: ModelError) -> None:
        """The outcome of a request that failed with ``error``."""
        if error.failure in _NOT_SERVICE:
            return
        refused = self.refused + 1 if error.failure is Failure.BAD_REQUEST else 0
        self.refused = refused
        if error.failure not in RETRYABLE and error.failure not in _AUTH:
            self.success()  # the service is up: it answered
            self.refused = refused
            if refused == REFUSALS_TO_TELL and self.on_refused is not None:
                message = (
                    f"renga: the model service refused the last {refused} requests ({error}); "
                    "completions will fail until that is fixed."
                )
                log.warning("%s", message)
                try:
                    self.on_refused(message)
                except Exception:  # a broken listener must not break model calls
                    log.exception("breaker listener failed")
            return
        self.last_error = error
        self.consecutive += 1
        auth = error.failure in _AUTH
        if self.state is BreakerState.CLOSED and not auth and self.consecutive < self.failures:
            return
        was_closed = self.state is BreakerState.CLOSED
        pause = self.pause_s
        if error.retry_after:
            pause = max(pause, min(error.retry_after, MAX_PAUSE_S))
        self.state = BreakerState.OPEN
        self._opened_at = self._clock()
        self._open_until = self._opened_at + pause
        self._probe_since = None
        if was_closed or auth != self._auth:
            self._auth = auth
            if auth:
                message = auth_message(error)
            else:
                message = (
                    f"renga: the model service keeps failing ({error}); "
                    f"requests are paused for {pause:.0f} s, then retried."
                )
            log.warning("%s", message)
            self._emit(BreakerChange(BreakerState.OPEN, message, new_outage=True, auth=auth))
        else:
            log.info("probe failed (%s): paused for another %.0f s", error, pause)

    def reset(self) -> None:
        """Forget the history (another endpoint or key was configured)."""
        was = self.state
        self.state = BreakerState.CLOSED
        self.consecutive = 0
        self._probe_since = None
        self._auth = False
        if was is not BreakerState.CLOSED:
            self._emit(BreakerChange(BreakerState.CLOSED, ""))

    def _emit(self, change: BreakerChange) -> None:
        if self.on_change is None:
            return
        try:
            self.on_change(change)
        except Exception:  # a broken listener must not break model calls
            log.exception("breaker listener failed")
