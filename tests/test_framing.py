"""renga.framing: every message after a framing error is read again."""

from __future__ import annotations

import json

import pytest

from renga.framing import Framer


def frame(message: dict[str, object], length_delta: int = 0, headers: bytes = b"") -> bytes:
    body = json.dumps(message).encode()
    return b"Content-Length: %d\r\n%s\r\n%s" % (len(body) + length_delta, headers, body)


def read(data: bytes, chunk: int = 0) -> tuple[list[object], Framer]:
    """The messages ``data`` gives, fed whole or ``chunk`` bytes at a time, decoded (and
    rejected when not JSON) as the server does."""
    framer = Framer()
    messages: list[object] = []
    pieces = [data[i : i + chunk] for i in range(0, len(data), chunk)] if chunk else [data]
    for piece in pieces:
        framer.feed(piece)
        while (body := framer.next()) is not None:
            try:
                messages.append(json.loads(body))
            except ValueError:
                framer.rejected(body)
    return messages, framer


A = {"jsonrpc": "2.0", "id": 1, "method": "a", "params": {"text": "x" * 50}}
B = {"jsonrpc": "2.0", "id": 2, "method": "b", "params": {}}
C = {"jsonrpc": "2.0", "method": "c", "params": {"text": "Content-Length: 5\\r\\n"}}


@pytest.mark.parametrize("chunk", [0, 1, 7])
def test_well_framed_messages_are_read_as_they_are(chunk: int) -> None:
    data = frame(A) + frame(B, headers=b"Content-Type: application/vscode-jsonrpc\r\n") + frame(C)
    messages, framer = read(data, chunk)
    assert messages == [A, B, C] and framer.errors == 0


@pytest.mark.parametrize("chunk", [0, 1, 7])
@pytest.mark.parametrize("delta", [-1, -20, 1, 30, 10_000])
def test_a_wrong_length_costs_nothing_after_it(chunk: int, delta: int) -> None:
    # Too short: the rest of A runs into B's header on one line. Too long: A swallows the
    # beginning of B. Either way A is read up to B's header and tried whole, and B and C follow.
    messages, framer = read(frame(A, delta) + frame(B) + frame(C), chunk)
    assert messages == [A, B, C]
    assert framer.errors >= 1


@pytest.mark.parametrize(
    "bad",
    [
        b"Content-Length: 12\r\n\r\n{not json!!}",  # right length, broken JSON
        b'Content-Length: 30\r\n\r\n{"jsonrpc": "2.0", "id": 9, ',  # truncated body
        b"Content-Lenght: 2\r\n\r\n{}",  # misspelt header
        b"Content-Length: abc\r\n\r\n{}",
        b"Content-Length: 99999999999999\r\n\r\n{}",  # over the limit
        b"garbage\r\nmore garbage",
        b"\x00\xff\xfe binary \r\n\r\n",
        b"Content-Length: 4\r\nX-Junk\r\n\r\n\xff\xfe\xfd\xfc",
        b"\r\n\r\n\r\n",
    ],
)
@pytest.mark.parametrize("chunk", [0, 3])
def test_junk_between_messages_is_skipped(bad: bytes, chunk: int) -> None:
    messages, _ = read(frame(A) + bad + frame(B) + frame(C), chunk)
    assert messages[0] == A and messages[-2:] == [B, C]


def test_a_body_containing_the_header_text_in_a_string_is_not_cut() -> None:
    # Escaped line breaks, as JSON writes them: no raw line break, so no header.
    messages, framer = read(frame(C) + frame(A), 4)
    assert messages == [C, A] and framer.errors == 0


def test_a_long_line_without_a_break_is_not_buffered_whole() -> None:
    framer = Framer()
    framer.feed(b"x" * 1_000_000)
    assert framer.next() is None
    assert len(framer._buf) < 100
    framer.feed(frame(B))
    assert framer.next() == json.dumps(B).encode()


def test_a_stalled_body_is_taken_only_when_it_is_whole_json() -> None:
    framer = Framer()
    body = json.dumps(A).encode()
    framer.feed(b"Content-Length: %d\r\n\r\n%s" % (len(body) + 40, body[:30]))
    assert framer.next() is None and framer.waiting
    assert framer.stalled() is None  # a slow sender: half a message is not JSON
    framer.feed(body[30:])
    assert framer.next() is None
    assert framer.stalled() == body  # whole, and nothing more came: the length was too long
    assert not framer.waiting
    framer.feed(frame(B))
    assert framer.next() == json.dumps(B).encode()
