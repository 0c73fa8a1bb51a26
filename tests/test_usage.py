"""The usage ledger: persisted by day, feature and model, across restarts and kills."""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import sqlite3
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from renga import usage
from renga.model.catalog import Usage
from renga.usage import Ledger, default_path, percentile, render_markdown

HAIKU = "claude-haiku-4-5"
SONNET = "claude-sonnet-4-6"


def test_totals_survive_a_restart_by_feature_and_model(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    first = Ledger(path)
    first.record("completion", Usage(HAIKU, input_tokens=1000, output_tokens=100))
    first.record("completion", Usage(HAIKU, input_tokens=500, cache_read_input_tokens=4000))
    first.record("refactor", Usage(SONNET, input_tokens=2000, output_tokens=1000))
    first.close()

    second = Ledger(path)
    periods = second.periods()
    today = periods["today"]
    assert today["byFeature"]["completion"]["calls"] == 2
    assert today["byFeature"]["completion"]["input_tokens"] == 1500
    assert today["byFeature"]["completion"]["cache_read_input_tokens"] == 4000
    assert today["byModel"][SONNET]["output_tokens"] == 1000
    # Haiku 4.5: $1/M input, $5/M output, $0.10/M cache read; Sonnet 4.5: $3/M, $15/M.
    expected = (1500 * 1 + 100 * 5 + 4000 * 0.1 + 2000 * 3 + 1000 * 15) / 1e6
    assert second.spend_today() == pytest.approx(expected)
    assert periods["allTime"]["byFeature"] == today["byFeature"]
    # The new process's own session starts empty.
    assert second.summary()["session"] == {}


def test_spend_today_counts_only_today(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    ledger = Ledger(path)
    ledger.record("completion", Usage(HAIKU, input_tokens=1_000_000))  # $1.00 today
    yesterday = (dt.date.today() - dt.timedelta(days=1)).isoformat()
    long_ago = (dt.date.today() - dt.timedelta(days=30)).isoformat()
    with sqlite3.connect(path) as db:
        for day in (yesterday, long_ago):
            db.execute(
                "INSERT INTO calls (ts, day, session, feature, model, input_tokens, output_tokens,"
                " cache_creation_input_tokens, cache_read_input_tokens, cost_usd)"
                " VALUES (0, ?, 'old', 'completion', ?, 1000000, 0, 0, 0, 1.0)",
                (day, HAIKU),
            )
    assert ledger.spend_today() == pytest.approx(1.0)
    periods = ledger.periods()
    assert periods["today"]["byFeature"]["completion"]["calls"] == 1
    assert periods["last7Days"]["byFeature"]["completion"]["calls"] == 2
    assert periods["allTime"]["byFeature"]["completion"]["calls"] == 3


def test_two_processes_share_today_spend(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    a, b = Ledger(path), Ledger(path)
    a.record("completion", Usage(HAIKU, input_tokens=1_000_000))
    b.record("completion", Usage(HAIKU, output_tokens=200_000))
    assert a.spend_today() == pytest.approx(2.0)
    assert b.spend_today() == pytest.approx(2.0)
    # The sum is kept between calls and grows by what either process writes since.
    b.record("completion", Usage(HAIKU, input_tokens=500_000))
    assert a.spend_today() == pytest.approx(2.5)
    a.record("completion", Usage(HAIKU, input_tokens=250_000))
    assert a.spend_today() == pytest.approx(2.75)
    assert b.spend_today() == pytest.approx(2.75)


def test_spend_today_starts_again_at_midnight(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    ledger = Ledger(tmp_path / "usage.sqlite3")
    monkeypatch.setattr(usage, "_today", lambda: "2026-11-25")
    ledger.record("completion", Usage(HAIKU, input_tokens=1_000_000))
    assert ledger.spend_today() == pytest.approx(1.0)
    monkeypatch.setattr(usage, "_today", lambda: "2026-11-26")
    assert ledger.spend_today() == 0.0
    ledger.record("completion", Usage(HAIKU, input_tokens=300_000))
    assert ledger.spend_today() == pytest.approx(0.3)


def test_acceptance_per_language(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "usage.sqlite3")
    for _ in range(4):
        ledger.record_shown("python")
    ledger.record_accepted("python")
    ledger.record_shown("rust")
    summary = Ledger(tmp_path / "usage.sqlite3").summary()
    acceptance = summary["periods"]["today"]["acceptance"]
    assert acceptance["python"] == {"shown": 4, "accepted": 1, "rate": 0.25}
    assert acceptance["rust"] == {"shown": 1, "accepted": 0, "rate": 0.0}
    assert ledger.summary()["acceptance"]["python"] == {"shown": 4, "accepted": 1}


def test_stage_timings_median_and_p90(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "usage.sqlite3")
    for i in range(1, 11):
        ledger.record_timings(
            "completion",
            {"debounce_ms": 75.0, "context_ms": float(i), "first_token_ms": 100.0 * i},
        )
    ledger.record_timings("completion", {"bogus": "x", "negative_ms": -1})  # type: ignore[dict-item]
    timings = Ledger(tmp_path / "usage.sqlite3").periods()["today"]["timings"]["completion"]
    assert timings["context"] == {"count": 10, "median": 5.5, "p90": 9.1}
    assert timings["first_token"]["median"] == 550.0
    assert timings["debounce"]["p90"] == 75.0
    assert "bogus" not in timings and "negative" not in timings
    markdown = render_markdown(ledger.summary())
    assert "| completion | first_token | 10 | 550.0 | 910.0 |" in markdown


def test_percentile_matches_linear_interpolation() -> None:
    assert percentile([1, 2, 3, 4], 0.5) == 2.5
    assert percentile([5], 0.9) == 5
    assert percentile([], 0.9) == 0.0


def test_default_path_honours_xdg_data_home(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path / "xdg"))
    assert default_path() == tmp_path / "xdg" / "renga" / "usage.sqlite3"
    ledger = Ledger()
    ledger.record("completion", Usage(HAIKU, input_tokens=10))
    assert (tmp_path / "xdg" / "renga" / "usage.sqlite3").exists()


def test_an_unusable_ledger_file_falls_back_to_memory(tmp_path: Path) -> None:
    blocker = tmp_path / "not-a-dir"
    blocker.write_text("a file where a folder should be")
    ledger = Ledger(blocker / "usage.sqlite3")
    ledger.record("completion", Usage(HAIKU, input_tokens=1_000_000))
    assert ledger.spend_today() == pytest.approx(1.0)
    assert ledger.summary()["session"]["completion"]["calls"] == 1


WRITER = textwrap.dedent(
    """
    import sys
    from pathlib import Path
    from renga.model.catalog import Usage
    from renga.usage import Ledger

    ledger = Ledger(Path(sys.argv[1]))
    i = 0
    while True:
        i += 1
        # input_tokens carries the sequence number, so each record can be found afterwards.
        ledger.record("completion", Usage("claude-haiku-4-5", input_tokens=i, output_tokens=1))
        ledger.record_timings("completion", {"total_ms": float(i)})
        print(i, flush=True)
    """
)


def test_sigkill_mid_write_loses_no_committed_record(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}
    proc = subprocess.Popen(
        [sys.executable, "-c", WRITER, str(path)],
        stdout=subprocess.PIPE,
        text=True,
        env=env,
    )
    assert proc.stdout is not None
    committed = 0
    deadline = time.monotonic() + 60
    # Kill it while it is busy writing: after a few hundred records, at an arbitrary moment.
    while committed < 300 and time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            break
        committed = int(line)
    os.kill(proc.pid, signal.SIGKILL)
    proc.wait()
    # Records whose print raced the kill may also be there: the ones acknowledged must be.
    for line in proc.stdout:
        committed = max(committed, int(line))
    assert committed >= 300

    with sqlite3.connect(path) as db:
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)
        recorded = {row[0] for row in db.execute("SELECT input_tokens FROM calls")}
        timings = {row[0] for row in db.execute("SELECT ms FROM timings")}
    assert set(range(1, committed + 1)) <= recorded
    assert {float(i) for i in range(1, committed + 1)} <= timings
    # A new ledger opens the killed one's file and carries on.
    ledger = Ledger(path)
    assert ledger.periods()["today"]["byFeature"]["completion"]["calls"] >= committed
    ledger.record("completion", Usage(HAIKU, input_tokens=1))


def test_renga_usage_command_shows_what_the_ledger_holds() -> None:
    ledger = Ledger()  # the user data directory (a folder of this test's, see conftest)
    ledger.record("completion", Usage(HAIKU, input_tokens=2000, output_tokens=40))
    ledger.record("refactor", Usage(SONNET, input_tokens=10_000, output_tokens=2000))
    for _ in range(3):
        ledger.record_shown("python")
    ledger.record_accepted("python")
    ledger.record_timings("completion", {"context_ms": 2.0, "first_token_ms": 480.0})
    ledger.close()
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(sys.path)}

    def usage(*args: str) -> str:
        result = subprocess.run(
            [sys.executable, "-m", "renga", "usage", *args],
            capture_output=True,
            text=True,
            env=env,
            timeout=60,
            check=True,
        )
        return result.stdout

    data = json.loads(usage("--json"))
    for period in ("today", "last7Days", "allTime"):
        assert data[period]["byFeature"]["completion"]["input_tokens"] == 2000
        assert data[period]["byModel"][SONNET]["output_tokens"] == 2000
        assert data[period]["acceptance"]["python"]["rate"] == pytest.approx(1 / 3, abs=1e-3)
        assert data[period]["timings"]["completion"]["first_token"]["median"] == 480.0
    expected = (2000 * 1 + 40 * 5 + 10_000 * 3 + 2000 * 15) / 1e6
    assert data["spendTodayUsd"] == pytest.approx(expected)
    text = usage()
    assert "## Today" in text and "## All time" in text
    assert f"| {SONNET} | 1 | 10000 | 2000 | 0 | 0 | 0.0600 |" in text
    assert "| python | 3 | 1 | 33% |" in text
    assert "| completion | first_token | 1 | 480.0 | 480.0 |" in text


def test_old_stage_timings_are_pruned_but_totals_kept(tmp_path: Path) -> None:
    path = tmp_path / "usage.sqlite3"
    ledger = Ledger(path)
    ledger.record("completion", Usage(HAIKU, input_tokens=10))
    ledger.record_timings("completion", {"total_ms": 100.0})
    ledger.close()
    old = (dt.date.today() - dt.timedelta(days=45)).isoformat()
    with sqlite3.connect(path) as db:
        db.execute("UPDATE calls SET day = ?", (old,))
        db.execute("UPDATE timings SET day = ?", (old,))
    periods = Ledger(path).periods()
    assert periods["allTime"]["byFeature"]["completion"]["calls"] == 1
    assert periods["allTime"]["timings"] == {}


def test_each_call_is_shown_at_its_models_real_price(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "usage.sqlite3")
    call = {"input_tokens": 2000, "output_tokens": 100, "cache_read_input_tokens": 4000}
    ledger.record("completion", Usage("claude-haiku-5-5", **call))
    ledger.record("completion", Usage(HAIKU, **call))
    ledger.record("refactor", Usage(SONNET, input_tokens=1000, output_tokens=100, failed=True))
    by_model = ledger.periods()["today"]["byModel"]
    # Haiku 5.5: 0.10 in, 0.50 out, 0.01 cache read per MTok; Haiku 4.5 ten times that.
    assert by_model["claude-haiku-5-5"]["cost_usd"] == pytest.approx(0.00029)
    assert by_model[HAIKU]["cost_usd"] == pytest.approx(0.0029)
    assert by_model[SONNET]["cost_usd"] == 0.0  # failed: not billed


def test_usage_says_when_a_models_cost_is_an_upper_bound(tmp_path: Path) -> None:
    ledger = Ledger(tmp_path / "usage.sqlite3")
    ledger.record("completion", Usage(HAIKU, input_tokens=100))
    assert "upper bound" not in ledger.markdown()
    ledger.record("completion", Usage("qwen3-coder", input_tokens=100))
    assert "No price is known for qwen3-coder" in ledger.markdown()
