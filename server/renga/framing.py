"""The base protocol's framing (``Content-Length`` headers, then a JSON body), read so that one
wrong frame costs that frame only.

pygls's reader expects ``Content-Length`` at the start of a line. After a body whose declared
length is too short, the rest of that body runs into the next header on the same line: no header
is ever recognised again, and the server stays alive but deaf. A length that is too long swallows
the following messages as its body.

Two facts make resynchronising safe. A JSON text cannot hold a raw line break inside a string,
and outside strings it holds no bare words but ``true``, ``false`` and ``null``: so the bytes
``Content-Length: 12`` followed by a line break never occur inside a valid body, and where they
occur they are the next header. And a body that is not JSON when read at its declared length
may be a message whose length was too short: it is tried once more together with the bytes up to
the next header. A length too long with nothing after it (the sender waits for its answer) is
found by the reader when no byte comes for a moment: a body that is whole JSON by then is taken.
"""

from __future__ import annotations

import json
import logging
import re

log = logging.getLogger(__name__)

MARK = b"Content-Length:"
_HEADER = re.compile(rb"Content-Length:[ \t]*(\d{1,12})[ \t]*\r?\n")
# What may still become a header once more bytes arrive.
_PARTIAL = re.compile(rb"Content-Length:[ \t]*\d{0,12}[ \t]*\r?")
# Other header fields (Content-Type): read and ignored, as the specification allows.
_FIELD = re.compile(rb"[A-Za-z][A-Za-z0-9-]*:[^\r\n]*\r?\n")
# A body declared longer than this is a framing error, not a reason to buffer a gigabyte.
MAX_BODY = 1 << 30
# Bytes without a line break kept while looking for a header (the tail may be its beginning).
MAX_LINE = 1 << 16
WAIT = -1


