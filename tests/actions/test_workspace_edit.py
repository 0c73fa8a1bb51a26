"""Checked edits as a WorkspaceEdit, shaped by what the client says it supports."""

from __future__ import annotations

from pathlib import Path

from lsprotocol import types
from pytest_lsp import client_capabilities

from renga.actions.files import Files
from renga.actions.proposal import Replacement
from renga.actions.validate import check
from renga.actions.workspace_edit import build, stale
from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry


def setup(tmp_path: Path, text: str) -> tuple[Files, Document]:
    (tmp_path / "m.py").write_text(text, encoding="utf-8")
    uri = (tmp_path / "m.py").as_uri()
    doc = Document(uri, text, version=4, language=registry().get("python"), encoding="utf-16")
    return Files([tmp_path], {uri: doc}, "utf-16"), doc


def test_vscode_gets_versioned_annotated_document_changes_and_file_creation(tmp_path: Path) -> None:
    files, doc = setup(tmp_path, "s = '日本😀'\nx = 1\n")
    checked, errors = check(
        [Replacement("m.py", "x = 1", "x = 2"), Replacement("new.py", "", "y = 1\n")], files
    )
    assert errors == []
    edit = build(
        checked, "renga: x", "make x 2", "utf-16", client_capabilities("visual_studio_code")
    )
    existing, create, new_file = edit.document_changes  # type: ignore[misc]
    assert isinstance(create, types.CreateFile) and create.uri.endswith("/new.py")
    assert new_file.text_document.version is None
    assert existing.text_document == types.OptionalVersionedTextDocumentIdentifier(
        uri=doc.uri, version=4
    )
    (change,) = existing.edits
    # The second line starts after 10 UTF-16 units of the first: positions are in the client's units.
    assert change.range == types.Range(start=types.Position(1, 0), end=types.Position(1, 5))
    assert change.annotation_id == "renga"
    annotation = edit.change_annotations["renga"]  # type: ignore[index]
    assert annotation.needs_confirmation is True and annotation.label == "renga: x"


def test_a_client_without_document_changes_gets_plain_changes(tmp_path: Path) -> None:
    files, doc = setup(tmp_path, "x = 1\n")
    checked, _ = check([Replacement("m.py", "x = 1", "x = 2")], files)
    caps = client_capabilities("neovim")
    edit = build(checked, "l", "d", "utf-16", caps)
    assert edit.document_changes is None
    assert edit.changes == {
        doc.uri: [
            types.TextEdit(
                range=types.Range(start=types.Position(0, 0), end=types.Position(0, 5)),
                new_text="x = 2",
            )
        ]
    }


def test_a_document_changed_after_the_edit_was_computed_is_stale(tmp_path: Path) -> None:
    files, doc = setup(tmp_path, "x = 1\n")
    checked, _ = check([Replacement("m.py", "x = 1", "x = 2")], files)
    assert stale(checked, files) == []
    doc.apply([Edit("# typed\n", (0, 0), (0, 0))], version=5)
    assert stale(checked, files) == ["m.py"]


def test_a_closed_file_changed_on_disk_is_stale_and_a_created_file_that_appeared_too(
    tmp_path: Path,
) -> None:
    files, _ = setup(tmp_path, "x = 1\n")
    (tmp_path / "closed.py").write_text("y = 1\n")
    checked, _ = check(
        [Replacement("closed.py", "y = 1", "y = 2"), Replacement("new.py", "", "z = 1\n")], files
    )
    assert stale(checked, files) == []
    (tmp_path / "closed.py").write_text("y = 1\n# saved by someone else\n")
    (tmp_path / "new.py").write_text("z = 0\n")
    assert sorted(stale(checked, files)) == ["closed.py", "new.py"]
