"""Prices, model families and prefill capability."""

from __future__ import annotations

import pytest

from renga.model.catalog import Usage, accepts_prefill, family_of, provider_model_id


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
