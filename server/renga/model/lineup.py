"""Which model each role uses, and why: the configured chain, the Models API's lifecycle, 404s.

Pure logic (no SDK): :class:`ModelClient` reads ``GET /v1/models`` once in the background and
hands the listed models here as plain dicts; ``renga doctor`` shows the same resolution.

Rules. A role tries its configured model, then its fallbacks. A model the Models API lists as
retired (or that answered 404) is skipped without a request; when the configured model is
retired, the role moves to its line's successor (the newest active model of the same line:
Sonnet 4.5 -> Sonnet 5.5), and the user is told once, by name. A model within
:data:`WARN_DAYS` of its ``retires_at`` is warned about once. A role whose model ends up in
another line (a smart role answered by a Haiku) is always told.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from renga.model.catalog import MODELS, days_until, facts_of, family_of, line_of

log = logging.getLogger(__name__)

WARN_DAYS = 30
CACHE_SECONDS = 24 * 3600


@dataclass(frozen=True)
class Listed:
    """One model as the Models API lists it."""

    id: str
    lifecycle: str = "active"
    line: str | None = None
    display_name: str = ""
    created_at: str = ""
    deprecated_at: str | None = None
    retires_at: str | None = None
    capabilities: Mapping[str, Any] | None = None

    @classmethod
    def from_api(cls, raw: Mapping[str, Any]) -> Listed | None:
        if not isinstance(raw.get("id"), str):
            return None

        def text(key: str) -> str | None:
            value = raw.get(key)
            return str(value) if value else None

        caps = raw.get("capabilities")
        return cls(
            id=raw["id"],
            lifecycle=str(raw.get("lifecycle") or "active"),
            line=text("line"),
            display_name=text("display_name") or raw["id"],
            created_at=text("created_at") or "",
            deprecated_at=text("deprecated_at"),
            retires_at=text("retires_at"),
            capabilities=caps if isinstance(caps, Mapping) else None,
        )


@dataclass
class Lineup:
    """The models a key can reach, as the Models API listed them (empty: no Models API)."""

    models: list[Listed] = field(default_factory=list)
    fetched_at: float = 0.0

    @classmethod
    def from_api(cls, raw: Iterable[Mapping[str, Any]], fetched_at: float = 0.0) -> Lineup:
        listed = [m for r in raw if isinstance(r, Mapping) and (m := Listed.from_api(r))]
        return cls(listed, fetched_at)

    def __bool__(self) -> bool:
        return bool(self.models)

    def find(self, model: str) -> Listed | None:
        """The listing of ``model``: by id, else by family (an alias and its dated id)."""
        for m in self.models:
            if m.id == model:
                return m
        family = family_of(model)
        if family is None:
            return None
        same = [m for m in self.models if family_of(m.id) == family]
        return max(same, key=lambda m: m.created_at) if same else None

    def successor(self, line: str) -> str | None:
        """The newest active model of ``line``."""
        active = [
            m for m in self.models if m.lifecycle == "active" and (m.line or line_of(m.id)) == line
        ]
        return max(active, key=lambda m: m.created_at).id if active else None


def catalog_successor(line: str) -> str | None:
    """The newest active model of ``line`` in the built-in table, by its Claude API alias."""
    active = [m for m in MODELS.values() if m.line == line and m.lifecycle == "active"]
    if not active:
        return None
    return "claude-" + max(active, key=lambda m: m.released).family


@dataclass(frozen=True)
class Step:
    """One model of a role's chain and what became of it."""

    model: str
    why: str  # configured | fallback | successor
    skipped: str = ""  # why it is not used ("" while usable)
    retires_at: str | None = None
    deprecated: bool = False


@dataclass
class Resolution:
    role: str
    steps: list[Step]
    notices: list[str]

    @property
    def models(self) -> list[str]:
        """The models to try, in order (never empty)."""
        alive = [s.model for s in self.steps if not s.skipped]
        return alive or [self.steps[-1].model]

    @property
    def used(self) -> Step:
        alive = [s for s in self.steps if not s.skipped]
        return alive[0] if alive else self.steps[-1]


def _status(model: str, lineup: Lineup, gone: Mapping[str, str]) -> tuple[str, str | None, bool]:
    """(why it is skipped or "", retires_at, deprecated) from the Models API and 404s."""
    if model in gone:
        return gone[model], None, False
    listed = lineup.find(model)
    if listed is None:
        return "", None, False
    date = (listed.retires_at or listed.deprecated_at or "")[:10]
    if listed.lifecycle == "retired":
        return (f"retired on {date}" if date else "retired"), listed.retires_at, True
    return "", listed.retires_at, listed.lifecycle == "deprecated"


