"""Recent suggestions, so typing through one (or backspacing, or coming back) needs no model call.

A suggestion is remembered with the bytes just before where it started (the relevant prefix) and
the rest of that line after it. It is recalled at a cursor when the text before the cursor ends
with that prefix followed by the first characters of the suggestion, and the same rest of line
follows the cursor: the user has typed those characters, and the rest of the suggestion still
fits. Offsets are found again from the text, so edits elsewhere in the file do not lose it.

Only finished answers are remembered (a stream that failed or was cut is never shown as a whole),
each with the model that made it, and for a limited time: the file around it moves on. When the
typing contradicts the suggestion being typed through, the whole of it is dropped at once.
"""

from __future__ import annotations

import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

# How much text before a suggestion identifies where it belongs.
KEY_BYTES = 160
# How much of the rest of the line after a suggestion must still follow the cursor.
AFTER_BYTES = 80
# How long a suggestion is remembered: after that the code around it (and what the model would
# say) has moved on.
TTL_S = 300.0


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
    # When it was made (the memory's clock), and the model that made it.
    at: float = 0.0
    model: str = ""
    # How far (bytes from where it starts) the user has been shown it, and where it started
    # then: typing through to there is accepting it.
    shown_to: int = 0
    shown_anchor: int = -1
    # It ends where the code after it takes over: typed to its end, nothing is left to ask.
    meets_code: bool = False

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
    # The user has typed all of it, and the code after it takes over: nothing to show or ask.
    ended: bool = False


def line_rest(source: bytes, offset: int) -> bytes:
    """The rest of the line after ``offset`` with its line break (so an empty rest is checked)."""
    end = source.find(b"\n", offset, offset + AFTER_BYTES)
    return source[offset : end + 1 if end != -1 else offset + AFTER_BYTES]


class Memory:
    """A small least-recently-used store of suggestions, per document."""

    def __init__(
        self,
        size: int = 64,
        ttl_s: float = TTL_S,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self.size = size
        self.ttl_s = ttl_s
        self.clock = clock
        self._entries: OrderedDict[str, Remembered] = OrderedDict()
        # Per document, the suggestion the user was last shown or typing through.
        self._active: dict[str, str] = {}

    def __len__(self) -> int:
        self._expire()
        return len(self._entries)

    def _expire(self) -> None:
        now = self.clock()
        for key in [k for k, e in self._entries.items() if now - e.at > self.ttl_s]:
            del self._entries[key]

    def get(self, item_id: str) -> Remembered | None:
        self._expire()
        return self._entries.get(item_id)

    def remember(
        self,
        item_id: str,
        uri: str,
        language: str,
        source: bytes,
        anchor: int,
        text: str,
        *,
        model: str = "",
        finished: bool = True,
        meets_code: bool = False,
    ) -> Remembered | None:
        """Keep a suggestion; an answer whose stream did not finish is never kept."""
        if not finished or not text:
            return None
        entry = Remembered(
            item_id=item_id,
            uri=uri,
            language=language,
            text=text,
            anchor=anchor,
            before=source[max(0, anchor - KEY_BYTES) : anchor],
            after=line_rest(source, anchor),
            at=self.clock(),
            model=model,
            meets_code=meets_code,
        )
        self._entries[item_id] = entry
        self._active[uri] = item_id
        while len(self._entries) > self.size:
            self._entries.popitem(last=False)
        return entry

    def recall(self, uri: str, source: bytes, cursor: int) -> Recall | None:
        """The most recent suggestion the user is typing through at ``cursor``. The one they
        were typing through, if the typing now contradicts it, is forgotten at once."""
        self._expire()
        for entry in reversed(self._entries.values()):
            if entry.uri != uri:
                continue
            anchor = self._anchor(entry, source, cursor)
            if anchor is not None:
                self._entries.move_to_end(entry.item_id)
                self._active[uri] = entry.item_id
                return Recall(entry, anchor)
        active = self._entries.get(self._active.get(uri, ""))
        if active is not None and self._at_end(active, source, cursor):
            return Recall(active, cursor - len(active.data), ended=True)
        self.drop_active(uri)
        return None

    def check_active(self, uri: str, source: bytes, cursor: int) -> None:
        """After an edit: forget the suggestion being typed through in ``uri`` if the edit
        contradicts it (or leaves nothing of it to show)."""
        entry = self._entries.get(self._active.get(uri, ""))
        if entry is None or self._at_end(entry, source, cursor):
            return
        if self._anchor(entry, source, cursor) is None:
            self.drop_active(uri)

    def drop_active(self, uri: str) -> None:
        """Forget the suggestion last shown in ``uri`` (the typing went another way)."""
        item_id = self._active.pop(uri, None)
        if item_id is not None:
            self._entries.pop(item_id, None)

    def mark_shown(self, entry: Remembered, anchor: int, upto: int) -> None:
        """The user is being shown ``entry`` (started at ``anchor``) up to byte ``upto`` of it."""
        if anchor != entry.shown_anchor:
            entry.shown_anchor, entry.shown_to = anchor, 0
        entry.shown_to = max(entry.shown_to, upto)
        self._active[entry.uri] = entry.item_id

    def typed_through(self, uri: str, source: bytes, cursor: int) -> Remembered | None:
        """The suggestion shown in ``uri`` if the text now holds all of it that was shown, the
        cursor at or past its end: the user typed it through (or accepted it)."""
        entry = self._entries.get(self._active.get(uri, ""))
        if entry is None or entry.shown_to <= 0 or entry.shown_anchor < 0:
            return None
        a, n = entry.shown_anchor, entry.shown_to
        if cursor >= a + n and source[a : a + n] == entry.data[:n]:
            return entry
        return None

    @staticmethod
    def _at_end(entry: Remembered, source: bytes, cursor: int) -> bool:
        """Typed to its very end, where the code after it takes over."""
        anchor = cursor - len(entry.data)
        return (
            entry.meets_code
            and anchor >= 0
            and source[anchor:cursor] == entry.data
            and source[max(0, anchor - len(entry.before)) : anchor] == entry.before
            and source[cursor : cursor + len(entry.after)] == entry.after
        )

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
        self._active.pop(uri, None)