class Framer:
    """Bytes in (:meth:`feed`), message bodies out (:meth:`next`). A body that turns out not to
    be JSON is handed back with :meth:`rejected`."""

    def __init__(self, max_body: int = MAX_BODY) -> None:
        self.max_body = max_body
        self.errors = 0  # framing errors met (each logged once, as a warning)
        self._buf = bytearray()
        self._declared: int | None = None  # Content-Length read; its header block goes on
        self._length: int | None = None  # headers over: the body's declared length
        self._scanned = 0  # how far the body has been searched for a header
        self._stray = bytearray()  # bytes between frames: after a framing error
        self._pending = b""  # a body that was not JSON at its declared length
        self._second_try = False  # the body last returned was already a second try
        self._stall_checked = 0  # the body's length when :meth:`stalled` last tried it

    def feed(self, data: bytes) -> None:
        self._buf += data

    def next(self) -> bytes | None:
        """The next body, or None until more bytes arrive."""
        while True:
            if self._length is not None:
                body = self._body()
                if body is None or body.strip():
                    return body
                continue
            end = self._buf.find(b"\n")
            if end == -1:
                if len(self._buf) > MAX_LINE:  # keep the tail: it may be a header's beginning
                    self._add_stray(self._buf[:-64])
                    del self._buf[:-64]
                return None
            line = bytes(self._buf[: end + 1])
            del self._buf[: end + 1]
            candidate = self._header_line(line)
            if candidate is not None:
                return candidate

    @property
    def waiting(self) -> bool:
        """Whether a body has begun and is not whole yet."""
        return self._length is not None

    def stalled(self) -> bytes | None:
        """No byte came for a while in the middle of a body. If what came is a whole JSON
        message, its Content-Length was too long (and nothing follows it to resynchronise on):
        returned for a second try. Safe for a slow client: a proper prefix of a JSON message is
        never JSON itself."""
        if self._length is None or len(self._buf) == self._stall_checked:
            return None
        self._stall_checked = len(self._buf)
        body = bytes(self._buf)
        try:
            json.loads(body)
        except ValueError:
            return None
        self._error(
            f"a body declared {self._length} bytes long was whole after {len(body)} bytes and "
            "nothing more came: read up to there"
        )
        self._buf.clear()
        self._length = None
        self._second_try = True
        return body

    def rejected(self, body: bytes) -> None:
        """``body`` (the last one :meth:`next` returned) is not JSON. It may be the beginning of
        a message whose Content-Length was too short: kept, to be tried with what follows."""
        self.errors += 1
        if self._second_try:
            log.warning("framing error: %d bytes that are not a JSON message dropped", len(body))
            return
        self._pending = body

    # -- reading -----------------------------------------------------------------------

    def _header_line(self, line: bytes) -> bytes | None:
        """Take one line between bodies; a second-try body to decode, or None."""
        match = _HEADER.search(line)
        if match is not None and match.end() == len(line):
            self._add_stray(line[: match.start()])
            length = int(match.group(1))
            candidate = self._resolve()
            if length > self.max_body:
                self._error(f"a Content-Length of {length} bytes, over the limit: ignored")
                self._declared = None
            else:
                self._declared = length
            return candidate
        if not line.strip():
            if self._declared is None:
                self._add_stray(line)
                return None
            if self._stray.strip():
                self._error(f"{len(self._stray)} bytes inside a header block skipped")
            self._stray.clear()
            self._length, self._declared, self._scanned = self._declared, None, 0
            self._stall_checked = 0
            return None
        if not _FIELD.fullmatch(line) or self._stray:
            self._add_stray(line)
        return None

    def _resolve(self) -> bytes | None:
        """At a header: what lay before it. A rejected body with the bytes after it may be a
        whole message whose length was too short (returned for a second try); anything else is
        skipped, with a warning."""
        stray, pending = bytes(self._stray), self._pending
        self._stray.clear()
        self._pending = b""
        self._declared = None
        if pending and not stray.strip():
            log.warning("framing error: a body of %d bytes that is not JSON dropped", len(pending))
            return None
        if pending:
            self._second_try = True
            log.warning(
                "framing error: a body of %d bytes was not JSON; trying it with the %d bytes "
                "before the next Content-Length header",
                len(pending),
                len(stray),
            )
            return pending + stray
        if stray.strip():
            self._error(f"{len(stray)} bytes outside any message skipped")
        return None

    def _body(self) -> bytes | None:
        assert self._length is not None
        length = self._length
        at = self._header_within(length)
        if at == WAIT:
            return None
        if at is not None:
            body = bytes(self._buf[:at])
            del self._buf[:at]
            self._length = None
            self._second_try = True
            self._error(
                f"a body declared {length} bytes long holds a Content-Length header after {at} "
                "bytes: read up to it"
            )
            return body
        if len(self._buf) < length:
            return None
        with memoryview(self._buf) as view:  # one copy, not two: bodies reach 50 MB
            body = bytes(view[:length])
        del self._buf[:length]
        self._length = None
        self._second_try = False
        return body

    def _header_within(self, length: int) -> int | None:
        """Where a header starts inside the declared body, if one does (proof that the declared
        length is wrong); None when there is none, WAIT when more bytes must tell."""
        # Headers that start inside the body (find's end bounds where a match ends).
        end = min(len(self._buf), length + len(MARK) - 1)
        i = self._buf.find(MARK, self._scanned, end)
        while i != -1:
            if _HEADER.match(self._buf, i):
                return i
            if _PARTIAL.fullmatch(self._buf, i):
                self._scanned = i
                return WAIT
            i = self._buf.find(MARK, i + 1, end)
        self._scanned = max(self._scanned, min(len(self._buf), length) - len(MARK) + 1, 0)
        # The last bytes read may begin a header (a length too long by a few bytes). A valid
        # body ends with "}", so a well-framed message never waits here.
        tail = self._buf.rfind(b"C", max(self._scanned, len(self._buf) - len(MARK) + 1))
        if tail != -1 and tail < length and MARK.startswith(self._buf[tail:]):
            return WAIT
        return None

    def _add_stray(self, data: bytes | bytearray) -> None:
        self._stray += data
        if len(self._stray) > self.max_body:
            self._error(f"{len(self._stray)} bytes outside any message skipped")
            self._stray.clear()
            self._pending = b""

    def _error(self, what: str) -> None:
        self.errors += 1
        log.warning("framing error: %s; reading on from the next Content-Length header", what)