def resolve(
    role: str,
    chain: list[str],
    lineup: Lineup,
    gone: Mapping[str, str] | None = None,
    *,
    today: dt.date | None = None,
    use_catalog: bool = False,
) -> Resolution:
    """The models ``role`` tries, from its configured ``chain`` (model, then fallbacks).
    ``gone``: models that answered 404, with why. ``use_catalog``: on the Claude API itself,
    the built-in table may name a line's successor when the Models API has not answered."""
    gone = gone or {}
    ordered = list(dict.fromkeys(chain))
    steps: list[Step] = []
    for i, model in enumerate(ordered):
        skipped, retires, deprecated = _status(model, lineup, gone)
        why = "configured" if i == 0 else "fallback"
        steps.append(Step(model, why, skipped, retires, deprecated))
    notices: list[str] = []
    configured = ordered[0]
    line = line_of(configured) or (lineup.find(configured) or Listed("")).line
    if steps[0].skipped and line:
        successor = lineup.successor(line) or (catalog_successor(line) if use_catalog else None)
        if successor and successor not in ordered and not _status(successor, lineup, gone)[0]:
            listed = lineup.find(successor)
            steps.insert(
                1,
                Step(
                    successor,
                    "successor",
                    retires_at=listed.retires_at if listed else None,
                    deprecated=bool(listed and listed.lifecycle == "deprecated"),
                ),
            )
    resolution = Resolution(role, steps, notices)
    used = resolution.used
    if used.model != configured and not used.skipped:
        notices.append(
            f"renga: {configured} is not available ({steps[0].skipped or 'skipped'}); "
            f"the {role} role uses {used.model} instead. Set `models.{role}` to choose another."
        )
    used_line = line_of(used.model) or (lineup.find(used.model) or Listed("")).line
    if line and used_line and used_line != line:
        notices.append(
            f"renga: the {role} role is answered by {used.model}, a {used_line} model, not a "
            f"{line} model as configured ({configured}): answers may be weaker."
        )
    retires = used.retires_at
    if retires is None and use_catalog and not lineup:
        facts = facts_of(used.model)
        if facts and facts.lifecycle == "deprecated":
            retires = facts.retires_at
    days = days_until(retires, today)
    if days is not None and 0 <= days <= WARN_DAYS:
        better = lineup.successor(used_line or "") if used_line else None
        if not better and use_catalog and used_line:
            better = catalog_successor(used_line)
        instead = f"; set `models.{role}` to {better}" if better and better != used.model else ""
        notices.append(
            f"renga: {used.model} retires on {str(retires)[:10]} (in {days} days){instead}."
        )
    return resolution


# -- the Models API answer, cached per provider and key for a day -------------------------------


def cache_path(provider: str, endpoint: str, key: str, folder: Path | None = None) -> Path:
    """Where the Models API answer for this provider, endpoint and key is kept. The key itself is
    never written: only a hash of it names the file."""
    if folder is None:
        import platformdirs

        folder = Path(platformdirs.user_cache_dir("renga")) / "models"
    digest = hashlib.sha256(f"{provider}\0{endpoint}\0{key}".encode()).hexdigest()[:20]
    return folder / f"{digest}.json"


def load_cached(path: Path, now: float | None = None) -> Lineup | None:
    """The cached lineup when younger than a day; None when missing, stale or unreadable."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        fetched = float(data["fetched_at"])
        models = data["models"]
    except (OSError, ValueError, KeyError, TypeError):
        return None
    now = time.time() if now is None else now
    if not isinstance(models, list) or not 0 <= now - fetched < CACHE_SECONDS:
        return None
    return Lineup.from_api(models, fetched)


def store(path: Path, raw: list[dict[str, Any]], now: float | None = None) -> None:
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        tmp = path.with_suffix(".tmp")
        payload = {"fetched_at": time.time() if now is None else now, "models": raw}
        tmp.write_text(json.dumps(payload, default=str), encoding="utf-8")
        tmp.replace(path)
    except OSError as exc:  # a read-only cache costs one Models API call per start, no more
        log.info("cannot cache the model list in %s: %s", path, exc)
