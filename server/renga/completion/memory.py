"""Recent suggestions, so typing through one (or backspacing, or coming back) needs no model call.

A suggestion is remembered with the bytes just before where it started (the relevant prefix) and
the rest of that line after it. It is recalled at a cursor when the text before the cursor ends
with that prefix followed by the first characters of the suggestion, and the same rest of line
follows the cursor: the user has typed those characters, and the rest of the suggestion still
fits. Offsets are found again from the text, so edits elsewhere in the file do not lose it.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from dataclasses import dataclass, field

# How much text before a suggestion identifies where it belongs.
KEY_BYTES = 160
# How much of the rest of the line after a suggestion must still follow the cursor.
AFTER_BYTES = 80


@dataclass
class Remembered:
    item_id: str
    uri: str
    language: str
    text: str
    # Byte offset where the suggestion started, when it was made.
    anchor: int
    before: bytes
    after: bytes
    data: bytes = b""
    at: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        self.data = self.text.encode("utf-8", errors="surrogatepass")

    def fits(self, source: bytes, anchor: int, cursor: int) -> bool:
        """Whether this suggestion, started at ``anchor``, is what the user is typing at
        ``cursor``: the prefix before it is unchanged, what was typed is its beginning, and
        something of it is left to show."""
        typed = cursor - anchor
        return (
            0 <= typed < len(self.data)
            and source[anchor:cursor] == self.data[:typed]
            and source[max(0, anchor - len(self.before)) : anchor] == self.before
            and source[cursor : cursor + len(self.after)] == self.after
        )


@dataclass(frozen=True)
class Recall:
    entry: Remembered
    # Where the suggestion starts in the current text.
    anchor: int


def line_rest(source: bytes, offset: int) -> bytes:
    """The rest of the line after ``offset`` with its line break (so an empty rest is checked)."""
    end = source.find(b"\n", offset, offset + AFTER_BYTES)
    return source[offset : end + 1 if end != -1 else offset + AFTER_BYTES]


class Memory:
    """A small least-recently-used store of suggestions, per document."""

    def __init__(self, size: int = 64) -> None:
        self.size = size
        self._entries: OrderedDict[str, Remembered] = OrderedDict()

    def __len__(self) -> int:
        return len(self._entries)

    def get(self, item_id: str) -> Remembered | None:
        return self._entries.get(item_id)

    def remember(
        self,
        item_id: str,
        uri: str,
        language: str,
        source: bytes,
        anchor: int,
        text: str,
    ) -> Remembered:
        entry = Remembered(
            item_id=item_id,
            uri=uri,
            language=language,
            text=text,
            anchor=anchor,
            before=source[max(0, anchor - KEY_BYTES) : anchor],
            after=line_rest(source, anchor),
        )
        self._entries[item_id] = entry
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def recall(self, uri: str, source: bytes, cursor: int) -> Recall | None:
        """The most recent suggestion the user is typing through at ``cursor``."""
        for entry in reversed(self._entries.values()):
            if entry.uri != uri:
                continue
            anchor = self._anchor(entry, source, cursor)
            if anchor is not None:
                self._entries.move_to_end(entry.item_id)
                return Recall(entry, anchor)
        return None

    @staticmethod
    def _anchor(entry: Remembered, source: bytes, cursor: int) -> int | None:
        # Where it was, shifted by nothing: the common case (typing, backspacing at the cursor).
        if entry.fits(source, entry.anchor, cursor):
            return entry.anchor
        # Edits above moved it: find how much of it precedes the cursor.
        data = entry.data
        last = source[cursor - 1 : cursor]
        for typed in range(min(len(data) - 1, cursor), -1, -1):
            if typed and data[typed - 1 : typed] != last:
                continue
            anchor = cursor - typed
            if anchor != entry.anchor and entry.fits(source, anchor, cursor):
                return anchor
        return None

    def forget(self, uri: str) -> None:
        for key in [k for k, e in self._entries.items() if e.uri == uri]:
            del self._entries[key]
