"""An open document: its text and a tree-sitter tree edited incrementally on every change.

The tree is never re-parsed from scratch per request: ``didChange`` edits it (``tree.edit``) and
the parser reuses every unchanged subtree. Requests read ``tree`` as it is.
"""

from __future__ import annotations

import bisect
import itertools
import time
from dataclasses import dataclass

import tree_sitter as ts

from renga.syntax.languages import Language
from renga.syntax.positions import Encoding, LineIndex

# A line longer than this marks a minified or generated file. tree-sitter spends about a second
# per megabyte of a single line, on every keystroke, so such documents keep no tree.
MAX_LINE_BYTES = 20_000


@dataclass(frozen=True)
class Edit:
    """A change in LSP terms: a range (None replaces the whole text) and its new text."""

    text: str
    start: tuple[int, int] | None = None
    end: tuple[int, int] | None = None


@dataclass
class LastEdit:
    """Where the user last edited, in bytes of the current source, and when."""

    start: int
    end: int
    at: float


class Document:
    def __init__(
        self,
        uri: str,
        text: str,
        *,
        version: int = 0,
        language_id: str = "",
        language: Language | None = None,
        encoding: Encoding = "utf-16",
        max_bytes: int | None = None,
    ) -> None:
        self.uri = uri
        self.version = version
        self.language_id = language_id
        self.language = language
        self.encoding: Encoding = encoding
        self.source = text.encode("utf-8", errors="surrogatepass")
        self.index = LineIndex(self.source)
        self.last_edit: LastEdit | None = None
        self._text: str | None = text
        self._parser = language.parser() if language else None
        # Over this size the document keeps its text but no tree: parsing a 50 MB file would
        # cost seconds and hundreds of MB for a file that gets no completions anyway.
        self.max_bytes = max_bytes
        self.long_lines = self._longest_line() > MAX_LINE_BYTES
        self.tree: ts.Tree | None = None
        if self._parser is not None and self._parseable():
            self.tree = self._parser.parse(self.source)

    def _parseable(self) -> bool:
        if self._parser is None or self.long_lines:
            return False
        return self.max_bytes is None or len(self.source) <= self.max_bytes

    def _longest_line(self, first: int = 0, last: int | None = None) -> int:
        """Bytes in the longest of lines ``first..last`` (all lines by default)."""
        starts = self.index.starts
        last = len(starts) - 1 if last is None else min(last, len(starts) - 1)
        bounds = starts[first : last + 2]
        if last + 1 >= len(starts):
            bounds.append(len(self.source) + 1)  # the last line has no newline to skip
        return max(end - 1 - start for start, end in itertools.pairwise(bounds))

    @property
    def text(self) -> str:
        # Decoded lazily: most keystrokes need only bytes and the tree.
        if self._text is None:
            self._text = self.source.decode("utf-8", errors="surrogatepass")
        return self._text

    def offset_at(self, line: int, character: int) -> int:
        return self.index.offset(self.source, line, character, self.encoding)

    def position_at(self, offset: int) -> tuple[int, int]:
        return self.index.position(self.source, offset, self.encoding)

    def apply(self, edits: list[Edit], version: int | None = None) -> None:
        """Apply LSP content changes in order, editing the tree for each and parsing once."""
        for edit in edits:
            self._apply_one(edit)
        if self.long_lines:  # only a rescan can tell that the last long line is gone
            self.long_lines = self._longest_line() > MAX_LINE_BYTES
        if version is not None:
            self.version = version
        if self._parser is not None and self._parseable():
            if self.tree is None:  # back under the limits: a first, full parse
                self.tree = self._parser.parse(self.source)
            else:
                self.tree = self._parser.parse(self.source, self.tree)
        else:
            self.tree = None

    def _apply_one(self, edit: Edit) -> None:
        new = edit.text.encode("utf-8", errors="surrogatepass")
        if edit.start is None or edit.end is None:
            start, old_end = 0, len(self.source)
        else:
            start = self.offset_at(*edit.start)
            old_end = max(start, self.offset_at(*edit.end))
        start_point = self.index.point(self.source, start)
        old_end_point = self.index.point(self.source, old_end)
        self.source = self.source[:start] + new + self.source[old_end:]
        self.index.replace(start, old_end, new)
        self._text = None
        new_end = start + len(new)
        if self.tree is not None:
            self.tree.edit(
                start_byte=start,
                old_end_byte=old_end,
                new_end_byte=new_end,
                start_point=start_point,
                old_end_point=old_end_point,
                new_end_point=self.index.point(self.source, new_end),
            )
        self.last_edit = LastEdit(start, new_end, time.monotonic())
        if not self.long_lines:
            first = bisect.bisect_right(self.index.starts, start) - 1
            last = bisect.bisect_right(self.index.starts, new_end) - 1
            self.long_lines = self._longest_line(first, last) > MAX_LINE_BYTES

    def line_text(self, line: int) -> str:
        if line < 0 or line >= self.index.line_count():
            return ""
        start = self.index.starts[line]
        return self.source[start : self.index.line_end(self.source, line)].decode(
            "utf-8", errors="replace"
        )
