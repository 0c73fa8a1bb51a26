"""The live window around the cursor: prefix and suffix cut on line boundaries under a budget."""

from __future__ import annotations

from renga.context.types import CursorContext
from renga.syntax.document import Document


def window(doc: Document, offset: int, budget_tokens: int) -> tuple[str, str]:
    """Text before and after ``offset``, three quarters of the budget before the cursor, cut at
    whole lines so the model never sees half a token at the edges."""
    chars = budget_tokens * 7 // 2
    before_chars, after_chars = chars * 3 // 4, chars // 4
    source = doc.source
    start = max(0, offset - before_chars)
    if start > 0:
        nl = source.find(b"\n", start, offset)
        start = nl + 1 if nl != -1 else offset - (offset - start)
    end = min(len(source), offset + after_chars)
    if end < len(source):
        nl = source.rfind(b"\n", offset, end)
        end = nl + 1 if nl != -1 else end
    prefix = source[start:offset].decode("utf-8", errors="replace")
    suffix = source[offset:end].decode("utf-8", errors="replace")
    return prefix, suffix


def cursor_context(doc: Document, offset: int, path: str, budget_tokens: int) -> CursorContext:
    prefix, suffix = window(doc, offset, budget_tokens)
    line_prefix = prefix.rsplit("\n", 1)[-1]
    indent = line_prefix[: len(line_prefix) - len(line_prefix.lstrip(" \t"))]
    line_suffix = suffix.split("\n", 1)[0]
    language = doc.language.name if doc.language else (doc.language_id or "text")
    return CursorContext(
        path=path,
        language=language,
        prefix=prefix,
        suffix=suffix,
        indent=indent,
        # Mid-line (code after the cursor on its line), finish the line only.
        multiline=not line_suffix.strip(),
    )
