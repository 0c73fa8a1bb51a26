"""The token estimate's calibration from reported usage, and the budget split."""

from __future__ import annotations

from renga.context.budget import Calibrator, estimate_request, fit
from renga.context.stable import plan_for
from renga.context.types import Section
from renga.model.catalog import Usage
from renga.model.request import ModelRequest


def request(text: str) -> ModelRequest:
    return ModelRequest(
        role="fast",
        feature="completion",
        system=[{"type": "text", "text": "sys"}],
        messages=[{"role": "user", "content": [{"type": "text", "text": text}]}],
        max_tokens=10,
    )


def test_calibration_follows_what_the_api_reports() -> None:
    calibrator = Calibrator()
    req = request("x = 1\n" * 700)
    estimated = estimate_request(req)
    for _ in range(20):
        calibrator.observe_usage(req, Usage(model="m", input_tokens=estimated * 2))
    assert 1.9 < calibrator.ratio < 2.1
    # A budget in real tokens is half as many estimated tokens now.
    assert calibrator.to_estimate(6000) in range(2800, 3200)


def test_cache_reads_count_as_input_and_nonsense_is_bounded() -> None:
    calibrator = Calibrator()
    req = request("y" * 3500)
    estimated = estimate_request(req)
    calibrator.observe_usage(
        req, Usage(model="m", input_tokens=10, cache_read_input_tokens=estimated - 10)
    )
    assert 0.95 < calibrator.ratio < 1.05
    calibrator.observe(100, 0)  # a stream cut before message_start: ignored
    calibrator.observe(1, 10_000)  # a proxy reporting nonsense: clamped
    assert calibrator.ratio <= 4.0


def test_fit_keeps_priority_order_and_skips_what_does_not_fit() -> None:
    big, small = Section("definition", "a", "x" * 700), Section("scope", "b", "y" * 35)
    kept, left = fit([big, small], 50)
    assert kept == [small] and left == 50 - small.tokens


def test_the_plan_is_sized_by_its_parts_never_padded_to_a_cache_minimum() -> None:
    far = plan_for(6000, 330, 4342)  # Haiku 4.5: caches from 4,096 tokens
    assert not far.cacheable
    assert far.hole + far.extras + far.stable + 330 <= 4000
    near = plan_for(6000, 330, 540)  # Haiku 5.5: from 512
    assert near.cacheable and (near.hole, near.extras, near.stable) == (
        far.hole,
        far.extras,
        far.stable,
    )
    for budget in (600, 1500, 3000):
        small = plan_for(budget, 330, 540)
        assert small.hole + small.extras + small.stable + 330 <= budget
