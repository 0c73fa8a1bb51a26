"""The usage ledger: tokens and cost of every model call, accept signals and stage timings.

Everything is kept in SQLite in the user data directory (``usage.sqlite3`` under
``platformdirs.user_data_dir("renga")``, which honours ``XDG_DATA_HOME``), so totals survive
restarts and the daily spend cap counts what every renga process spent today. Each record is
one row written in its own transaction in WAL mode: a process killed mid-write loses at most the
record being written, never one already returned from, and never leaves the file inconsistent.
(``synchronous=NORMAL`` skips the fsync per commit, so a power cut may lose the last records but a
crashed or killed process cannot, and a record costs tens of microseconds, not an fsync.)

If the file cannot be opened (read-only home, full disk), the ledger keeps working in memory and
says so once in the log: recording usage must never break completions.
"""

from __future__ import annotations

import datetime as dt
import logging
import sqlite3
import statistics
import threading
import time
import uuid
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from renga.model.catalog import Usage, price_known

log = logging.getLogger(__name__)

SCHEMA = """
CREATE TABLE IF NOT EXISTS calls (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    session TEXT NOT NULL,
    feature TEXT NOT NULL,
    model TEXT NOT NULL,
    input_tokens INTEGER NOT NULL,
    output_tokens INTEGER NOT NULL,
    cache_creation_input_tokens INTEGER NOT NULL,
    cache_read_input_tokens INTEGER NOT NULL,
    cost_usd REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS calls_day ON calls (day);
CREATE TABLE IF NOT EXISTS signals (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    session TEXT NOT NULL,
    kind TEXT NOT NULL CHECK (kind IN ('shown', 'accepted')),
    language TEXT NOT NULL
);
CREATE INDEX IF NOT EXISTS signals_day ON signals (day);
CREATE TABLE IF NOT EXISTS timings (
    id INTEGER PRIMARY KEY,
    ts REAL NOT NULL,
    day TEXT NOT NULL,
    session TEXT NOT NULL,
    feature TEXT NOT NULL,
    stage TEXT NOT NULL,
    ms REAL NOT NULL
);
CREATE INDEX IF NOT EXISTS timings_day ON timings (day);
"""

TOKEN_FIELDS = (
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)

# The periods ``renga usage`` shows, as (key, title, days back; None for all time).
PERIODS: tuple[tuple[str, str, int | None], ...] = (
    ("today", "Today", 0),
    ("last7Days", "Last 7 days", 6),
    ("allTime", "All time", None),
)


# Stage timings older than this are dropped when a ledger opens (totals are kept forever).
TIMINGS_KEPT_DAYS = 30


def default_path() -> Path:
    import platformdirs

    return Path(platformdirs.user_data_dir("renga", appauthor=False)) / "usage.sqlite3"


def _today() -> str:
    return dt.date.today().isoformat()


@dataclass
class Totals:
    calls: int = 0
    input_tokens: int = 0
    output_tokens: int = 0
    cache_creation_input_tokens: int = 0
    cache_read_input_tokens: int = 0
    cost_usd: float = 0.0

    def add(self, usage: Usage) -> None:
        self.calls += 1
        self.input_tokens += usage.input_tokens
        self.output_tokens += usage.output_tokens
        self.cache_creation_input_tokens += usage.cache_creation_input_tokens
        self.cache_read_input_tokens += usage.cache_read_input_tokens
        self.cost_usd += usage.cost_usd


def percentile(values: list[float], q: float) -> float:
    """The ``q`` quantile (0..1) by linear interpolation, as numpy's default does."""
    ordered = sorted(values)
    if not ordered:
        return 0.0
    position = (len(ordered) - 1) * q
    low = int(position)
    high = min(low + 1, len(ordered) - 1)
    return ordered[low] + (ordered[high] - ordered[low]) * (position - low)


def stage_summary(samples: dict[str, list[float]]) -> dict[str, dict[str, float]]:
    return {
        stage: {
            "count": len(values),
            "median": round(statistics.median(values), 2),
            "p90": round(percentile(values, 0.9), 2),
        }
        for stage, values in sorted(samples.items())
        if values
    }


