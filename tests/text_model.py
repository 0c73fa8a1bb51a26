"""A reference model of LSP text synchronisation, written for clarity rather than speed, that
tests and the fuzzer (bench/fuzz.py) compare renga's documents against.

Positions follow the LSP rules renga implements: lines end at ``\\n`` (a ``\\r`` before it is part
of the line ending); ``character`` counts code units of the negotiated encoding; a position past
the end of a line is the end of that line, a line past the last is the end of the text, and a
position inside a character (half a UTF-16 pair, the middle of a UTF-8 sequence) is the start of
that character.
"""

from __future__ import annotations

from typing import Any

UNITS = {
    "utf-8": lambda ch: len(ch.encode("utf-8")),
    "utf-16": lambda ch: 2 if ord(ch) > 0xFFFF else 1,
    "utf-32": lambda ch: 1,
}


def line_content(line: str) -> str:
    return line[:-1] if line.endswith("\r") else line


def offset_of(text: str, line: int, character: int, encoding: str) -> int:
    """The string index of an LSP position in ``text``."""
    lines = text.split("\n")
    if line >= len(lines):
        return len(text)
    start = sum(len(x) + 1 for x in lines[:line])
    units = UNITS[encoding]
    used = 0
    index = 0
    for ch in line_content(lines[line]):
        if used + units(ch) > character:
            break
        used += units(ch)
        index += 1
    return start + index


def position_of(text: str, index: int, encoding: str) -> tuple[int, int]:
    """The LSP position of string index ``index`` (which must be a character boundary)."""
    before = text[:index]
    line = before.count("\n")
    head = before[before.rfind("\n") + 1 :]
    return line, sum(UNITS[encoding](ch) for ch in head)


def apply_change(
    text: str, start: tuple[int, int] | None, end: tuple[int, int] | None, new: str, encoding: str
) -> str:
    """``text`` after one LSP content change (``start is None``: the whole text)."""
    if start is None or end is None:
        return new
    a = offset_of(text, *start, encoding)
    b = max(a, offset_of(text, *end, encoding))
    return text[:a] + new + text[b:]


def tree_shape(node: Any) -> list[tuple[Any, ...]]:
    """Every node of a tree-sitter tree with its kind and exact place (bytes and points):
    stricter than the S-expression, which leaves positions out."""
    out = []
    cursor = node.walk()
    visited = False
    while True:
        if not visited:
            n = cursor.node
            out.append((n.type, n.start_byte, n.end_byte, n.start_point, n.end_point, n.has_error))
            if cursor.goto_first_child():
                continue
        if cursor.goto_next_sibling():
            visited = False
            continue
        if not cursor.goto_parent():
            return out
        visited = True
