"""The context engine's entry point: everything the model sees for one cursor.

The stable block (imports, the file's outline) is reused while the file barely changed; the live
window is cut afresh under a hard cap; then the live sources (enclosing scopes, definitions of
the names used near the cursor, the enclosing class's outline, the signatures of imported names,
recent edits elsewhere) run over immutable snapshots, each under its own time budget and share
of the tokens; each checks its deadline as it goes and a source that still comes back late is
dropped: the completion goes out without it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field

import tree_sitter as ts

from renga.config import Settings
from renga.context.budget import CALIBRATOR, fit
from renga.context.definitions import definition_sections
from renga.context.imports import imports_section
from renga.context.outline import class_outline_section, imported_sections, member_sections
from renga.context.recent import recent_sections
from renga.context.scopes import scope_section
from renga.context.snapshot import Cursor, DocSnapshot, clock, path_of
from renga.context.stable import STABLE, WINDOW_SLACK, Frozen, Plan, freeze, place, plan_for
from renga.context.tagcache import TAGS
from renga.context.types import ContextSources, CursorContext, Section
from renga.context.window import CHARS_PER_TOKEN, char_start, cursor_context, window
from renga.model.catalog import cache_minimum
from renga.syntax.document import Document
from renga.syntax.tags import uses_query

log = logging.getLogger(__name__)

Source = Callable[[Cursor, float], list[Section]]

# Milliseconds (of CPU time, ``snapshot.clock``) each source may take; late ones are dropped.
BUDGET_MS: dict[str, float] = {
    "scopes": 3.0,
    "imports": 3.0,
    "definitions": 6.0,
    "outline": 3.0,
    "members": 3.0,
    "imported": 3.0,
    "recent": 3.0,
}
SOURCES: dict[str, Source] = {
    "scopes": scope_section,
    "imports": imports_section,
    "definitions": definition_sections,
    "outline": class_outline_section,
    "members": member_sections,
    "imported": imported_sections,
    "recent": recent_sections,
}
# The live sources in priority order, and the share of the extras budget each may fill.
LIVE: dict[str, float] = {
    "scopes": 0.05,
    "definitions": 0.4,
    "outline": 0.17,
    "members": 0.2,
    "imported": 0.13,
    "recent": 0.05,
}
# Milliseconds per request for refreshing other open documents' tags (a newly opened big file
# costs a full extraction once; later edits are incremental).
OTHERS_TAGS_MS = 15.0
# The prompt's fixed part (system prompt, tags, instruction) in estimated tokens.
OVERHEAD = 330
# Aim a little above the model's cache minimum: the local estimate is not the API's count.
CACHE_MARGIN = 1.06


@dataclass
class Report:
    """How the last context was made (for ``renga context --json``, benchmarks and tests)."""

    timings_ms: dict[str, float] = field(default_factory=dict)
    late: list[str] = field(default_factory=list)
    refreshed: bool = False
    tags_mode: str = ""


LAST = Report()


def run_sources(
    cursor: Cursor,
    names: list[str],
    report: Report,
    budgets_ms: Mapping[str, float] | None = None,
    shares: Mapping[str, float] | None = None,
) -> dict[str, list[Section]]:
    """Run the named sources, each under its own deadline (``budgets_ms``, default
    ``BUDGET_MS``: tests pass their own, so what is dropped never depends on the machine's
    speed); a result that comes late is dropped. With ``shares``, each source may fill that
    share of ``cursor.budget``.

    Sources run on this thread: handing work to a pool costs milliseconds of GIL hand-offs,
    more than the sources themselves. Nothing they call blocks (the workspace index answers
    from memory); they check their deadline as they go and stop there."""
    budgets = BUDGET_MS if budgets_ms is None else budgets_ms
    total = cursor.budget
    results: dict[str, list[Section]] = {}
    for name in names:
        if shares is not None:
            cursor.budget = int(total * shares.get(name, 0.0))
        started, wall = clock(), time.perf_counter()
        deadline = started + budgets[name] / 1000
        try:
            sections = SOURCES[name](cursor, deadline)
        except Exception:  # a broken source costs its section, never the completion
            log.exception("context source %s failed", name)
            continue
        ms = (clock() - started) * 1000
        report.timings_ms[name] = (time.perf_counter() - wall) * 1000
        if ms > budgets[name]:
            report.late.append(name)
            log.debug("context source %s late (%.1f ms), dropped", name, ms)
            continue
        results[name] = sections
    cursor.budget = total
    return results


def current_plan(settings: Settings) -> Plan:
    """The budget split for the configured fast model: its cache minimum decides only whether
    the stable block is marked for caching, never how big the prompt is."""
    budget = CALIBRATOR.to_estimate(settings.context.token_budget)
    minimum = CALIBRATOR.to_estimate(int(cache_minimum(settings.models.fast) * CACHE_MARGIN))
    return plan_for(budget, OVERHEAD, minimum)


def live_window(source: bytes, tree: ts.Tree | None, offset: int, tokens: int) -> tuple[int, int]:
    """The live window around ``offset``: about ``tokens`` estimated tokens, 70% before the
    cursor, on line and syntax boundaries, and never more than ``WINDOW_SLACK`` times that
    (an edge that would land past a long line is cut at a character instead)."""
    start, end = window(source, tree, offset, tokens * 7 // 10, tokens * 3 // 10)
    cap = int(tokens * CHARS_PER_TOKEN * WINDOW_SLACK)
    if end - start > cap:
        before = cap * 7 // 10
        start = max(start, char_start(source, max(0, offset - before)))
        end = min(end, char_start(source, min(len(source), start + cap), back=True))
    return start, max(end, offset)


def build_context(
    doc: Document,
    offset: int,
    settings: Settings,
    sources: ContextSources,
    path: str,
    budgets_ms: Mapping[str, float] | None = None,
) -> CursorContext:
    """The context for a cursor at byte ``offset`` of ``doc``, under the configured budget.
    ``budgets_ms`` overrides the sources' time budgets (``BUDGET_MS``)."""
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

    if doc.language is not None:
        # Compiled once per language (tens of milliseconds for the references' patterns): here,
        # not inside the first request's definitions budget.
        uses_query(doc.language)
    old = STABLE.get(doc.uri)
    frozen = place(old, doc.source, offset, plan) if old is not None else None
    if frozen is None:
        frozen = _freeze(cursor, plan, report, budgets_ms)
        STABLE.put(doc.uri, frozen)
        report.refreshed = True
    hole = (
        (0, len(doc.source))
        if frozen.whole
        else live_window(doc.source, doc.tree, offset, plan.hole)
    )
    language = doc.language.name if doc.language else (doc.language_id or "text")
    ctx = cursor_context(snap.shown, language, doc.source, offset, *hole)
    ctx.first_line = doc.position_at(hole[0])[0]
    cursor.window = hole
    cursor.budget = plan.extras
    names = list(LIVE)
    results = run_sources(cursor, names, report, budgets_ms, LIVE)
    live = [s for name in names for s in results.get(name, [])]
    live, _ = fit(live, plan.extras)
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


def _freeze(
    cursor: Cursor, plan: Plan, report: Report, budgets_ms: Mapping[str, float] | None
) -> Frozen:
    doc = cursor.doc

    def imports(budget: int) -> list[Section]:
        # Every import statement, wherever the live window is: the block must not depend on it.
        probe = Cursor(
            doc=doc, offset=cursor.offset, tags=cursor.tags, window=(0, 0), budget=budget
        )
        return run_sources(probe, ["imports"], report, budgets_ms).get("imports", [])

    return freeze(cursor.tags, cursor.offset, plan, doc.shown, imports, OVERHEAD)


def forget_document(uri: str) -> None:
    """Drop what the context engine keeps for a closed document."""
    TAGS.forget(uri)
    STABLE.forget(uri)
