"""The stable part of a prompt: file-level context kept per document, refreshed only when it has
drifted too far from the live buffer, so that consecutive requests send it byte for byte the same
and the prompt cache can hold it.

The file is split in three at a refresh: a *hole* around the cursor, which the prompt shows live
(the current text, cursor marked) at the end, and the text above and below it (and the imports
when they lie further up), frozen in the stable block at the start. Later requests reuse the
frozen block while the cursor stays inside the hole, the hole stays small, and the text outside
it changed by no more than a few hundred bytes.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field

import tree_sitter as ts

from renga.context.tagcache import diff
from renga.context.types import Section, estimate_tokens
from renga.context.window import CHARS_PER_TOKEN, cut_end, cut_start, window

# Bytes of text outside the hole that may change before the frozen block is rebuilt.
DRIFT_BYTES = 512
# The cursor must stay this many bytes inside the hole's edges (unless the edge is the file's).
MARGIN_BEFORE = 400
MARGIN_AFTER = 120
# The hole may grow (typing) to this many times its planned size before a rebuild.
GROWTH = 1.6


@dataclass
class Plan:
    """Estimated-token sizes of a prompt's parts."""

    hole: int
    extras: int
    stable: int
    # Whether the stable block plus the system prompt is expected to reach the cache minimum.
    cacheable: bool


@dataclass
class Frozen:
    """A document's stable block, in the coordinates of ``source`` (the text it was built from)."""

    source: bytes
    hole: tuple[int, int]
    # Parts of ``source`` the block shows, for "is it already in the prompt" questions.
    shown: list[tuple[int, int]]
    sections: list[Section]
    key: tuple[int, int, int]
    whole: bool
    cacheable: bool


@dataclass
class Placed:
    """A frozen block placed on the current source: where the hole is now, what is shown."""

    frozen: Frozen
    hole: tuple[int, int]
    shown: list[tuple[int, int]] = field(default_factory=list)
    refreshed: bool = False


def _line_no(source: bytes, offset: int) -> int:
    return source.count(b"\n", 0, offset) + 1


# A new plan (the calibration moved) rebuilds the block only when it changed this much: every
# rebuild costs a cache write.
PLAN_TOLERANCE = 0.2


def _close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= PLAN_TOLERANCE * max(x, y, 1) for x, y in zip(a, b, strict=True))


def place(frozen: Frozen, source: bytes, offset: int, plan: Plan) -> Placed | None:
    """``frozen`` on the current ``source``, or None when it has drifted too far."""
    if not _close(frozen.key, (plan.hole, plan.extras, plan.stable)):
        return None
    if frozen.whole:
        if len(source) / CHARS_PER_TOKEN > plan.hole * GROWTH:
            return None
        return Placed(frozen, (0, len(source)))
    start, end = frozen.hole
    change = diff(frozen.source, source)
    shown = frozen.shown
    if change is not None:
        if change.start >= start and change.old_end <= end:
            end += change.delta
        else:
            outside = max(0, start - change.start) + max(0, change.old_end - end)
            if outside > DRIFT_BYTES:
                return None
            # Small edits just outside: the live window takes them in.
            start = min(start, change.start)
            end = max(end, change.old_end) + change.delta
        shown = [
            (a, b) if b <= change.start else (a + change.delta, b + change.delta)
            for a, b in shown
            if b <= change.start or a >= change.old_end
        ]
    if not (start <= offset <= end):
        return None
    if start > 0 and offset - start < MARGIN_BEFORE:
        return None
    if end < len(source) and end - offset < MARGIN_AFTER:
        return None
    if (end - start) / CHARS_PER_TOKEN > plan.hole * GROWTH:
        return None
    return Placed(frozen, (start, end), shown)


