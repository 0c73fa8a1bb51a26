"""Files as an edit sees them: the open buffer over the disk, and one snapshot per job."""

from __future__ import annotations

from pathlib import Path

import pytest

from renga.actions.files import Files
from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry


def test_the_open_buffer_wins_and_the_first_read_is_the_snapshot(tmp_path: Path) -> None:
    (tmp_path / "m.py").write_text("on disk\n")
    uri = (tmp_path / "m.py").as_uri()
    doc = Document(uri, "x = 1\n", version=2, language=registry().get("python"))
    files = Files([tmp_path], {uri: doc}, "utf-16")
    first = files.read(tmp_path / "m.py")
    assert (first.text, first.version, first.language.name) == ("x = 1\n", 2, "python")  # type: ignore[union-attr]
    doc.apply([Edit("y", (0, 0), (0, 1))], version=3)
    assert files.read(tmp_path / "m.py") is first
    assert files.changed_since(first)


def test_a_missing_file_reads_as_empty_and_not_existing(tmp_path: Path) -> None:
    files = Files([tmp_path], {}, "utf-16")
    missing = files.read(tmp_path / "new.py")
    assert (missing.exists, missing.text, missing.version) == (False, "", None)


def test_too_large_and_binary_files_are_not_read(tmp_path: Path) -> None:
    (tmp_path / "big.py").write_text("x" * 5000)
    (tmp_path / "bin.py").write_bytes(b"\xff\xfe\x00")
    files = Files([tmp_path], {}, "utf-16", max_bytes=1024)
    with pytest.raises(ValueError, match="larger than"):
        files.read(tmp_path / "big.py")
    with pytest.raises(UnicodeDecodeError):
        files.read(tmp_path / "bin.py")


def test_paths_are_named_relative_to_their_workspace_folder(tmp_path: Path) -> None:
    files = Files([tmp_path / "a", tmp_path / "b"], {}, "utf-16")
    assert files.relative(tmp_path / "b" / "x" / "y.py") == "x/y.py"
    assert files.locate("x/../z.py") == (tmp_path / "a" / "z.py").resolve()
