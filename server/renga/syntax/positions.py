"""The one conversion point between LSP positions and byte offsets.

LSP counts a position's ``character`` in code units of the negotiated encoding (UTF-16 unless the
client offers otherwise); tree-sitter counts bytes of the UTF-8 source. Every conversion in renga
goes through :class:`LineIndex`, so the rules (clamping past the end of a line or file, CRLF, astral
characters that take two UTF-16 units) live in one place.
"""

from __future__ import annotations

import bisect
from typing import Literal

Encoding = Literal["utf-8", "utf-16", "utf-32"]


def line_starts(source: bytes) -> list[int]:
    """Byte offset of the start of every line. Lines end at ``\\n``; a ``\\r`` before it belongs
    to the line's end, which is what LSP clients expect for CRLF files."""
    starts = [0]
    find = source.find
    i = find(b"\n")
    while i != -1:
        starts.append(i + 1)
        i = find(b"\n", i + 1)
    return starts


def _units(text: str, encoding: Encoding) -> int:
    if encoding == "utf-8":
        return len(text.encode("utf-8"))
    if encoding == "utf-16":
        return len(text.encode("utf-16-le")) // 2
    return len(text)


class LineIndex:
    """Line starts of a UTF-8 source, kept up to date across edits without rescanning it all."""

    __slots__ = ("starts",)

    def __init__(self, source: bytes) -> None:
        self.starts = line_starts(source)

    def line_count(self) -> int:
        return len(self.starts)

    def line_end(self, source: bytes, line: int) -> int:
        """Byte offset of the end of ``line``'s content, before ``\\r\\n`` or ``\\n``."""
        if line + 1 < len(self.starts):
            end = self.starts[line + 1] - 1
            if end > self.starts[line] and source[end - 1 : end] == b"\r":
                end -= 1
            return end
        return len(source)

    def offset(self, source: bytes, line: int, character: int, encoding: Encoding) -> int:
        """Byte offset of an LSP position. Positions past the end of a line clamp to the line's
        end, and past the last line to the end of the source, as the LSP spec asks."""
        if line < 0:
            return 0
        if line >= len(self.starts):
            return len(source)
        start = self.starts[line]
        end = self.line_end(source, line)
        if character <= 0:
            return start
        raw = source[start:end]
        if encoding == "utf-8":
            offset = start + min(character, len(raw))
            # Never land inside a multi-byte character: back up to its first byte.
            while offset > start and offset < end and (source[offset] & 0xC0) == 0x80:
                offset -= 1
            return offset
        text = raw.decode("utf-8", errors="replace")
        if len(text) == len(raw):  # ASCII line: every unit is one byte
            return start + min(character, len(raw))
        if encoding == "utf-32":
            return start + len(text[:character].encode("utf-8"))
        units = text.encode("utf-16-le")
        cut = units[: 2 * character]
        # A cut through a surrogate pair keeps the whole character out, not half of it.
        if len(cut) >= 2 and 0xD8 <= cut[-1] <= 0xDB:
            cut = cut[:-2]
        return start + len(cut.decode("utf-16-le", errors="ignore").encode("utf-8"))

    def position(self, source: bytes, offset: int, encoding: Encoding) -> tuple[int, int]:
        """The LSP (line, character) of a byte offset."""
        offset = max(0, min(offset, len(source)))
        line = bisect.bisect_right(self.starts, offset) - 1
        start = self.starts[line]
        if encoding == "utf-8":
            return line, offset - start
        prefix = source[start:offset].decode("utf-8", errors="replace")
        return line, _units(prefix, encoding)

    def point(self, source: bytes, offset: int) -> tuple[int, int]:
        """The tree-sitter point (row, byte column) of a byte offset."""
        line = bisect.bisect_right(self.starts, offset) - 1
        return line, offset - self.starts[line]

    def replace(self, start: int, old_end: int, new_text: bytes) -> None:
        """Update the index for ``source[start:old_end] = new_text`` (offsets in the old source)."""
        first = bisect.bisect_right(self.starts, start)  # lines starting after ``start``
        last = bisect.bisect_right(self.starts, old_end)  # lines starting at or before old_end
        delta = len(new_text) - (old_end - start)
        inserted = []
        i = new_text.find(b"\n")
        while i != -1:
            inserted.append(start + i + 1)
            i = new_text.find(b"\n", i + 1)
        tail = self.starts[last:]
        if delta:
            tail = [s + delta for s in tail]
        self.starts[first:] = inserted + tail
