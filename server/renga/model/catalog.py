"""What renga knows about models: ids per provider, prices, and which accept assistant prefill.

Facts from ``shared/notes/claude-api.md`` (prices in USD per million tokens).
"""

from __future__ import annotations

import re
from dataclasses import dataclass


@dataclass(frozen=True)
class Price:
    input: float
    output: float
    cache_write: float
    cache_read: float


# Keyed by model family; ids of every provider map onto a family with ``family_of``.
PRICES: dict[str, Price] = {
    "haiku-4-5": Price(1.0, 5.0, 1.25, 0.10),
    "sonnet-4-5": Price(3.0, 15.0, 3.75, 0.30),
    "sonnet-4": Price(3.0, 15.0, 3.75, 0.30),
    "opus-4-1": Price(15.0, 75.0, 18.75, 1.50),
}
# An unknown model is costed as the dearest one we list, so a cap never under-counts.
UNKNOWN_PRICE = PRICES["opus-4-1"]

_FAMILY = re.compile(r"claude-(haiku|sonnet|opus)-(\d+)(?:-(\d))?(?=$|[-@:])")

# Dated ids, as each provider spells them. Aliases without a date map onto these.
BEDROCK_IDS = {
    "haiku-4-5": "global.anthropic.claude-haiku-4-5-20251001-v1:0",
    "sonnet-4-5": "global.anthropic.claude-sonnet-4-5-20250929-v1:0",
}
VERTEX_IDS = {
    "haiku-4-5": "claude-haiku-4-5@20251001",
    "sonnet-4-5": "claude-sonnet-4-5@20250929",
}


def family_of(model: str) -> str | None:
    """``claude-haiku-4-5-20251001`` -> ``haiku-4-5``; None for ids that are not Claude's."""
    match = _FAMILY.search(model)
    if not match:
        return None
    kind, major, minor = match.groups()
    return f"{kind}-{major}-{minor}" if minor else f"{kind}-{major}"


def price_of(model: str) -> Price:
    family = family_of(model)
    return PRICES.get(family or "", UNKNOWN_PRICE)


# The shortest prefix each family caches (shared/notes/claude-api.md): below it nothing is cached
# and no error is raised. A model not listed is taken at the largest minimum, so renga never
# counts on a cache that is not there.
CACHE_MINIMUM_TOKENS: dict[str, int] = {
    "haiku-4-5": 4096,
    "haiku-5-5": 512,
    "sonnet-4-5": 1024,
    "sonnet-4-6": 1024,
    "sonnet-5": 1024,
    "sonnet-5-5": 512,
    "opus-5-5": 512,
}


def cache_minimum(model: str) -> int:
    """Tokens a prompt prefix must reach before ``model`` caches it."""
    return CACHE_MINIMUM_TOKENS.get(family_of(model) or "", max(CACHE_MINIMUM_TOKENS.values()))


def accepts_prefill(model: str) -> bool:
    """Haiku 4.5, Sonnet 4.5 and older accept a prefilled assistant turn; 4.6 and later answer
    400 to it. Models that are not Claude's (a local server behind ``baseUrl``) are assumed to."""
    family = family_of(model)
    if family is None:
        return True
    version = family.split("-", 1)[1]
    major, _, minor = version.partition("-")
    return (int(major), int(minor or 0)) <= (4, 5)


def provider_model_id(model: str, provider: str) -> str:
    """The id to send to ``provider`` for a Claude API id or alias; unknown ids pass through, so
    users can name provider-specific ids (inference profiles, local models) directly."""
    if provider == "anthropic":
        return model
    if provider == "bedrock" and ("anthropic." in model or model.startswith("arn:")):
        return model
    if provider == "vertex" and "@" in model:
        return model
    family = family_of(model) or ""
    table = BEDROCK_IDS if provider == "bedrock" else VERTEX_IDS
    return table.get(family, model)


@dataclass
class Usage:
    """Tokens of one model call and what they cost."""

    model: str
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0

    @property
    def cost_usd(self) -> float:
        price = price_of(self.model)
        return (
            self.input_tokens * price.input
            + self.output_tokens * price.output
            + self.cache_creation_input_tokens * price.cache_write
            + self.cache_read_input_tokens * price.cache_read
        ) / 1_000_000
