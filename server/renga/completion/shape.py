"""How much a completion may hold at a cursor, read from the syntax tree and the tags.

Mid-line (code after the cursor on its line) the completion finishes the line. On an empty line,
at an empty block body or right after a definition's header, it may be a block, but never more
than the enclosing block: a line indented less than the block's body ends it. Scopes come from the
``@body`` captures of each language's ``tags.scm``; no language is named here.
"""

from __future__ import annotations

from dataclasses import dataclass

from renga.syntax.document import Document
from renga.syntax.tags import extract


@dataclass(frozen=True)
class Shape:
    # A block may be offered (else: the rest of the current line only).
    multiline: bool
    # Lines of the completion (after its first) indented by fewer columns than this are outside
    # the enclosing block.
    min_indent: int = 0
    # The cursor sits right after a definition's header or at its empty body.
    at_block_start: bool = False


def _indent_width(line: bytes) -> int:
    return len(line) - len(line.lstrip(b" \t"))


def _line_bounds(source: bytes, offset: int) -> tuple[int, int]:
    start = source.rfind(b"\n", 0, offset) + 1
    end = source.find(b"\n", offset)
    return start, len(source) if end == -1 else end


def shape_at(doc: Document, offset: int) -> Shape:
    source = doc.source
    start, end = _line_bounds(source, offset)
    before, after = source[start:offset], source[offset:end]
    if after.strip():
        return Shape(multiline=False)
    header = _header_before(doc, offset)
    if header is not None:
        # Right after a header (its line, or an empty body below it): the block belongs to it.
        indent = len(before) if not before.strip() else 0
        return Shape(multiline=True, min_indent=max(header + 1, indent), at_block_start=True)
    if before.strip():
        # At the end of a line of code that opens no block: finish it.
        return Shape(multiline=False)
    return Shape(multiline=True, min_indent=len(before))


def _header_before(doc: Document, offset: int) -> int | None:
    """The indentation of the definition whose header the cursor follows (nothing but space, and
    the body's own opening delimiter, between them), or None."""
    if doc.language is None or doc.tree is None:
        return None
    source = doc.source
    # The header may end lines above the cursor (an empty body): look from the last code before it.
    lo = max(0, len(source[:offset].rstrip()) - 1)
    tags = extract(doc.language, doc.tree, source, (lo, min(len(source), offset + 1)))
    for d in reversed(tags.definitions):
        if d.body is None or d.header_end > offset:
            continue
        between = source[d.header_end : offset].strip()
        opener = source[d.body[0] : d.body[0] + 1] if d.body[0] >= d.header_end else b""
        if between and between != opener.strip():
            continue
        rest = source[offset : d.body[1]].strip()
        if rest and not (opener.strip() and len(rest) == 1):
            # Code follows the cursor inside the body: a blank line in a block, not an empty one.
            return None
        line_start = source.rfind(b"\n", 0, d.start) + 1
        line_end = source.find(b"\n", line_start)
        return _indent_width(source[line_start : line_end if line_end != -1 else len(source)])
    return None
