"""Files read from disk: size checked before reading, binary refused, invalid UTF-8 tolerated."""

from __future__ import annotations

from pathlib import Path

from renga.syntax.files import Skipped, SourceFile, read_source


def test_valid_utf8(tmp_path: Path) -> None:
    path = tmp_path / "a.py"
    path.write_text("名 = 1\n", encoding="utf-8")
    assert read_source(path, 1024) == SourceFile("名 = 1\n")


def test_invalid_utf8_is_read_with_replacement_characters(tmp_path: Path) -> None:
    path = tmp_path / "latin1.py"
    path.write_bytes(b"# caf\xe9\nx = 1\n")
    result = read_source(path, 1024)
    assert result == SourceFile("# caf\ufffd\nx = 1\n", clean_utf8=False)


def test_oversized_binary_and_missing_files_are_skipped(tmp_path: Path) -> None:
    big = tmp_path / "big.py"
    big.write_bytes(b"x" * 2048)
    blob = tmp_path / "blob.bin"
    blob.write_bytes(b"\x7fELF\x00\x00")
    assert "maxFileBytes" in _reason(read_source(big, 1024))
    assert "binary" in _reason(read_source(blob, 1024))
    assert "unreadable" in _reason(read_source(tmp_path / "missing.py", 1024))


def _reason(result: SourceFile | Skipped) -> str:
    assert isinstance(result, Skipped)
    return result.reason
