"""The headers of every scope enclosing the cursor (class, function, impl, namespace...), so the
model knows where it is even when those headers lie far above the live window."""

from __future__ import annotations

from renga.context.snapshot import Cursor
from renga.context.types import Section
from renga.syntax.tags import header

MAX_HEADER_CHARS = 600


def indentation(source: bytes, offset: int) -> str:
    line_start = source.rfind(b"\n", 0, offset) + 1
    lead = source[line_start:offset]
    return lead[: len(lead) - len(lead.lstrip(b" \t"))].decode("utf-8", errors="replace")


def scope_section(cursor: Cursor, deadline: float) -> list[Section]:
    """One section with the headers of the enclosing scopes outermost first, each at its own
    indentation; none when every header is already inside the live window."""
    source = cursor.doc.source
    scopes = cursor.tags.tags.enclosing(cursor.offset)
    if not scopes or all(cursor.window[0] <= d.start for d in scopes):
        return []
    lines = []
    for d in scopes:
        text = header(source, d)
        if len(text) > MAX_HEADER_CHARS:
            text = text[:MAX_HEADER_CHARS].rsplit("\n", 1)[0]
        lines.append(indentation(source, d.start) + text)
    return [Section(kind="scope", source=cursor.doc.shown, text="\n".join(lines))]
