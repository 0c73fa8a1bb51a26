"""Cost control: the gate every model request passes before it is sent.

Two caps, both settings: ``cost.dailyCapUsd`` (what every renga process using this ledger spent
today, read from the persisted ledger) and ``cost.maxTokensPerRequest`` (the request's estimated
input tokens plus its ``max_tokens``). A request over either cap is refused with
:class:`BudgetExceeded` (a :class:`ModelError` of failure ``BUDGET``), before anything is sent.
A cap of 0 USD allows no spending at all.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from renga.config import Settings
from renga.model.catalog import price_of, tokenizer_ratio
from renga.model.errors import Failure, ModelError
from renga.model.request import ModelRequest
from renga.usage import TOKEN_FIELDS


class BudgetExceeded(ModelError):
    """A request refused by a cap. ``daily``: the day's spend cap (completions pause until
    tomorrow or a higher cap); otherwise this one request was too large."""

    def __init__(self, message: str, *, daily: bool) -> None:
        super().__init__(Failure.BUDGET, message)
        self.daily = daily


def _texts(value: Any) -> int:
    """Characters of prompt text in a request part (strings inside lists and dicts)."""
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list):
        return sum(_texts(v) for v in value)
    if isinstance(value, dict):
        return sum(_texts(v) for v in value.values())
    return 0


def estimated_input_tokens(request: ModelRequest, model: str | None = None) -> int:
    """The request's input tokens as ``model``'s tokenizer counts them (about 3.5 characters a
    token for the 4.x tokenizer, the context engine's estimate; the 5.x tokenizer counts about
    30% more for the same text). Without a model: the 4.x count."""
    chars = _texts(request.system) + _texts(request.messages) + _texts(request.prefill)
    chars += _texts(request.tools or [])
    if not chars:
        return 0
    tokens = (chars * 2 + 6) // 7
    return int(tokens * tokenizer_ratio(model)) if model else tokens


class CostGate:
    """Checks each request against the caps in the current settings and today's spend."""

    def __init__(self, settings: Callable[[], Settings], spend_today: Callable[[], float]) -> None:
        self._settings = settings
        self._spend_today = spend_today

    def check(self, request: ModelRequest) -> None:
        """Raise :class:`BudgetExceeded` when ``request`` must not be sent."""
        settings = self._settings()
        cost = settings.cost
        # Counted in the tokenizer of the role's configured model.
        model = settings.models.fast if request.role == "fast" else settings.models.smart
        tokens = estimated_input_tokens(request, model) + request.max_tokens
        if tokens > cost.max_tokens_per_request:
            raise BudgetExceeded(
                f"a {request.feature} request of about {tokens} tokens is over the "
                f"per-request cap of {cost.max_tokens_per_request} (cost.maxTokensPerRequest)",
                daily=False,
            )
        spent = self._spend_today()
        if spent >= cost.daily_cap_usd:
            raise BudgetExceeded(
                f"today's spend ${spent:.2f} reached the daily cap of ${cost.daily_cap_usd:.2f} "
                "(cost.dailyCapUsd); completions are paused until tomorrow or a higher cap",
                daily=True,
            )


def repriced(by_model: Mapping[str, Mapping[str, Any]], model: str) -> float:
    """What calls recorded per model (``Ledger.fast_role_usage``) would have cost on ``model``:
    the same text counted in ``model``'s tokenizer, at its prices. Each model's average call
    decides Haiku 5.5's price tier; cache hits are taken as recorded (a model that caches from
    fewer tokens would have cached more: this is an upper bound for it)."""
    price = price_of(model)
    total = 0.0
    for recorded, t in by_model.items():
        calls = int(t.get("calls") or 0)
        if not calls:
            continue
        scale = tokenizer_ratio(model) / tokenizer_ratio(recorded)
        per_call = [float(t.get(f) or 0) * scale / calls for f in TOKEN_FIELDS]
        total += calls * price.cost(*per_call)
    return total
