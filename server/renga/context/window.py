"""The live window around the cursor: prefix and suffix cut on line and syntax boundaries.

A cut lands at the start of a line, never inside a token that spans lines (a multi-line string
or comment), and prefers a paragraph boundary (a line after a blank one) near the limit, so the
model sees whole statements at both edges. Tokens are read from the tree's leaves, never from a
language's node types.
"""

from __future__ import annotations

import tree_sitter as ts

from renga.context.types import CursorContext
from renga.syntax.document import MAX_LINE_BYTES

CHARS_PER_TOKEN = 3.5
# How many lines past the limit a cut may move to land on a paragraph boundary.
LOOKAHEAD_LINES = 6


def _inside_token(tree: ts.Tree | None, pos: int) -> tuple[int, int] | None:
    """The byte range of a leaf that strictly contains ``pos``, if any."""
    if tree is None:
        return None
    node = tree.root_node.descendant_for_byte_range(pos, pos)
    if node is None or node.child_count:
        return None
    if node.start_byte < pos < node.end_byte:
        return node.start_byte, node.end_byte
    return None


def _blank(source: bytes, line_start: int) -> bool:
    end = source.find(b"\n", line_start)
    return not source[line_start : end if end != -1 else len(source)].strip()


def cut_start(source: bytes, tree: ts.Tree | None, limit: int, cursor: int) -> int:
    """Where a prefix that may not begin before ``limit`` begins: a line start in
    ``limit..cursor``, outside any token, after a blank line when one is near."""
    if limit <= 0:
        return 0
    # A minified line longer than the budget is cut inside, at a character: never sent whole.
    earliest = char_start(source, limit) if _minified(source, cursor) else 0
    pos = source.find(b"\n", limit - 1, cursor)
    pos = pos + 1 if pos != -1 else max(_line_start(source, cursor), earliest)
    for _ in range(4):
        token = _inside_token(tree, pos)
        if token is None:
            break
        nl = source.find(b"\n", token[1], cursor)
        pos = nl + 1 if nl != -1 else max(_line_start(source, cursor), earliest)
    first = pos
    candidate = pos
    for _ in range(LOOKAHEAD_LINES):
        if candidate >= cursor:
            break
        if (
            candidate > 0
            and _blank(source, _line_start(source, candidate - 1))
            and _inside_token(tree, candidate) is None
        ):
            return candidate
        nl = source.find(b"\n", candidate, cursor)
        if nl == -1:
            break
        candidate = nl + 1
    return first


def cut_end(source: bytes, tree: ts.Tree | None, limit: int, cursor: int) -> int:
    """Where a suffix that may not reach past ``limit`` ends: just after a line end in
    ``cursor..limit``, outside any token, before a blank line when one is near."""
    if limit >= len(source):
        return len(source)
    minified = _minified(source, cursor)
    latest = max(cursor, char_start(source, limit, back=True)) if minified else len(source)
    nl = source.rfind(b"\n", cursor, limit)
    if nl == -1:
        # Not even the cursor's line fits: end at the cursor's line end anyway (never mid-line),
        # unless the line is minified and longer than any written by hand.
        nl = source.find(b"\n", cursor)
        return min(len(source) if nl == -1 else nl + 1, latest)
    pos = nl + 1
    for _ in range(4):
        token = _inside_token(tree, pos)
        if token is None:
            break
        pos = _line_start(source, token[0])
        if pos <= cursor:
            nl = source.find(b"\n", cursor)
            return min(len(source) if nl == -1 else nl + 1, latest)
    candidate = pos
    for _ in range(LOOKAHEAD_LINES):
        if candidate <= cursor or candidate >= len(source):
            break
        if _blank(source, candidate) and _inside_token(tree, candidate) is None:
            return candidate
        candidate = _line_start(source, candidate - 1)
    return pos


def _line_start(source: bytes, pos: int) -> int:
    return source.rfind(b"\n", 0, pos) + 1


def _minified(source: bytes, pos: int) -> bool:
    """The line at ``pos`` is longer than any written by hand (minified or generated code)."""
    end = source.find(b"\n", pos)
    return (len(source) if end == -1 else end) - _line_start(source, pos) > MAX_LINE_BYTES


def char_start(source: bytes, pos: int, *, back: bool = False) -> int:
    """``pos`` moved off UTF-8 continuation bytes (forward, or ``back``) to a character start."""
    step = -1 if back else 1
    while 0 < pos < len(source) and (source[pos] & 0xC0) == 0x80:
        pos += step
    return pos


def window(
    source: bytes, tree: ts.Tree | None, offset: int, before_tokens: int, after_tokens: int
) -> tuple[int, int]:
    """The byte range of a window around ``offset``: about ``before_tokens`` before the cursor
    and ``after_tokens`` after it, both edges on line and syntax boundaries."""
    start = cut_start(source, tree, max(0, offset - int(before_tokens * CHARS_PER_TOKEN)), offset)
    end = cut_end(source, tree, offset + int(after_tokens * CHARS_PER_TOKEN), offset)
    return start, max(end, offset)


def cursor_context(
    path: str, language: str, source: bytes, offset: int, start: int, end: int
) -> CursorContext:
    """A context holding only the live window ``start:end`` around ``offset``."""
    prefix = source[start:offset].decode("utf-8", errors="replace")
    suffix = source[offset:end].decode("utf-8", errors="replace")
    line_prefix = prefix.rsplit("\n", 1)[-1]
    indent = line_prefix[: len(line_prefix) - len(line_prefix.lstrip(" \t"))]
    line_suffix = suffix.split("\n", 1)[0]
    return CursorContext(
        path=path,
        language=language,
        prefix=prefix,
        suffix=suffix,
        indent=indent,
        # Mid-line (code after the cursor on its line), finish the line only.
        multiline=not line_suffix.strip(),
    )