@dataclass
class Ledger:
    """Where renga records usage and accept signals; ``path=None`` is the user data directory.

    This session's totals are also kept in memory (the ``renga.usage`` command shows them);
    everything else is read back from the database."""

    path: Path | None = None
    session_id: str = field(default_factory=lambda: uuid.uuid4().hex[:12])
    session: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    shown: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    accepted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    session_timings: dict[str, dict[str, list[float]]] = field(
        default_factory=lambda: defaultdict(lambda: defaultdict(list))
    )
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _db: sqlite3.Connection | None = None
    _opened: bool = False
    # Today's spend as last read: (day, the last call row counted, the sum).
    _spent: tuple[str, int, float] = ("", 0, 0.0)

    # -- storage -------------------------------------------------------------------------

    def _connect(self) -> sqlite3.Connection:
        """The database, opened on first use (the server's import stays cheap)."""
        if self._db is not None:
            return self._db
        path = self.path or default_path()
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            db = sqlite3.connect(path, timeout=5.0, check_same_thread=False, isolation_level=None)
            db.execute("PRAGMA journal_mode=WAL")
            db.execute("PRAGMA synchronous=NORMAL")
            db.executescript(SCHEMA)
            # Timings are many rows per request and only their recent spread matters.
            db.execute("DELETE FROM timings WHERE day < ?", (self._since(TIMINGS_KEPT_DAYS),))
        except (OSError, sqlite3.Error) as exc:
            log.warning("usage ledger %s unusable (%s): keeping usage in memory only", path, exc)
            db = sqlite3.connect(":memory:", check_same_thread=False, isolation_level=None)
            db.executescript(SCHEMA)
        self.path = path
        self._db = db
        return db

    def _write(self, sql: str, rows: list[tuple[Any, ...]]) -> None:
        with self._lock:
            db = self._connect()
            try:
                # One transaction per record: it is on disk (in the WAL) when this returns.
                db.execute("BEGIN IMMEDIATE")
                db.executemany(sql, rows)
                db.execute("COMMIT")
            except sqlite3.Error as exc:
                log.warning("usage ledger write failed: %s", exc)
                if db.in_transaction:
                    db.execute("ROLLBACK")

    def _read(self, sql: str, args: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
        with self._lock:
            try:
                return self._connect().execute(sql, args).fetchall()
            except sqlite3.Error as exc:
                log.warning("usage ledger read failed: %s", exc)
                return []

    def close(self) -> None:
        with self._lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- recording -----------------------------------------------------------------------

    def record(self, feature: str, usage: Usage) -> None:
        with self._lock:
            self.session[feature].add(usage)
        self._write(
            "INSERT INTO calls (ts, day, session, feature, model, input_tokens, output_tokens,"
            " cache_creation_input_tokens, cache_read_input_tokens, cost_usd)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (
                    time.time(),
                    _today(),
                    self.session_id,
                    feature,
                    usage.model,
                    usage.input_tokens,
                    usage.output_tokens,
                    usage.cache_creation_input_tokens,
                    usage.cache_read_input_tokens,
                    usage.cost_usd,
                )
            ],
        )

    def _signal(self, kind: str, language: str) -> None:
        self._write(
            "INSERT INTO signals (ts, day, session, kind, language) VALUES (?, ?, ?, ?, ?)",
            [(time.time(), _today(), self.session_id, kind, language)],
        )

    def record_shown(self, language: str) -> None:
        with self._lock:
            self.shown[language] += 1
        self._signal("shown", language)

    def record_accepted(self, language: str) -> None:
        with self._lock:
            self.accepted[language] += 1
        self._signal("accepted", language)

    def record_timings(self, feature: str, timings: dict[str, float]) -> None:
        """Per-stage timings of one request (milliseconds by stage name, e.g. ``debounce_ms``,
        ``context_ms``, ``first_token_ms``, ``total_ms``)."""
        stages = {
            stage.removesuffix("_ms"): float(ms)
            for stage, ms in timings.items()
            if isinstance(ms, int | float) and ms >= 0
        }
        if not stages:
            return
        with self._lock:
            for stage, ms in stages.items():
                self.session_timings[feature][stage].append(ms)
        now, day = time.time(), _today()
        self._write(
            "INSERT INTO timings (ts, day, session, feature, stage, ms) VALUES (?, ?, ?, ?, ?, ?)",
            [(now, day, self.session_id, feature, stage, ms) for stage, ms in stages.items()],
        )

    # -- reading -------------------------------------------------------------------------

    def spend_today(self) -> float:
        """What every renga process using this ledger spent today (the daily cap counts this).

        Asked before every model request: summing the day's rows each time cost 6 ms by
        evening (20,000 calls). So the sum is kept, and each call adds only the rows written
        since (by any process: ids only grow, and SQLite commits writers one at a time)."""
        today = _today()
        day, last, total = self._spent
        if day != today:
            rows = self._read(
                "SELECT COALESCE(SUM(cost_usd), 0), COALESCE(MAX(id), 0) FROM calls WHERE day = ?",
                (today,),
            )
            if not rows:
                return 0.0
            total, last = float(rows[0][0]), int(rows[0][1])
        else:
            # "+day": look rows up by id (a short range), not through the day's index.
            rows = self._read(
                "SELECT COALESCE(SUM(cost_usd), 0), MAX(id) FROM calls WHERE id > ? AND +day = ?",
                (last, today),
            )
            if rows and rows[0][1] is not None:
                total, last = total + float(rows[0][0]), int(rows[0][1])
        self._spent = (today, last, total)
        return total

    @staticmethod
    def _since(days: int | None) -> str:
        if days is None:
            return "0000-00-00"
        return (dt.date.today() - dt.timedelta(days=days)).isoformat()

    def _totals(self, since: str, key: str) -> dict[str, dict[str, Any]]:
        rows = self._read(
            f"SELECT {key}, COUNT(*), SUM(input_tokens), SUM(output_tokens),"
            " SUM(cache_creation_input_tokens), SUM(cache_read_input_tokens), SUM(cost_usd)"
            f" FROM calls WHERE day >= ? GROUP BY {key} ORDER BY {key}",
            (since,),
        )
        names = ("calls", *TOKEN_FIELDS, "cost_usd")
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}

    def _acceptance(self, since: str) -> dict[str, dict[str, Any]]:
        rows = self._read(
            "SELECT language, SUM(kind = 'shown'), SUM(kind = 'accepted') FROM signals"
            " WHERE day >= ? GROUP BY language ORDER BY language",
            (since,),
        )
        return {
            language: {
                "shown": shown,
                "accepted": accepted,
                "rate": round(accepted / shown, 4) if shown else None,
            }
            for language, shown, accepted in rows
        }

    def _timings(self, since: str) -> dict[str, dict[str, dict[str, float]]]:
        samples: dict[str, dict[str, list[float]]] = defaultdict(lambda: defaultdict(list))
        for feature, stage, ms in self._read(
            "SELECT feature, stage, ms FROM timings WHERE day >= ?", (since,)
        ):
            samples[feature][stage].append(ms)
        return {feature: stage_summary(stages) for feature, stages in sorted(samples.items())}

    def fast_role_usage(self, days: int | None = 30) -> dict[str, dict[str, Any]]:
        """The fast role's calls (completions, quick actions, workspace-refactor steps) per
        model since ``days`` ago: what ``renga doctor`` reprices for each fast model."""
        rows = self._read(
            "SELECT model, COUNT(*), SUM(input_tokens), SUM(output_tokens),"
            " SUM(cache_creation_input_tokens), SUM(cache_read_input_tokens), SUM(cost_usd)"
            " FROM calls WHERE day >= ? AND (feature = 'completion' OR feature = 'refactor.step'"
            " OR feature LIKE 'action.%') GROUP BY model ORDER BY model",
            (self._since(days),),
        )
        names = ("calls", *TOKEN_FIELDS, "cost_usd")
        return {row[0]: dict(zip(names, row[1:], strict=True)) for row in rows}

    def periods(self) -> dict[str, Any]:
        """Today, the last 7 days and all time, from the database (what ``renga usage`` shows)."""
        out: dict[str, Any] = {}
        for key, _title, days in PERIODS:
            since = self._since(days)
            out[key] = {
                "byFeature": self._totals(since, "feature"),
                "byModel": self._totals(since, "model"),
                "acceptance": self._acceptance(since),
                "timings": self._timings(since),
            }
        return out

    def summary(self) -> dict[str, Any]:
        """This session's totals plus today's and the other periods', as JSON-ready data."""
        with self._lock:
            session = {k: vars(v).copy() for k, v in self.session.items()}
            acceptance = {
                lang: {"shown": self.shown[lang], "accepted": self.accepted.get(lang, 0)}
                for lang in self.shown
            }
            timings = {
                feature: stage_summary(stages) for feature, stages in self.session_timings.items()
            }
        periods = self.periods()
        return {
            "today": periods["today"]["byFeature"],
            "session": session,
            "spendTodayUsd": round(self.spend_today(), 6),
            "acceptance": acceptance,
            "sessionTimings": timings,
            "periods": periods,
            "ledger": str(self.path) if self.path else None,
        }

    def markdown(self, summary: dict[str, Any] | None = None) -> str:
        return render_markdown(summary if summary is not None else self.summary())