def freeze(
    source: bytes,
    tree: ts.Tree | None,
    offset: int,
    plan: Plan,
    shown_path: str,
    imports: Callable[[list[tuple[int, int]], int], list[Section]],
) -> Frozen:
    """Build the stable block for a cursor at ``offset``. ``imports(shown, budget)`` gives the
    imports section for the ranges the block will show."""
    key = (plan.hole, plan.extras, plan.stable)
    total = len(source) / CHARS_PER_TOKEN
    if total <= plan.hole or (total <= plan.hole + plan.stable and not plan.cacheable):
        # The whole file fits in the live window and nothing could be cached anyway.
        return Frozen(source, (0, len(source)), [], [], key, True, False)
    start, end = window(source, tree, offset, plan.hole * 7 // 10, plan.hole * 3 // 10)
    import_sections = imports([(start, end)], plan.stable // 4)
    left = plan.stable - sum(s.tokens for s in import_sections) - 40
    chars_before = max(0, int(left * CHARS_PER_TOKEN * 2 / 3))
    chars_after = max(0, int(left * CHARS_PER_TOKEN) - chars_before)
    # One side may be short (the cursor near the top or the bottom): the other takes the rest.
    spare_before = max(0, chars_before - start)
    spare_after = max(0, chars_after - (len(source) - end))
    chars_before += spare_after
    chars_after += spare_before
    head_start = cut_start(source, tree, max(0, start - chars_before), start)
    tail_end = cut_end(source, tree, min(len(source), end + chars_after), end)
    shown = [(head_start, start), (end, tail_end)]
    # Imports inside the shown head need no section of their own.
    import_sections = imports([(head_start, tail_end)], plan.stable // 4)
    head = source[head_start:start].decode("utf-8", errors="replace")
    tail = source[end:tail_end].decode("utf-8", errors="replace")
    parts = []
    if head_start > 0:
        parts.append(f"⋮ (lines 1-{_line_no(source, head_start) - 1} not shown)\n")
    parts.append(head)
    parts.append(
        f"⋮ (lines {_line_no(source, start)}-{_line_no(source, max(start, end - 1))}: "
        "the live window, shown below with the cursor)\n"
    )
    parts.append(tail)
    if tail_end < len(source):
        parts.append(f"⋮ (lines {_line_no(source, tail_end)}- not shown)\n")
    text = "".join(parts)
    sections = [Section(s.kind, s.source, s.text, stable=True) for s in import_sections]
    sections.append(Section("file", shown_path, text, stable=True))
    cacheable = plan.cacheable and sum(s.tokens for s in sections) >= plan.stable * 0.9
    return Frozen(source, (start, end), shown, sections, key, False, cacheable)


class StableStore:
    """Frozen blocks per document URI, least recently used out."""

    def __init__(self, capacity: int = 64) -> None:
        self.capacity = capacity
        self._entries: OrderedDict[str, Frozen] = OrderedDict()
        self._lock = threading.Lock()

    def get(self, uri: str) -> Frozen | None:
        with self._lock:
            frozen = self._entries.get(uri)
            if frozen is not None:
                self._entries.move_to_end(uri)
            return frozen

    def put(self, uri: str, frozen: Frozen) -> None:
        with self._lock:
            self._entries[uri] = frozen
            self._entries.move_to_end(uri)
            while len(self._entries) > self.capacity:
                self._entries.popitem(last=False)

    def forget(self, uri: str) -> None:
        with self._lock:
            self._entries.pop(uri, None)


STABLE = StableStore()


def plan_for(budget_estimated: int, overhead: int, cache_minimum: int) -> Plan:
    """Split a budget (estimated tokens, ``overhead`` for the system prompt and framing) into
    the live hole, the live extras (scopes, definitions, recent edits) and the stable block.
    When the budget allows, the stable block is made big enough (with the system prompt) to
    reach ``cache_minimum``, taking from the live parts down to a floor."""
    hole = min(1500, budget_estimated * 3 // 10)
    extras = min(1200, budget_estimated // 5)
    stable = budget_estimated - overhead - hole - extras
    if stable + overhead >= cache_minimum:
        return Plan(hole, extras, stable, True)
    need = cache_minimum - overhead - stable
    give = max(0, hole - 700) + max(0, extras - 400)
    if give >= need:
        take_hole = min(max(0, hole - 700), need * max(0, hole - 700) // max(1, give) + 1)
        take_extras = need - take_hole
        return Plan(hole - take_hole, extras - take_extras, cache_minimum - overhead, True)
    return Plan(hole, extras, max(0, stable), False)


def stable_tokens(sections: list[Section]) -> int:
    return sum(estimate_tokens(s.text) for s in sections if s.stable)
