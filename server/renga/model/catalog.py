"""What renga knows about models: one table of facts per model family.

Ids per provider, lifecycle on the Claude API, prices, cache minimums, tokenizer and the request
shapes each model accepts (prefill, thinking types, effort levels, forced tools, strict tools).
Facts from ``shared/notes/claude-api.md`` (December 2026; prices in USD per million tokens). Where
the provider has a Models API, what it says at run time overrides the capabilities here
(:func:`capabilities_from_api`); this table serves the providers without one and unknown answers.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

EFFORTS = ("low", "medium", "high", "xhigh", "max")
THINKING_TYPES = ("adaptive", "between_tools", "disabled", "enabled")


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_write: float  # 5-minute cache writes
    cache_read: float
    cache_write_1h: float = 0.0
    # A request whose prompt (input + cache reads + cache writes) is over this many tokens pays
    # ``long_factor`` times every price, on all of its tokens (Haiku 5.5). 0: one tier only.
    long_prompt_tokens: int = 0
    long_factor: float = 1.0

    def cost(self, input: float, output: float, cache_write: float, cache_read: float) -> float:
        """USD for one request's tokens."""
        factor = 1.0
        if self.long_prompt_tokens and input + cache_write + cache_read > self.long_prompt_tokens:
            factor = self.long_factor
        return (
            factor
            * (
                input * self.input
                + output * self.output
                + cache_write * self.cache_write
                + cache_read * self.cache_read
            )
            / 1_000_000
        )


@dataclass(frozen=True)
class Capabilities:
    """The request shapes a model accepts (what sending anything else earns: a 400)."""

    # An assistant turn at the end of the messages that the model continues.
    prefill: bool = False
    # Whether the model thinks when a request omits ``thinking`` (adaptive thinking on 5.x).
    thinks_by_default: bool = False
    thinking_types: frozenset[str] = frozenset({"disabled"})
    # ``output_config.effort`` levels accepted; empty: the parameter is refused.
    efforts: tuple[str, ...] = ()
    # ``tool_choice`` of type ``tool`` or ``any`` (Sonnet 5.5 refuses them, count_tokens too).
    forced_tools: bool = True
    # Tools marked ``"strict": true`` (schema-checked input) and ``output_config.format``.
    strict_tools: bool = False


@dataclass(frozen=True)
class ModelFacts:
    family: str
    name: str
    line: str  # haiku, sonnet, opus: a role stays in its line when it falls back
    released: str  # ISO date: the newest active model of a line is its successor
    price: Price
    cache_minimum: int
    caps: Capabilities
    # Tokens the model's tokenizer counts for text the 4.x tokenizer counts as one.
    tokenizer_ratio: float = 1.0
    # On the Claude API: active | deprecated (the notes' "legacy") | retired.
    lifecycle: str = "active"
    retires_at: str | None = None  # ISO date (past for retired models)
    bedrock_id: str | None = None
    vertex_id: str | None = None
    # Bedrock serves the 5.x models through the Messages-API endpoint (AnthropicBedrockMantle);
    # older ones through InvokeModel, which needs the older anthropic_version.
    bedrock_messages_api: bool = False


_OLD = Capabilities(prefill=True, thinking_types=frozenset({"enabled", "disabled"}))
_SONNET_4_6 = Capabilities(
    thinking_types=frozenset({"adaptive", "disabled", "enabled"}),
    efforts=("low", "medium", "high", "max"),
    strict_tools=True,
)

