"""LSP position <-> byte offset conversion, the one conversion point, with non-ASCII text."""

from __future__ import annotations

import pytest

from renga.syntax.positions import LineIndex, line_starts

TEXT = "a = 1\r\n名前 = '日本'\r\nx = '😀😀' # ok\nend"
SOURCE = TEXT.encode("utf-8")


def test_line_starts_count_crlf_and_lf() -> None:
    lines = ["a = 1\r\n", "名前 = '日本'\r\n", "x = '😀😀' # ok\n"]
    expected = [len("".join(lines[:i]).encode()) for i in range(len(lines) + 1)]
    assert line_starts(SOURCE) == expected


@pytest.mark.parametrize(
    ("line", "character", "encoding", "expected_text_after"),
    [
        (0, 0, "utf-16", "a = 1"),
        (1, 2, "utf-16", " = '日本'"),  # 名前 are one UTF-16 unit each
        (1, 2, "utf-32", " = '日本'"),
        (1, 6, "utf-8", " = '日本'"),  # three bytes each in UTF-8
        (2, 5, "utf-16", "😀😀' # ok"),
        (2, 7, "utf-16", "😀' # ok"),  # an emoji takes two UTF-16 units
        (2, 6, "utf-32", "😀' # ok"),
        (2, 6, "utf-16", "😀😀' # ok"),  # half an emoji: not split, stays before it
        (0, 99, "utf-16", ""),  # past the end of a line: clamps to the line end, before CRLF
        (9, 0, "utf-16", ""),  # past the last line: end of the source
    ],
)
def test_offset_of_position(
    line: int, character: int, encoding: str, expected_text_after: str
) -> None:
    index = LineIndex(SOURCE)
    offset = index.offset(SOURCE, line, character, encoding)  # type: ignore[arg-type]
    rest = SOURCE[offset:].decode("utf-8").split("\n", 1)[0].rstrip("\r")
    assert rest == expected_text_after


@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-32"])
def test_position_round_trips_at_every_character_boundary(encoding: str) -> None:
    index = LineIndex(SOURCE)
    for i in range(len(TEXT) + 1):
        if TEXT[i - 1 : i + 1] == "\r\n":
            continue  # between CR and LF is no position an editor can name
        offset = len(TEXT[:i].encode("utf-8"))
        line, character = index.position(SOURCE, offset, encoding)  # type: ignore[arg-type]
        assert index.offset(SOURCE, line, character, encoding) == offset  # type: ignore[arg-type]


def test_utf8_offset_never_lands_inside_a_character() -> None:
    index = LineIndex(SOURCE)
    offset = index.offset(SOURCE, 1, 1, "utf-8")  # the middle of 名
    assert offset == 7


def test_replace_updates_line_starts_like_a_rescan() -> None:
    source = b"one\ntwo\nthree\nfour\n"
    index = LineIndex(source)
    start, end, new = 5, 11, b"X\nY\nZ"
    index.replace(start, end, new)
    assert index.starts == line_starts(source[:start] + new + source[end:])
