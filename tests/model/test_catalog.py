"""Prices, model families and prefill capability."""

from __future__ import annotations

import pytest

from renga.model.catalog import (
    MODELS,
    UNKNOWN_PRICE,
    Usage,
    accepts_prefill,
    bedrock_messages_api,
    capabilities,
    capabilities_from_api,
    family_of,
    price_known,
    price_of,
    provider_model_id,
    tokenizer_ratio,
)


@pytest.mark.parametrize(
    ("model", "family"),
    [
        ("claude-haiku-4-5", "haiku-4-5"),
        ("claude-haiku-4-5-20251001", "haiku-4-5"),
        ("global.anthropic.claude-sonnet-4-5-20250929-v1:0", "sonnet-4-5"),
        ("claude-sonnet-4-5@20250929", "sonnet-4-5"),
        ("claude-sonnet-4-20250514", "sonnet-4"),
        ("claude-opus-4-6", "opus-4-6"),
        ("qwen2.5-coder", None),
    ],
)
def test_family(model: str, family: str | None) -> None:
    assert family_of(model) == family


@pytest.mark.parametrize(
    ("model", "accepts"),
    [
        ("claude-haiku-4-5", True),
        ("claude-sonnet-4-5-20250929", True),
        ("claude-sonnet-4-6", False),
        ("claude-opus-4-7", False),
        ("local-model", True),
    ],
)
def test_prefill_capability(model: str, accepts: bool) -> None:
    assert accepts_prefill(model) is accepts


def test_cost_at_haiku_prices() -> None:
    usage = Usage(
        model="claude-haiku-4-5",
        input_tokens=1_000_000,
        output_tokens=100_000,
        cache_creation_input_tokens=400_000,
        cache_read_input_tokens=2_000_000,
    )
    # 1.00 input + 0.50 output + 0.50 cache write + 0.20 cache read
    assert usage.cost_usd == pytest.approx(2.20)


def test_provider_ids() -> None:
    assert provider_model_id("claude-haiku-4-5", "bedrock").startswith(
        "global.anthropic.claude-haiku"
    )
    assert provider_model_id("claude-sonnet-4-5", "vertex") == "claude-sonnet-4-5@20250929"
    assert provider_model_id("us.anthropic.claude-haiku-4-5-20251001-v1:0", "bedrock").startswith(
        "us."
    )
    assert provider_model_id("claude-haiku-4-5", "anthropic") == "claude-haiku-4-5"


def test_cache_minimum_per_family_and_unknown_models_at_the_largest() -> None:
    from renga.model.catalog import cache_minimum

    assert cache_minimum("claude-haiku-4-5-20251001") == 4096
    assert cache_minimum("claude-haiku-5-5") == 512
    assert cache_minimum("global.anthropic.claude-sonnet-5-5") == 512
    assert cache_minimum("claude-sonnet-4-6") == 1024
    assert cache_minimum("qwen3-coder") == 4096


# -- the December 2026 lineup (shared/notes/claude-api.md) --------------------------------------


NOTES_MODELS = [
    "claude-haiku-4-5",
    "claude-haiku-5-5",
    "claude-sonnet-4-5",
    "claude-sonnet-4-6",
    "claude-sonnet-5",
    "claude-sonnet-5-5",
    "claude-opus-5-5",
]


def test_every_model_of_the_notes_is_in_the_table() -> None:
    assert all(price_known(m) for m in NOTES_MODELS)
    assert {f"claude-{f}" for f in MODELS} == set(NOTES_MODELS)


@pytest.mark.parametrize(
    ("model", "price"),
    [
        ("claude-haiku-4-5", (1.0, 5.0, 1.25, 0.10)),
        ("claude-haiku-5-5", (0.10, 0.50, 0.125, 0.01)),
        ("claude-sonnet-4-6", (3.0, 15.0, 3.75, 0.30)),
        ("claude-sonnet-5", (2.0, 10.0, 2.50, 0.20)),
        ("claude-sonnet-5-5", (2.0, 10.0, 2.50, 0.10)),
        ("claude-opus-5-5", (4.0, 20.0, 5.0, 0.20)),
    ],
)
def test_prices_per_million_tokens(model: str, price: tuple[float, ...]) -> None:
    p = price_of(model)
    assert (p.input, p.output, p.cache_write, p.cache_read) == price