MODELS: dict[str, ModelFacts] = {
    m.family: m
    # Dates, Bedrock ids of 4.6 and the capabilities of Sonnet 5 and Opus 5.5 are not in the notes'
    # behaviour table: they follow their generation (unverified; the Models API overrides them).
    for m in (
        ModelFacts(
            "haiku-4-5",
            "Claude Haiku 4.5",
            "haiku",
            "2025-10-01",
            Price(1.0, 5.0, 1.25, 0.10, cache_write_1h=2.0),
            4096,
            _OLD,
            bedrock_id="global.anthropic.claude-haiku-4-5-20251001-v1:0",
            vertex_id="claude-haiku-4-5@20251001",
        ),
        ModelFacts(
            "haiku-5-5",
            "Claude Haiku 5.5",
            "haiku",
            "2026-10-07",
            Price(
                0.10,
                0.50,
                0.125,
                0.01,
                cache_write_1h=0.20,
                long_prompt_tokens=100_000,
                long_factor=5.0,
            ),
            512,
            Capabilities(
                thinks_by_default=True,
                thinking_types=frozenset({"adaptive", "disabled"}),
                efforts=("low", "medium", "high", "max"),
                strict_tools=True,
            ),
            tokenizer_ratio=1.3,
            bedrock_id="global.anthropic.claude-haiku-5-5",
            vertex_id="claude-haiku-5-5",
            bedrock_messages_api=True,
        ),
        ModelFacts(
            "sonnet-4-5",
            "Claude Sonnet 4.5",
            "sonnet",
            "2025-09-29",
            Price(3.0, 15.0, 3.75, 0.30, cache_write_1h=6.0),
            1024,
            _OLD,
            lifecycle="retired",
            retires_at="2026-11-30",
            bedrock_id="global.anthropic.claude-sonnet-4-5-20250929-v1:0",
            vertex_id="claude-sonnet-4-5@20250929",
        ),
        ModelFacts(
            "sonnet-4-6",
            "Claude Sonnet 4.6",
            "sonnet",
            "2026-02-17",
            Price(3.0, 15.0, 3.75, 0.30, cache_write_1h=6.0),
            1024,
            _SONNET_4_6,
            lifecycle="deprecated",
            retires_at="2027-02-17",
            bedrock_id="global.anthropic.claude-sonnet-4-6",
            vertex_id="claude-sonnet-4-6",
        ),
        ModelFacts(
            "sonnet-5",
            "Claude Sonnet 5",
            "sonnet",
            "2026-05-01",
            Price(2.0, 10.0, 2.50, 0.20, cache_write_1h=4.0),
            1024,
            Capabilities(
                thinks_by_default=True,
                thinking_types=frozenset({"adaptive", "disabled"}),
                efforts=("low", "medium", "high", "max"),
                strict_tools=True,
            ),
            tokenizer_ratio=1.3,
            lifecycle="deprecated",
            retires_at="2027-06-30",
            bedrock_id="global.anthropic.claude-sonnet-5",
            vertex_id="claude-sonnet-5",
            bedrock_messages_api=True,
        ),
        ModelFacts(
            "sonnet-5-5",
            "Claude Sonnet 5.5",
            "sonnet",
            "2026-09-28",
            Price(2.0, 10.0, 2.50, 0.10, cache_write_1h=4.0),
            512,
            Capabilities(
                thinks_by_default=True,
                thinking_types=frozenset({"adaptive", "between_tools"}),
                efforts=("low", "medium", "high", "max"),
                forced_tools=False,
                strict_tools=True,
            ),
            tokenizer_ratio=1.3,
            bedrock_id="global.anthropic.claude-sonnet-5-5",
            vertex_id="claude-sonnet-5-5",
            bedrock_messages_api=True,
        ),
        ModelFacts(
            "opus-5-5",
            "Claude Opus 5.5",
            "opus",
            "2026-09-28",
            Price(4.0, 20.0, 5.0, 0.20, cache_write_1h=8.0),
            512,
            Capabilities(
                thinks_by_default=True,
                thinking_types=frozenset({"adaptive", "disabled"}),
                efforts=("low", "medium", "high", "xhigh", "max"),
                strict_tools=True,
            ),
            tokenizer_ratio=1.3,
            bedrock_id="global.anthropic.claude-opus-5-5",
            vertex_id="claude-opus-5-5",
            bedrock_messages_api=True,
        ),
    )
}


def _dearest(prices: list[Price]) -> Price:
    """Per token kind, the highest price among ``prices``: an upper bound for any of them."""
    return Price(
        max(p.input for p in prices),
        max(p.output for p in prices),
        max(p.cache_write for p in prices),
        max(p.cache_read for p in prices),
        max(p.cache_write_1h for p in prices),
    )


# Prices by family (kept as a name other modules use).
PRICES: dict[str, Price] = {family: m.price for family, m in MODELS.items()}
# An unknown model (a local server, a model newer than this table) is costed at the dearest
# current model's prices, so the daily cap never under-counts; spend is then an upper bound.
UNKNOWN_PRICE = _dearest([m.price for m in MODELS.values() if m.lifecycle != "retired"])
# What renga assumes of a model it does not know: the most common shape today (no prefill,
# no forced tools refused, thinking untouched), which a Claude model newer than this table and
# local Anthropic-compatible servers both accept.
UNKNOWN_CAPS = Capabilities(prefill=True, thinking_types=frozenset())

_FAMILY = re.compile(r"claude-(haiku|sonnet|opus)-(\d+)(?:-(\d))?(?=$|[-@:])")


def family_of(model: str) -> str | None:
    """``claude-haiku-4-5-20251001`` -> ``haiku-4-5``; None for ids that are not Claude's."""
    match = _FAMILY.search(model)
    if not match:
        return None
    kind, major, minor = match.groups()
    return f"{kind}-{major}-{minor}" if minor else f"{kind}-{major}"


def facts_of(model: str) -> ModelFacts | None:
    return MODELS.get(family_of(model) or "")


def line_of(model: str) -> str | None:
    """haiku, sonnet or opus, from the id's family (also for Claude models not in the table)."""
    family = family_of(model)
    return family.split("-", 1)[0] if family else None


def _generation(family: str) -> tuple[int, int]:
    major, _, minor = family.split("-", 1)[1].partition("-")
    return int(major), int(minor or 0)


def price_of(model: str) -> Price:
    facts = facts_of(model)
    return facts.price if facts else UNKNOWN_PRICE


def price_known(model: str) -> bool:
    return facts_of(model) is not None


