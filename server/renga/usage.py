"""Usage and cost of model calls, by feature, for today and this session.

This first ledger keeps totals in memory; it is the one place the rest of renga records usage
and accept signals to, so persistence can live behind the same methods.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from renga.model.catalog import Usage


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


@dataclass
class Ledger:
    session: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    today: dict[str, Totals] = field(default_factory=lambda: defaultdict(Totals))
    day: dt.date = field(default_factory=dt.date.today)
    shown: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    accepted: dict[str, int] = field(default_factory=lambda: defaultdict(int))
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def record(self, feature: str, usage: Usage) -> None:
        with self._lock:
            if dt.date.today() != self.day:
                self.day, self.today = dt.date.today(), defaultdict(Totals)
            self.session[feature].add(usage)
            self.today[feature].add(usage)

    def record_shown(self, language: str) -> None:
        with self._lock:
            self.shown[language] += 1

    def record_accepted(self, language: str) -> None:
        with self._lock:
            self.accepted[language] += 1

    def record_timings(self, feature: str, timings: dict[str, float]) -> None:
        """Per-stage timings of one request (milliseconds by stage name)."""

    def spend_today(self) -> float:
        return sum(t.cost_usd for t in self.today.values())

    def summary(self) -> dict[str, Any]:
        def table(totals: dict[str, Totals]) -> dict[str, Any]:
            return {k: vars(v) for k, v in totals.items()}

        return {
            "today": table(self.today),
            "session": table(self.session),
            "spendTodayUsd": round(self.spend_today(), 6),
            "acceptance": {
                lang: {"shown": self.shown[lang], "accepted": self.accepted.get(lang, 0)}
                for lang in self.shown
            },
        }

    def markdown(self) -> str:
        lines = ["# renga usage", ""]
        for title, totals in (("Today", self.today), ("This session", self.session)):
            lines += [
                f"## {title}",
                "",
                "| feature | calls | input | output | cache write | cache read | cost (USD) |",
                "|---|---:|---:|---:|---:|---:|---:|",
            ]
            for feature, t in sorted(totals.items()):
                lines.append(
                    f"| {feature} | {t.calls} | {t.input_tokens} | {t.output_tokens} | "
                    f"{t.cache_creation_input_tokens} | {t.cache_read_input_tokens} | "
                    f"{t.cost_usd:.4f} |"
                )
            lines.append("")
        if self.shown:
            lines += [
                "## Acceptance",
                "",
                "| language | shown | accepted | rate |",
                "|---|---:|---:|---:|",
            ]
            for lang, shown in sorted(self.shown.items()):
                acc = self.accepted.get(lang, 0)
                lines.append(f"| {lang} | {shown} | {acc} | {acc / shown:.0%} |")
        return "\n".join(lines) + "\n"
