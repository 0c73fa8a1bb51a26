"""The file's imports (import, include, use statements), when the prompt does not show them."""

from __future__ import annotations

from renga.context.snapshot import Cursor
from renga.context.types import Section, estimate_tokens


def imports_section(cursor: Cursor, deadline: float) -> list[Section]:
    source = cursor.doc.source
    pieces: list[str] = []
    used = 0
    for start, end in cursor.tags.tags.imports:
        if cursor.shows(start, end):
            continue
        text = source[start:end].decode("utf-8", errors="replace")
        used += estimate_tokens(text)
        if used > cursor.budget:
            break
        pieces.append(text)
    if not pieces:
        return []
    return [Section(kind="imports", source=cursor.doc.shown, text="\n".join(pieces))]