def cache_minimum(model: str) -> int:
    """Tokens a prompt prefix must reach before ``model`` caches it. A model not listed is taken
    at the largest minimum, so renga never counts on a cache that is not there."""
    facts = facts_of(model)
    return facts.cache_minimum if facts else max(m.cache_minimum for m in MODELS.values())


def tokenizer_ratio(model: str) -> float:
    """Tokens per 4.x-tokenizer token: 1.3 for the 5.x tokenizer. Unknown Claude models of a
    generation from 5 on are taken to use the new one; other models the old."""
    facts = facts_of(model)
    if facts:
        return facts.tokenizer_ratio
    family = family_of(model)
    return 1.3 if family and _generation(family) >= (5, 0) else 1.0


def capabilities(model: str) -> Capabilities:
    """The request shapes ``model`` accepts, from the table. A Claude model not listed is
    judged by its generation (4.6 and later: no prefill, and 5.x thinks by default, as all
    of them do); a model that is not Claude's (a local server) gets :data:`UNKNOWN_CAPS`."""
    facts = facts_of(model)
    if facts:
        return facts.caps
    family = family_of(model)
    if family is None:
        return UNKNOWN_CAPS
    generation = _generation(family)
    if generation <= (4, 5):
        return _OLD
    if generation < (5, 0):
        return _SONNET_4_6
    return Capabilities(
        thinks_by_default=True,
        thinking_types=frozenset({"adaptive", "disabled"}),
        efforts=("low", "medium", "high", "max"),
        strict_tools=True,
    )


def _supported(node: Any, *path: str) -> bool | None:
    for key in path:
        if not isinstance(node, Mapping) or key not in node:
            return None
        node = node[key]
    if isinstance(node, Mapping):
        value = node.get("supported")
        return value if isinstance(value, bool) else None
    return None


def capabilities_from_api(model: str, api: Mapping[str, Any] | None) -> Capabilities:
    """The table's capabilities overridden by a Models API ``capabilities`` object: its thinking
    types, effort levels and structured outputs. (It says nothing of prefill or forced tools:
    those stay from the table.)"""
    caps = capabilities(model)
    if not api:
        return caps
    changes: dict[str, Any] = {}
    types = {t: _supported(api, "thinking", "types", t) for t in THINKING_TYPES}
    if any(v is not None for v in types.values()):
        accepted = {t for t, ok in types.items() if ok}
        # The table's knowledge of what the model does when thinking is omitted stays; the API
        # says which types are accepted.
        changes["thinking_types"] = frozenset(accepted)
    effort = api.get("effort")
    if isinstance(effort, Mapping) and isinstance(effort.get("supported"), bool):
        changes["efforts"] = (
            tuple(e for e in EFFORTS if _supported(effort, e)) if effort["supported"] else ()
        )
    strict = _supported(api, "structured_outputs")
    if strict is not None:
        changes["strict_tools"] = strict
    return dataclasses.replace(caps, **changes)


def accepts_prefill(model: str) -> bool:
    """Haiku 4.5, Sonnet 4.5 and older accept a prefilled assistant turn; 4.6 and later answer
    400 to it. Models that are not Claude's (a local server behind ``baseUrl``) are assumed to."""
    return capabilities(model).prefill


def provider_model_id(model: str, provider: str) -> str:
    """The id to send to ``provider`` for a Claude API id or alias; unknown ids pass through, so
    users can name provider-specific ids (inference profiles, local models) directly. Vertex ids
    carry an ``@date`` up to the 4.5 generation and none from 4.6 on (the table holds both)."""
    if provider == "anthropic":
        return model
    if provider == "bedrock" and ("anthropic." in model or model.startswith("arn:")):
        return model
    if provider == "vertex" and "@" in model:
        return model
    facts = facts_of(model)
    if facts is None:
        return model
    found = facts.bedrock_id if provider == "bedrock" else facts.vertex_id
    return found or model


def bedrock_messages_api(model: str) -> bool:
    """Whether Bedrock serves ``model`` through its Messages-API endpoint (the 5.x models)
    rather than InvokeModel."""
    facts = facts_of(model)
    if facts:
        return facts.bedrock_messages_api
    family = family_of(model)
    return bool(family and _generation(family) >= (5, 0))


def days_until(date: str | None, today: dt.date | None = None) -> int | None:
    """Days from ``today`` to an ISO date (negative once past); None without a date."""
    if not date:
        return None
    try:
        day = dt.date.fromisoformat(date[:10])
    except ValueError:
        return None
    return (day - (today or dt.date.today())).days


@dataclass
class Usage:
    """Tokens of one model call and what they cost. A failed call (``failed``) is not billed."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    failed: bool = field(default=False)

    @property
    def cost_usd(self) -> float:
        if self.failed:
            return 0.0
        return price_of(self.model).cost(
            self.input_tokens,
            self.output_tokens,
            self.cache_creation_input_tokens,
            self.cache_read_input_tokens,
        )
