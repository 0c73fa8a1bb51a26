"""Cost control: the daily spend cap and the per-request token cap, checked before sending."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import pytest

from anthropic_server import AnthropicTestServer, Reply
from renga.config import CostSettings, Settings
from renga.cost import BudgetExceeded, CostGate, estimated_input_tokens
from renga.model.catalog import Usage
from renga.model.client import ModelClient
from renga.model.errors import Failure, ModelError
from renga.model.request import ModelRequest
from renga.usage import Ledger


def request(text: str = "hi", max_tokens: int = 64) -> ModelRequest:
    return ModelRequest(
        role="fast",
        feature="completion",
        system=[{"type": "text", "text": "You fill holes."}],
        messages=[{"role": "user", "content": [{"type": "text", "text": text}]}],
        max_tokens=max_tokens,
        interactive=True,
    )


def gate(ledger: Ledger, **cost: float) -> CostGate:
    settings = Settings(cost=dataclasses.replace(CostSettings(), **cost))  # type: ignore[arg-type]
    return CostGate(lambda: settings, ledger.spend_today)


def test_estimate_counts_every_text_of_the_request() -> None:
    small = estimated_input_tokens(request("x"))
    large = estimated_input_tokens(request("x" * 35_000))
    assert large - small == pytest.approx(10_000, abs=2)


def test_per_request_cap(tmp_path: Path) -> None:
    check = gate(Ledger(tmp_path / "u.sqlite3"), max_tokens_per_request=1000).check
    check(request("x" * 2000, max_tokens=256))  # ~600 + 256 tokens: under the cap
    with pytest.raises(BudgetExceeded) as info:
        check(request("x" * 3000, max_tokens=256))  # ~870 + 256
    assert info.value.failure is Failure.BUDGET and not info.value.daily
    assert "cost.maxTokensPerRequest" in str(info.value)


def test_daily_cap_counts_what_was_spent_today(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "u.sqlite3")
    check = gate(ledger, daily_cap_usd=1.0).check
    ledger.record("completion", Usage("claude-haiku-4-5", input_tokens=900_000))  # $0.90
    check(request())
    ledger.record("completion", Usage("claude-haiku-4-5", output_tokens=20_000))  # $0.10
    with pytest.raises(BudgetExceeded) as info:
        check(request())
    assert info.value.daily
    assert "$1.00" in str(info.value) and "cost.dailyCapUsd" in str(info.value)
    # A restarted server reads the same ledger: still capped.
    with pytest.raises(BudgetExceeded):
        gate(Ledger(tmp_path / "u.sqlite3"), daily_cap_usd=1.0).check(request())
    # Raising the cap resumes.
    gate(ledger, daily_cap_usd=2.0).check(request())


def test_zero_cap_allows_nothing(tmp_path: Path) -> None:
    with pytest.raises(BudgetExceeded):
        gate(Ledger(tmp_path / "u.sqlite3"), daily_cap_usd=0.0).check(request())


async def test_a_capped_request_never_reaches_the_model_service(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    ledger = Ledger(tmp_path / "u.sqlite3")
    settings = Settings(base_url=anthropic_server.base_url, cost=CostSettings(daily_cap_usd=1e-6))
    client = ModelClient(
        settings,
        environ={"ANTHROPIC_API_KEY": "sk-test"},
        on_usage=ledger.record,
        gate=CostGate(lambda: settings, ledger.spend_today).check,
    )
    anthropic_server.enqueue(Reply(text="first"), Reply(text="second"))
    try:
        async with client.stream(request()) as stream:
            assert "".join([p async for p in stream.text()]) == "first"
        assert ledger.spend_today() > 1e-6
        for call in (client.stream(request()), None):
            with pytest.raises(ModelError) as info:
                if call is not None:
                    async with call:
                        pass
                else:
                    await client.create(request())
            assert info.value.failure is Failure.BUDGET
    finally:
        await client.aclose()
    assert len(anthropic_server.messages_requests()) == 1


def test_estimates_count_in_the_models_tokenizer(tmp_path: Path) -> None:
    text = request("x" * 35_000)
    old = estimated_input_tokens(text, "claude-haiku-4-5")
    assert estimated_input_tokens(text, "claude-haiku-5-5") == pytest.approx(old * 1.3, rel=0.01)
    assert estimated_input_tokens(text) == old
    # The per-request cap counts in the configured fast model's tokenizer: the same request is
    # under the cap for Haiku 4.5 and over it for Haiku 5.5.
    settings = Settings(cost=CostSettings(max_tokens_per_request=11_000))
    ledger = Ledger(tmp_path / "u.sqlite3")
    CostGate(lambda: settings, ledger.spend_today).check(text)
    five = dataclasses.replace(
        settings, models=dataclasses.replace(settings.models, fast="claude-haiku-5-5")
    )
    with pytest.raises(BudgetExceeded):
        CostGate(lambda: five, ledger.spend_today).check(text)


def test_failed_calls_cost_nothing_in_the_ledger(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "u.sqlite3")
    ledger.record("completion", Usage("claude-haiku-4-5", input_tokens=900_000, failed=True))
    assert ledger.spend_today() == 0.0
    assert ledger.periods()["today"]["byFeature"]["completion"]["calls"] == 1


def test_repricing_the_fast_roles_usage_per_model(tmp_path: Path) -> None:
    from renga.cost import repriced

    ledger = Ledger(tmp_path / "u.sqlite3")
    for _ in range(10):
        ledger.record("completion", Usage("claude-haiku-4-5", input_tokens=3000, output_tokens=40))
    ledger.record("refactor", Usage("claude-sonnet-5-5", input_tokens=9000, output_tokens=900))
    fast = ledger.fast_role_usage()
    assert list(fast) == ["claude-haiku-4-5"]  # refactors are the smart role's
    on_haiku_4_5 = repriced(fast, "claude-haiku-4-5")
    assert on_haiku_4_5 == pytest.approx(fast["claude-haiku-4-5"]["cost_usd"])
    # Haiku 5.5: a tenth of the price per token, 1.3 times the tokens.
    assert repriced(fast, "claude-haiku-5-5") == pytest.approx(on_haiku_4_5 * 0.13)