def _totals_table(title: str, rows: dict[str, dict[str, Any]]) -> list[str]:
    lines = [
        f"| {title} | calls | input | output | cache write | cache read | cost (USD) |",
        "|---|---:|---:|---:|---:|---:|---:|",
    ]
    for name, t in sorted(rows.items()):
        lines.append(
            f"| {name} | {t['calls']} | {t['input_tokens']} | {t['output_tokens']} | "
            f"{t['cache_creation_input_tokens']} | {t['cache_read_input_tokens']} | "
            f"{t['cost_usd']:.4f} |"
        )
    return [*lines, ""]


def _timings_table(timings: dict[str, dict[str, dict[str, float]]]) -> list[str]:
    lines = ["| feature | stage | requests | median (ms) | p90 (ms) |", "|---|---|---:|---:|---:|"]
    for feature, stages in sorted(timings.items()):
        for stage, s in stages.items():
            lines.append(
                f"| {feature} | {stage} | {s['count']:.0f} | {s['median']:.1f} | {s['p90']:.1f} |"
            )
    return [*lines, ""]


def render_markdown(summary: dict[str, Any]) -> str:
    """A readable report of :meth:`Ledger.summary` (the ``renga usage`` output)."""
    lines = ["# renga usage", ""]
    if summary.get("session"):
        lines += ["## This session", ""]
        lines += _totals_table("feature", summary["session"])
    for key, title, _days in PERIODS:
        period = summary["periods"][key]
        lines += [f"## {title}", ""]
        if period["byFeature"]:
            lines += _totals_table("feature", period["byFeature"])
            lines += _totals_table("model", period["byModel"])
        else:
            lines += ["No model calls.", ""]
        if period["acceptance"]:
            lines += ["| language | shown | accepted | rate |", "|---|---:|---:|---:|"]
            for lang, a in sorted(period["acceptance"].items()):
                rate = f"{a['rate']:.0%}" if a["rate"] is not None else "-"
                lines.append(f"| {lang} | {a['shown']} | {a['accepted']} | {rate} |")
            lines.append("")
        if period["timings"]:
            lines += _timings_table(period["timings"])
    models = {m for key, _t, _d in PERIODS for m in summary["periods"][key]["byModel"]}
    unpriced = sorted(m for m in models if not price_known(m))
    if unpriced:
        lines += [
            f"No price is known for {', '.join(unpriced)}: costed at the dearest current Claude "
            "model's prices, so those costs are an upper bound.",
            "",
        ]
    if summary.get("ledger"):
        lines.append(f"Ledger: `{summary['ledger']}`")
    return "\n".join(lines).rstrip("\n") + "\n"
