"""The context engine's entry point: everything the model sees for one cursor.

The live window is cut first; then the other sources (enclosing scopes, definitions of nearby
names, recent edits elsewhere, and the imports when the stable block is rebuilt) run over
immutable snapshots, each under its own time budget; each checks its deadline as it goes and a
source that still comes back late is dropped: the completion goes out without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from renga.config import Settings
from renga.context.budget import CALIBRATOR, fit
from renga.context.definitions import definition_sections
from renga.context.imports import imports_section
from renga.context.recent import recent_sections
from renga.context.scopes import scope_section
from renga.context.snapshot import Cursor, DocSnapshot, clock, path_of
from renga.context.stable import STABLE, Frozen, Plan, freeze, place, plan_for
from renga.context.tagcache import TAGS
from renga.context.types import ContextSources, CursorContext, Section, estimate_tokens
from renga.context.window import cursor_context
from renga.syntax.document import Document

log = logging.getLogger(__name__)

Source = Callable[[Cursor, float], list[Section]]

# Milliseconds (of CPU time, ``snapshot.clock``) each source may take; late ones are dropped.
BUDGET_MS: dict[str, float] = {"scopes": 3.0, "imports": 3.0, "definitions": 6.0, "recent": 3.0}
SOURCES: dict[str, Source] = {
    "scopes": scope_section,
    "imports": imports_section,
    "definitions": definition_sections,
    "recent": recent_sections,
}
# Milliseconds per request for refreshing other open documents' tags (a newly opened big file
# costs a full extraction once; later edits are incremental).
OTHERS_TAGS_MS = 15.0
# The prompt's fixed part (system prompt, tags, instruction) in estimated tokens.
OVERHEAD = 330
# Haiku 4.5 caches a prefix only from 4,096 tokens on; aim a little above it.
CACHE_MINIMUM = 4096
CACHE_MARGIN = 1.06


@dataclass
class Report:
    """How the last context was made (for ``renga context --json``, benchmarks and tests)."""

    timings_ms: dict[str, float] = field(default_factory=dict)
    late: list[str] = field(default_factory=list)
    refreshed: bool = False
    tags_mode: str = ""


LAST = Report()


def run_sources(cursor: Cursor, names: list[str], report: Report) -> dict[str, list[Section]]:
    """Run the named sources, each under its own deadline; a result that comes late is dropped.

    Sources run on this thread: handing work to a pool costs milliseconds of GIL hand-offs,
    more than the sources themselves. Nothing they call blocks (the workspace index answers
    from memory); they check their deadline as they go and stop there."""
    results: dict[str, list[Section]] = {}
    for name in names:
        started, wall = clock(), time.perf_counter()
        deadline = started + BUDGET_MS[name] / 1000
        try:
            sections = SOURCES[name](cursor, deadline)
        except Exception:  # a broken source costs its section, never the completion
            log.exception("context source %s failed", name)
            continue
        ms = (clock() - started) * 1000
        report.timings_ms[name] = (time.perf_counter() - wall) * 1000
        if ms > BUDGET_MS[name]:
            report.late.append(name)
            log.debug("context source %s late (%.1f ms), dropped", name, ms)
            continue
        results[name] = sections
    return results


def current_plan(settings: Settings) -> Plan:
    budget = CALIBRATOR.to_estimate(settings.context.token_budget)
    minimum = CALIBRATOR.to_estimate(int(CACHE_MINIMUM * CACHE_MARGIN))
    return plan_for(budget, OVERHEAD, minimum)


def build_context(
    doc: Document, offset: int, settings: Settings, sources: ContextSources, path: str
) -> CursorContext:
    """The context for a cursor at byte ``offset`` of ``doc``, under the configured budget."""
    global LAST
    report = Report()
    t0 = time.perf_counter()
    offset = max(0, min(offset, len(doc.source)))
    plan = current_plan(settings)
    root = sources.root
    snap = DocSnapshot.of(doc, path, root)
    cached = TAGS.get(doc.uri, doc.language, doc.tree, doc.source, doc.version)
    report.tags_mode = TAGS.last_mode
    report.timings_ms["tags"] = (time.perf_counter() - t0) * 1000
    others = [
        DocSnapshot.of(d, path_of(uri), root)
        for uri, d in sources.documents.items()
        if uri != doc.uri and not sources.excluded(path_of(uri))
    ]
    _refresh_tags(others, report)
    cursor = Cursor(
        doc=snap,
        offset=offset,
        tags=cached,
        window=(0, len(doc.source)),
        others=others,
        index=sources.index,
        excluded=sources.excluded,
        root=root,
        budget=plan.extras,
    )

    frozen = STABLE.get(doc.uri)
    placed = place(frozen, doc.source, offset, plan) if frozen is not None else None
    if placed is None:
        frozen = _freeze(cursor, plan, report)
        STABLE.put(doc.uri, frozen)
        placed = place(frozen, doc.source, offset, plan)
        report.refreshed = True
    hole, shown, frozen = (
        (placed.hole, placed.shown, placed.frozen)
        if placed is not None
        else ((0, len(doc.source)), [], Frozen(doc.source, (0, 0), [], [], (0, 0, 0), True, False))
    )
    language = doc.language.name if doc.language else (doc.language_id or "text")
    ctx = cursor_context(snap.shown, language, doc.source, offset, *hole)
    ctx.first_line = doc.position_at(hole[0])[0]
    cursor.window = hole
    cursor.visible = shown
    extras_budget = plan.extras
    if frozen.whole:
        extras_budget += plan.stable + max(0, plan.hole - estimate_tokens(ctx.prefix + ctx.suffix))
    cursor.budget = extras_budget
    results = run_sources(cursor, ["scopes", "definitions", "recent"], report)
    live = results.get("scopes", []) + results.get("definitions", []) + results.get("recent", [])
    live, _ = fit(live, extras_budget)
    ctx.sections = list(frozen.sections) + live
    ctx.cache_stable = frozen.cacheable
    report.timings_ms["total"] = (time.perf_counter() - t0) * 1000
    LAST = report
    return ctx


def _refresh_tags(others: list[DocSnapshot], report: Report) -> None:
    """Bring the other open documents' tags up to date, most recently edited first, until
    ``OTHERS_TAGS_MS`` is spent; the rest keep their older (self-consistent) tags this time."""
    started = clock()
    stale = [d for d in others if (c := TAGS.peek(d.uri)) is None or c.now is not d.source]
    stale.sort(key=lambda d: d.last_edit[2] if d.last_edit else 0.0, reverse=True)
    for d in stale:
        if (clock() - started) * 1000 > OTHERS_TAGS_MS:
            break
        d.tags(TAGS)
    report.timings_ms["others_tags"] = (clock() - started) * 1000


def _freeze(cursor: Cursor, plan: Plan, report: Report) -> Frozen:
    doc = cursor.doc

    def imports(shown: list[tuple[int, int]], budget: int) -> list[Section]:
        probe = Cursor(
            doc=doc,
            offset=cursor.offset,
            tags=cursor.tags,
            window=(0, 0),
            visible=shown,
            budget=budget,
        )
        return run_sources(probe, ["imports"], report).get("imports", [])

    return freeze(doc.source, doc.tree, cursor.offset, plan, doc.shown, imports)


def forget_document(uri: str) -> None:
    """Drop what the context engine keeps for a closed document."""
    TAGS.forget(uri)
    STABLE.forget(uri)
