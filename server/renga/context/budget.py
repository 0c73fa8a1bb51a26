"""Token budgets: a local estimate, calibrated from the input tokens the API reports.

There is no offline Claude tokenizer. ``estimate_tokens`` counts characters; the calibrator
learns the ratio between what the API reported and what was estimated for the same request, so a
budget in real tokens converts into the estimate's units (``to_estimate``) and back.
"""

from __future__ import annotations

import threading
from typing import Any, Protocol

from renga.context.types import Section, estimate_tokens


class ReportedUsage(Protocol):
    input_tokens: int
    cache_creation_input_tokens: int
    cache_read_input_tokens: int


class Calibrator:
    """Real tokens per estimated token, as a moving average of observed requests."""

    def __init__(self, ratio: float = 1.0, weight: float = 0.3) -> None:
        self._ratio = ratio
        self.weight = weight
        self.samples = 0
        self._lock = threading.Lock()

    @property
    def ratio(self) -> float:
        return self._ratio

    def observe(self, estimated: int, reported: int) -> None:
        """One request: ``estimated`` tokens by the local count, ``reported`` by the API."""
        if estimated <= 0 or reported <= 0:
            return  # an answer cut before message_start reports nothing
        sample = reported / estimated
        # A wild sample (a proxy that reports nonsense) must not wreck the budget.
        sample = min(4.0, max(0.25, sample))
        with self._lock:
            if self.samples == 0:
                self._ratio = sample
            else:
                self._ratio += self.weight * (sample - self._ratio)
            self.samples += 1

    def observe_usage(self, request: Any, usage: ReportedUsage) -> None:
        """Feed one finished request (a ``ModelRequest``) and the usage the API reported."""
        reported = (
            usage.input_tokens + usage.cache_creation_input_tokens + usage.cache_read_input_tokens
        )
        self.observe(estimate_request(request), reported)

    def to_estimate(self, real_tokens: int) -> int:
        return int(real_tokens / self._ratio)

    def to_real(self, estimated_tokens: int) -> int:
        return int(estimated_tokens * self._ratio)


def _text_of(value: Any) -> str:
    if isinstance(value, str):
        return value
    if isinstance(value, dict):
        return "".join(_text_of(v) for k, v in value.items() if k in ("text", "content"))
    if isinstance(value, list):
        return "".join(_text_of(v) for v in value)
    return ""


def estimate_request(request: Any) -> int:
    """The local estimate of a ``ModelRequest``'s input: its system, messages and prefill."""
    text = _text_of(getattr(request, "system", [])) + _text_of(getattr(request, "messages", []))
    text += str(getattr(request, "prefill", "") or "")
    # Each block and message costs a few tokens of framing on the API's side.
    blocks = len(getattr(request, "system", []) or []) + sum(
        len(m["content"]) if isinstance(m.get("content"), list) else 1
        for m in getattr(request, "messages", []) or []
        if isinstance(m, dict)
    )
    return estimate_tokens(text) + 4 * blocks


# One per process: every completion feeds it, every context reads it.
CALIBRATOR = Calibrator()


def fit(sections: list[Section], budget: int) -> tuple[list[Section], int]:
    """The sections, in priority order, that fit in ``budget`` estimated tokens, and what is
    left. A section that does not fit is skipped; smaller ones after it may still fit."""
    kept: list[Section] = []
    left = budget
    for section in sections:
        cost = section.tokens
        if cost <= left:
            kept.append(section)
            left -= cost
    return kept, left
