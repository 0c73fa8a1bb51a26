"""How much a completion may hold at a cursor, read from the syntax tree and the tags.

Mid-line (code after the cursor on its line) the completion finishes the line. At the end of a
line, on an empty line, at an empty block body (one holding only its docstring counts) or right
after a definition's header, it may be a block, but never more than the enclosing block: a line
indented less than the block's body (or, after a header, not deeper than the header) ends it.
Scopes come from the ``@body`` (and ``@doc``) captures of each language's ``tags.scm``; no
language is named here.
"""

from __future__ import annotations

from dataclasses import dataclass

import tree_sitter as ts

from renga.syntax.document import Document
from renga.syntax.languages import Language
from renga.syntax.tags import DEFINITION
from renga.syntax.tags import header_end as definition_header_end


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
        # At the end of a line of code: finish it, and the lines after it in the same block
        # (what the user types after the line break, served from memory as they type it).
        return Shape(multiline=True, min_indent=_indent_width(before))
    return Shape(multiline=True, min_indent=len(before))


def region(tree: ts.Tree, offset: int, size: int) -> tuple[int, int]:
    """The byte range of the top-level nodes around ``offset``: the one holding it, or the ones
    before and after it. Everything a completion at ``offset`` may touch lies within, so syntax
    questions are answered on it rather than on a file that may have 50,000 lines."""
    root = tree.root_node
    if root.child_count == 0:
        return 0, size
    node = _top_after(root, offset)
    if node is not None and node.start_byte <= offset:
        return node.start_byte, node.end_byte
    before = node.prev_sibling if node is not None else root.child(root.child_count - 1)
    start = before.start_byte if before is not None and before.start_byte <= offset else 0
    return start, node.start_byte if node is not None else size


def _top_after(root: ts.Node, offset: int) -> ts.Node | None:
    """The first top-level node that ends after ``offset``, or None."""
    if root.child_count == 0:
        return None
    last = root.child(root.child_count - 1)
    if last is None or offset >= last.end_byte:
        # (first_child_for_byte crashes the binding when no child ends after the offset.)
        return None
    return root.first_child_for_byte(max(offset, 0))


def _scopes(language: Language, tree: ts.Tree, lo: int, hi: int) -> list[tuple[int, int, int, int]]:
    """(start, header end, body start, body end) of the definitions with a body in [lo, hi),
    from the ``@definition.*`` and ``@body`` captures of the language's tags query."""
    query = language.query("tags")
    if query is None:
        return []
    found = []
    node = _top_after(tree.root_node, lo)
    while node is not None and node.start_byte < hi:
        for _, captures in ts.QueryCursor(query).matches(node):
            bodies = captures.get("body")
            heads = [n for k, ns in captures.items() if k.startswith(DEFINITION) for n in ns]
            if bodies and heads:
                head, body = heads[0], bodies[0]
                end = definition_header_end(head, body)
                # A body that holds only its docstring is still empty: the docstring belongs to
                # the header, and the code block is what is expected after it.
                for doc in captures.get("doc", [])[:1]:
                    statement = doc.parent if doc.parent is not None else doc
                    if statement.start_byte >= body.start_byte:
                        end = max(end, statement.end_byte)
                found.append((head.start_byte, end, body.start_byte, body.end_byte))
        node = node.next_sibling
    found.sort()
    return found


def _header_before(doc: Document, offset: int) -> int | None:
    """The indentation of the definition whose header the cursor follows (nothing but space, and
    the body's own opening delimiter, between them), or None."""
    if doc.language is None or doc.tree is None:
        return None
    source = doc.source
    # The header may end lines above the cursor (an empty body): look from the last code before it.
    lo = max(0, len(source[:offset].rstrip()) - 1)
    start, end = region(doc.tree, lo, len(source))
    for d_start, header_end, body_start, body_end in reversed(
        _scopes(doc.language, doc.tree, start, max(end, offset + 1))
    ):
        if header_end > offset or d_start > offset:
            continue
        between = source[header_end:offset].strip()
        opener = source[body_start : body_start + 1] if body_start >= header_end else b""
        if between and between != opener.strip():
            continue
        rest = source[offset:body_end].strip()
        if rest and not (opener.strip() and len(rest) == 1):
            # Code follows the cursor inside the body: a blank line in a block, not an empty one.
            return None
        line_start = source.rfind(b"\n", 0, d_start) + 1
        line_end = source.find(b"\n", line_start)
        return _indent_width(source[line_start : line_end if line_end != -1 else len(source)])
    return None
