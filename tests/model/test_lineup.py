"""Role resolution against the Models API: retired models skipped, successors, notices."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

from renga.model.lineup import Lineup, cache_path, load_cached, resolve, store

TODAY = dt.date(2026, 12, 2)


def listed(model: str, lifecycle: str = "active", **kw: Any) -> dict[str, Any]:
    return {"id": model, "lifecycle": lifecycle, "type": "model", **kw}


API = Lineup.from_api(
    [
        listed("claude-haiku-4-5-20251001", line="haiku", created_at="2025-10-01T00:00:00Z"),
        listed("claude-haiku-5-5", line="haiku", created_at="2026-10-07T00:00:00Z"),
        listed(
            "claude-sonnet-4-5-20250929",
            "retired",
            line="sonnet",
            created_at="2025-09-29T00:00:00Z",
            retires_at="2026-11-30T00:00:00Z",
        ),
        listed(
            "claude-sonnet-4-6",
            "deprecated",
            line="sonnet",
            created_at="2026-02-17T00:00:00Z",
            retires_at="2027-02-17T00:00:00Z",
        ),
        listed("claude-sonnet-5-5", line="sonnet", created_at="2026-09-28T00:00:00Z"),
    ]
)


def test_defaults_resolve_without_notices() -> None:
    smart = resolve("smart", ["claude-sonnet-5-5", "claude-sonnet-4-6"], API, today=TODAY)
    assert smart.models == ["claude-sonnet-5-5", "claude-sonnet-4-6"]
    assert smart.notices == []
    fast = resolve("fast", ["claude-haiku-4-5", "claude-haiku-4-5-20251001"], API, today=TODAY)
    assert fast.used.model == "claude-haiku-4-5" and fast.notices == []


def test_a_retired_configured_model_moves_to_its_lines_successor_and_says_so() -> None:
    smart = resolve("smart", ["claude-sonnet-4-5", "claude-sonnet-4-6"], API, today=TODAY)
    assert smart.models == ["claude-sonnet-5-5", "claude-sonnet-4-6"]
    assert smart.steps[0].skipped == "retired on 2026-11-30"
    (notice,) = smart.notices
    assert "claude-sonnet-4-5" in notice and "claude-sonnet-5-5" in notice and "retired" in notice


def test_falling_to_another_line_is_never_silent() -> None:
    smart = resolve(
        "smart",
        ["claude-sonnet-4-5", "claude-haiku-4-5"],
        Lineup(),
        today=TODAY,
        gone={"claude-sonnet-4-5": "not found"},
    )
    assert smart.used.model == "claude-haiku-4-5"
    assert any("a haiku model" in n for n in smart.notices)


def test_warns_within_30_days_of_retirement() -> None:
    soon = dt.date(2027, 1, 25)
    smart = resolve("smart", ["claude-sonnet-4-6"], API, today=soon)
    (notice,) = smart.notices
    assert "retires on 2027-02-17 (in 23 days)" in notice and "claude-sonnet-5-5" in notice
    assert resolve("smart", ["claude-sonnet-4-6"], API, today=TODAY).notices == []


def test_without_models_api_the_table_names_the_successor_on_the_claude_api() -> None:
    gone = {"claude-sonnet-4-5": "not found"}
    smart = resolve("smart", ["claude-sonnet-4-5"], Lineup(), gone, today=TODAY, use_catalog=True)
    assert smart.models == ["claude-sonnet-5-5"]
    # Elsewhere (a gateway, Bedrock) the table's lineup says nothing.
    other = resolve("smart", ["claude-sonnet-4-5"], Lineup(), gone, today=TODAY)
    assert other.models == ["claude-sonnet-4-5"]


def test_cache_is_per_key_and_expires_after_a_day(tmp_path: Path) -> None:
    a = cache_path("anthropic", "", "key-a", tmp_path)
    assert a != cache_path("anthropic", "", "key-b", tmp_path)
    assert "key-a" not in a.name
    store(a, [listed("claude-haiku-5-5")], now=1000.0)
    cached = load_cached(a, now=1000.0 + 3600)
    assert cached is not None and cached.find("claude-haiku-5-5") is not None
    assert load_cached(a, now=1000.0 + 86_400) is None
    assert load_cached(tmp_path / "missing.json") is None
