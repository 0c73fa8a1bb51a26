"""The file's imports (import, include, use statements), when the prompt does not show them."""

from __future__ import annotations

from renga.context.snapshot import Cursor
from renga.context.types import Section, estimate_tokens


def imports_section(cursor: Cursor, deadline: float) -> list[Section]:
    cached = cursor.tags
    source = cached.source  # the text the tags were read from (see ``CachedTags.current``)
    pieces: list[str] = []
    used = 0
    for start, end in cached.tags.imports:
        if cursor.shows(cached.to_now(start, True), cached.to_now(end)):
            continue
        text = source[start:end].decode("utf-8", errors="replace")
        used += estimate_tokens(text)
        if used > cursor.budget:
            break
        pieces.append(text)
    if not pieces:
        return []
    return [Section(kind="imports", source=cursor.doc.shown, text="\n".join(pieces))]