def test_haiku_5_5_pays_five_times_on_every_token_of_a_prompt_over_100k() -> None:
    small = Usage("claude-haiku-5-5", input_tokens=100_000, output_tokens=1000)
    # 100K input: the low tier (0.10 + 0.0005)
    assert small.cost_usd == pytest.approx(0.0105)
    # Cache reads count towards the prompt size: 100K + 1 token -> 5x on all of it.
    large = Usage(
        "claude-haiku-5-5", input_tokens=100_000, output_tokens=1000, cache_read_input_tokens=1
    )
    assert large.cost_usd == pytest.approx(5 * (0.0105 + 0.01 / 1_000_000))
    # Other models have one tier.
    sonnet = Usage("claude-sonnet-5-5", input_tokens=200_000)
    assert sonnet.cost_usd == pytest.approx(0.40)


def test_unknown_model_is_costed_at_the_dearest_current_model() -> None:
    assert not price_known("qwen3-coder")
    assert price_of("qwen3-coder") == UNKNOWN_PRICE
    # Opus 5.5 is the dearest current model per input and output token; retired Sonnet 4.5's
    # cache-read price (0.30) is matched by legacy Sonnet 4.6, still current.
    assert (UNKNOWN_PRICE.input, UNKNOWN_PRICE.output) == (4.0, 20.0)
    assert UNKNOWN_PRICE.cache_read == 0.30


def test_a_failed_call_costs_nothing() -> None:
    usage = Usage("claude-sonnet-5-5", input_tokens=5000, output_tokens=30, failed=True)
    assert usage.cost_usd == 0.0


@pytest.mark.parametrize(
    ("model", "ratio"),
    [
        ("claude-haiku-4-5", 1.0),
        ("claude-sonnet-4-6", 1.0),
        ("claude-haiku-5-5", 1.3),
        ("global.anthropic.claude-sonnet-5-5", 1.3),
        ("claude-opus-6", 1.3),
        ("qwen3-coder", 1.0),
    ],
)
def test_tokenizer_ratio_per_family(model: str, ratio: float) -> None:
    assert tokenizer_ratio(model) == ratio


def test_behaviour_table_of_the_notes() -> None:
    haiku4, haiku5 = capabilities("claude-haiku-4-5"), capabilities("claude-haiku-5-5")
    sonnet46, sonnet55 = capabilities("claude-sonnet-4-6"), capabilities("claude-sonnet-5-5")
    assert [c.prefill for c in (haiku4, sonnet46, sonnet55, haiku5)] == [True, False, False, False]
    assert [c.thinks_by_default for c in (haiku4, sonnet46, sonnet55, haiku5)] == [
        False,
        False,
        True,
        True,
    ]
    assert sonnet55.thinking_types == {"adaptive", "between_tools"}
    assert haiku5.thinking_types == {"adaptive", "disabled"}
    assert not sonnet55.forced_tools and haiku5.forced_tools and sonnet46.forced_tools
    assert haiku4.efforts == () and "low" in haiku5.efforts


def test_models_api_capabilities_override_the_table() -> None:
    api = {
        "thinking": {
            "supported": True,
            "types": {
                "adaptive": {"supported": True},
                "between_tools": {"supported": False},
                "disabled": {"supported": True},
                "enabled": {"supported": False},
            },
        },
        "effort": {
            "supported": True,
            "low": {"supported": True},
            "medium": {"supported": True},
            "high": {"supported": False},
            "max": {"supported": False},
        },
        "structured_outputs": {"supported": False},
    }
    caps = capabilities_from_api("claude-sonnet-5-5", api)
    assert caps.thinking_types == {"adaptive", "disabled"}
    assert caps.efforts == ("low", "medium")
    assert not caps.strict_tools
    # What the Models API does not say stays from the table.
    assert not caps.forced_tools and caps.thinks_by_default
    assert capabilities_from_api("claude-sonnet-5-5", None) == capabilities("claude-sonnet-5-5")


def test_provider_ids_per_generation() -> None:
    # Vertex: @date up to 4.5, none from 4.6 on.
    assert provider_model_id("claude-haiku-4-5", "vertex") == "claude-haiku-4-5@20251001"
    assert provider_model_id("claude-sonnet-4-6", "vertex") == "claude-sonnet-4-6"
    assert provider_model_id("claude-haiku-5-5", "vertex") == "claude-haiku-5-5"
    # Bedrock: a geography prefix always (a bare id is a 400).
    assert provider_model_id("claude-haiku-5-5", "bedrock") == "global.anthropic.claude-haiku-5-5"
    assert provider_model_id("claude-sonnet-5-5", "bedrock") == "global.anthropic.claude-sonnet-5-5"
    assert provider_model_id("qwen3-coder", "bedrock") == "qwen3-coder"
    assert not bedrock_messages_api("claude-haiku-4-5")
    assert bedrock_messages_api("claude-haiku-5-5") and bedrock_messages_api("claude-sonnet-5-5")
