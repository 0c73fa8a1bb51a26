"""The headers of every scope enclosing the cursor (class, function, impl, namespace...), so the
model knows where it is even when those headers lie far above the live window."""

from __future__ import annotations

from renga.context.snapshot import Cursor
from renga.context.types import Section
from renga.syntax.tags import Definition, header

MAX_HEADER_CHARS = 600
# How much white space may lie between a body's end and a cursor still counted inside it.
TRAILING_SPACE = 256


def indentation(source: bytes, offset: int) -> str:
    line_start = source.rfind(b"\n", 0, offset) + 1
    lead = source[line_start:offset]
    return lead[: len(lead) - len(lead.lstrip(b" \t"))].decode("utf-8", errors="replace")


def _column(source: bytes, offset: int) -> int:
    return offset - (source.rfind(b"\n", 0, offset) + 1)


def enclosing_at(source: bytes, definitions: list[Definition], offset: int) -> list[Definition]:
    """The scopes enclosing ``offset``, outermost first. A cursor on a fresh line just past a
    body's end (only white space since), indented deeper than the scope's header, is still
    inside it: that is where one types the next statement of an indentation-delimited block."""
    scopes = []
    for d in definitions:
        if d.body is None or d.start > offset:
            continue
        if d.body[0] <= offset <= d.body[1] or (
            d.body[1] < offset
            and offset - d.body[1] <= TRAILING_SPACE
            and not source[d.body[1] : offset].strip()
            and _column(source, offset) > _column(source, d.start)
            and b"\n" in source[d.body[1] : offset]
        ):
            scopes.append(d)
    scopes.sort(key=lambda d: (d.start, -d.end))
    return scopes


def scope_section(cursor: Cursor, deadline: float) -> list[Section]:
    """One section with the headers of the enclosing scopes outermost first, each at its own
    indentation; none when every header is already inside the live window."""
    cached = cursor.tags
    # Tags (and the text they were read from) may lag the buffer inside tokens: map offsets.
    source = cached.source
    offset = cached.to_base(cursor.offset)
    scopes = enclosing_at(source, cached.chain(offset), offset)
    if not scopes or all(cursor.window[0] <= cached.to_now(d.start, True) for d in scopes):
        return []
    lines = []
    for d in scopes:
        text = header(source, d)
        if len(text) > MAX_HEADER_CHARS:
            text = text[:MAX_HEADER_CHARS].rsplit("\n", 1)[0]
        lines.append(indentation(source, d.start) + text)
    return [Section(kind="scope", source=cursor.doc.shown, text="\n".join(lines))]
