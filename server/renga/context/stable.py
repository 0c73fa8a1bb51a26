"""The stable part of a prompt: file-level context that does not depend on the keystroke, kept
per document and sent byte for byte the same while the user types, so the prompt cache can hold
it where the model caches a prefix that short.

It holds the file's imports and an outline of its top-level definitions (signatures only),
nearest the cursor first when they do not all fit. The live window is cut afresh for every
request (``window.window``), under a hard cap: no path ever sends the whole file unless the whole
file fits the window's budget.

The block is sized by what it contains, never padded to a cache minimum: where the model caches
from 512 tokens (Haiku 5.5) the system prompt and this block reach it and are marked for caching;
where it caches only from 4,096 (Haiku 4.5) nothing is padded to get there, and nothing is marked.
"""

from __future__ import annotations

import threading
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

from renga.context.outline import file_outline, members_of
from renga.context.tagcache import CachedTags, diff
from renga.context.types import Section, estimate_tokens
from renga.context.window import CHARS_PER_TOKEN

# Bytes of text that may change before the block is rebuilt (an outline line may lag this much).
DRIFT_BYTES = 512
# The live window may be at most this many times its planned size (a long line at an edge).
WINDOW_SLACK = 1.25


@dataclass
class Plan:
    """Estimated-token sizes of a prompt's parts."""

    hole: int
    extras: int
    stable: int
    # The smallest stable block (with the system prompt) the model caches; 0 when none will do.
    cache_minimum: int

    @property
    def cacheable(self) -> bool:
        return self.cache_minimum > 0


@dataclass
class Frozen:
    """A document's stable block, in the coordinates of ``source`` (the text it was built from)."""

    source: bytes
    sections: list[Section]
    key: tuple[int, int, int]
    # The bytes of ``source`` the outline covers when it could not hold every definition: a
    # cursor leaving them gets a block built around it. None: the outline is complete.
    around: tuple[int, int] | None
    # The whole file fits in the live window: no block.
    whole: bool
    cacheable: bool


# A new plan (the calibration moved) rebuilds the block only when it changed this much: every
# rebuild costs a cache write.
PLAN_TOLERANCE = 0.2


def _close(a: tuple[int, int, int], b: tuple[int, int, int]) -> bool:
    return all(abs(x - y) <= PLAN_TOLERANCE * max(x, y, 1) for x, y in zip(a, b, strict=True))


def place(frozen: Frozen, source: bytes, offset: int, plan: Plan) -> Frozen | None:
    """``frozen`` still good for the current ``source`` and cursor, or None."""
    if not _close(frozen.key, (plan.hole, plan.extras, plan.stable)):
        return None
    fits = len(source) / CHARS_PER_TOKEN <= plan.hole
    if fits != frozen.whole:
        return None
    change = diff(frozen.source, source)
    if change is not None and max(change.old_end - change.start, abs(change.delta)) > DRIFT_BYTES:
        return None
    if frozen.around is not None:
        lo, hi = frozen.around
        delta = change.delta if change is not None and change.start < offset else 0
        if not (lo <= offset - delta <= hi):
            return None
    return frozen


def freeze(
    cached: CachedTags,
    offset: int,
    plan: Plan,
    shown_path: str,
    imports: Callable[[int], list[Section]],
    overhead: int,
) -> Frozen:
    """Build the stable block for a cursor at ``offset`` of ``cached.now``. ``imports(budget)``
    gives the imports section."""
    source = cached.now
    key = (plan.hole, plan.extras, plan.stable)
    if len(source) / CHARS_PER_TOKEN <= plan.hole:
        return Frozen(source, [], key, None, True, False)
    import_sections = imports(plan.stable // 2)
    left = plan.stable - sum(s.tokens for s in import_sections)
    top = members_of(cached, None)
    outline, kept = file_outline(cached, top, cached.to_base(offset), left, shown_path)
    around = None
    if len(kept) < len(top):
        around = (
            (cached.to_now(kept[0].start, True), cached.to_now(kept[-1].end))
            if kept
            else (offset, offset)
        )
    sections = [Section(s.kind, s.source, s.text, stable=True) for s in import_sections + outline]
    tokens = sum(s.tokens for s in sections)
    cacheable = 0 < plan.cache_minimum <= tokens + overhead
    return Frozen(source, sections, key, around, False, cacheable)


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
    the live window, the live extras (scopes, definitions, outlines, imported names, recent
    edits) and the stable block. Each part has a ceiling: a prompt is as big as what it holds
    (a definition, an outline line, a window line is recall bought per token), never padded
    up to the budget or to ``cache_minimum``; that minimum only says whether the stable block
    can be cached (0: never)."""
    free = max(0, budget_estimated - overhead)
    hole = min(1000, free * 4 // 10)
    extras = min(2100, free * 4 // 10)
    stable = min(500, free - hole - extras)
    minimum = cache_minimum if cache_minimum <= stable + overhead else 0
    return Plan(hole, extras, stable, minimum)


def stable_tokens(sections: list[Section]) -> int:
    return sum(estimate_tokens(s.text) for s in sections if s.stable)
