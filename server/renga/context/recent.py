"""Recently edited regions of the other open documents: what the user is working on now."""

from __future__ import annotations

import time

from renga.context.snapshot import Cursor
from renga.context.types import Section, estimate_tokens

MAX_AGE_SECONDS = 600.0
MAX_DOCUMENTS = 3
LINES_AROUND = 3


def _lines_around(source: bytes, start: int, end: int, n: int) -> tuple[int, int]:
    lo = start
    for _ in range(n + 1):
        lo = source.rfind(b"\n", 0, max(0, lo - 1)) + 1 if lo > 0 else 0
    hi = end
    for _ in range(n + 1):
        nl = source.find(b"\n", hi)
        if nl == -1:
            hi = len(source)
            break
        hi = nl + 1
    return lo, hi


def recent_sections(cursor: Cursor, deadline: float) -> list[Section]:
    now = time.monotonic()
    edited = [
        d
        for d in cursor.others
        if d.last_edit is not None
        and now - d.last_edit[2] <= MAX_AGE_SECONDS
        and not cursor.excluded(d.path)
    ]
    edited.sort(key=lambda d: d.last_edit[2] if d.last_edit else 0.0, reverse=True)
    sections = []
    left = cursor.budget
    for d in edited[:MAX_DOCUMENTS]:
        assert d.last_edit is not None
        start, end = (min(x, len(d.source)) for x in d.last_edit[:2])
        lo, hi = _lines_around(d.source, start, end, LINES_AROUND)
        text = d.source[lo:hi].decode("utf-8", errors="replace").rstrip("\n")
        if not text.strip():
            continue
        line = d.source.count(b"\n", 0, lo) + 1
        cost = estimate_tokens(text)
        if cost > left:
            break
        left -= cost
        sections.append(Section(kind="recent_edit", source=f"{d.shown}:{line}", text=text))
    return sections
