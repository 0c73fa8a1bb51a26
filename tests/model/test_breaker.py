"""The circuit breaker on its own, with a controlled clock."""

from __future__ import annotations

import pytest

from renga.model.breaker import BreakerChange, BreakerState, CircuitBreaker
from renga.model.errors import Failure, ModelError


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def make(
    failures: int = 3, pause: float = 30.0
) -> tuple[CircuitBreaker, Clock, list[BreakerChange]]:
    clock = Clock()
    changes: list[BreakerChange] = []
    return CircuitBreaker(failures, pause, on_change=changes.append, clock=clock), clock, changes


def overloaded(retry_after: float | None = None) -> ModelError:
    return ModelError(Failure.OVERLOADED, "Overloaded", status=529, retry_after=retry_after)


def test_opens_after_consecutive_failures_and_tells_once() -> None:
    breaker, _, changes = make(failures=3)
    for _ in range(2):
        breaker.check()
        breaker.record(overloaded())
    assert breaker.state is BreakerState.CLOSED and changes == []
    breaker.record(overloaded())
    assert breaker.state is BreakerState.OPEN
    for _ in range(10):  # every keystroke while open: refused locally, nothing more is said
        with pytest.raises(ModelError) as info:
            breaker.check()
        assert info.value.failure is Failure.PAUSED
    assert len(changes) == 1 and changes[0].new_outage and "paused for 30 s" in changes[0].message


def test_a_success_resets_the_count() -> None:
    breaker, _, changes = make(failures=3)
    breaker.record(overloaded())
    breaker.record(overloaded())
    breaker.success()
    breaker.record(overloaded())
    breaker.record(overloaded())
    assert breaker.state is BreakerState.CLOSED and changes == []


def test_half_open_lets_one_probe_through_then_closes_on_success() -> None:
    breaker, clock, changes = make(failures=1, pause=30)
    breaker.record(overloaded())
    clock.now += 29
    with pytest.raises(ModelError):
        breaker.check()
    clock.now += 2
    breaker.check()  # the probe
    with pytest.raises(ModelError):
        breaker.check()  # others wait for its outcome
    breaker.success()
    breaker.check()
    assert [c.state for c in changes] == [BreakerState.OPEN, BreakerState.CLOSED]


def test_a_failed_probe_pauses_again_without_a_new_message() -> None:
    breaker, clock, changes = make(failures=1, pause=30)
    breaker.record(overloaded())
    clock.now += 31
    breaker.check()
    breaker.record(overloaded())
    assert breaker.is_open
    assert len(changes) == 1


def test_a_cancelled_probe_lets_the_next_request_probe() -> None:
    breaker, clock, _ = make(failures=1, pause=30)
    breaker.record(overloaded())
    clock.now += 31
    breaker.check()
    breaker.release()
    breaker.check()


@pytest.mark.parametrize(("failure", "status"), [(Failure.AUTH, 401), (Failure.PERMISSION, 403)])
def test_a_rejected_key_opens_at_once_with_a_key_message(failure: Failure, status: int) -> None:
    breaker, _, changes = make(failures=5)
    breaker.record(ModelError(failure, "invalid x-api-key", status=status))
    assert breaker.is_open
    (change,) = changes
    assert change.auth and "API key" in change.message and f"HTTP {status}" in change.message


@pytest.mark.parametrize("failure", [Failure.BAD_REQUEST, Failure.NOT_FOUND])
def test_answers_that_prove_the_service_up_count_as_success(failure: Failure) -> None:
    breaker, clock, changes = make(failures=1)
    breaker.record(overloaded())
    clock.now += 31
    breaker.check()
    breaker.record(ModelError(failure, "bad"))
    assert breaker.state is BreakerState.CLOSED
    assert changes[-1].state is BreakerState.CLOSED


def test_a_long_retry_after_lengthens_the_pause() -> None:
    breaker, clock, _ = make(failures=1, pause=30)
    breaker.record(overloaded(retry_after=90))
    clock.now += 60
    assert breaker.is_open
    clock.now += 31
    breaker.check()


def test_local_refusals_do_not_count() -> None:
    breaker, _, _ = make(failures=1)
    for failure in (Failure.NOT_CONFIGURED, Failure.BUDGET, Failure.PAUSED):
        breaker.record(ModelError(failure, "x"))
    assert breaker.state is BreakerState.CLOSED


def test_a_late_answer_to_a_request_sent_before_the_outage_does_not_end_it() -> None:
    breaker, clock, _ = make(failures=1)
    sent = clock.now
    clock.now += 1
    breaker.record(ModelError(Failure.AUTH, "invalid x-api-key", status=401))
    clock.now += 1
    breaker.success(since=sent)
    assert breaker.is_open


def refused(status: int = 413) -> ModelError:
    return ModelError(Failure.BAD_REQUEST, "prompt is too long", status=status)


def test_a_streak_of_refusals_is_told_once_and_pauses_nothing() -> None:
    told: list[str] = []
    breaker = CircuitBreaker(3, 30.0, on_refused=told.append)
    for _ in range(2):  # two odd requests, then an answer: nothing to say
        breaker.record(refused())
    breaker.success()
    for _ in range(2):
        breaker.record(refused(400))
    assert told == []
    for _ in range(5):
        breaker.record(refused())
        breaker.check()  # never paused: the service is up, it answers
    assert len(told) == 1
    assert "refused the last 3 requests" in told[0] and "HTTP 413" in told[0]
    assert "prompt is too long" in told[0]
    breaker.record(overloaded())  # another kind of failure ends the streak
    for _ in range(3):
        breaker.record(refused())
    assert len(told) == 2
