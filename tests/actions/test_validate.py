"""The checks an edit passes before it is offered, on real files in a temporary workspace."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from renga.actions.files import Files
from renga.actions.proposal import Replacement
from renga.actions.validate import check, error_offsets, inside_workspace
from renga.syntax.document import Document
from renga.syntax.languages import registry

SOURCE = "def f(x):\n    return x\n\n\ndef g(y):\n    return y\n"


@pytest.fixture
def ws(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "m.py").write_text(SOURCE)
    return folder


def files_in(ws: Path, **documents: Document) -> Files:
    return Files([ws], documents, "utf-16")


def test_a_replacement_found_once_is_checked_and_applied(ws: Path) -> None:
    checked, errors = check([Replacement("m.py", "return x", "return x + 1")], files_in(ws))
    assert errors == []
    (c,) = checked
    assert c.new_text == SOURCE.replace("return x", "return x + 1")
    assert c.file.version is None and not c.creates


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("../escape.py", "outside the workspace"),
        ("/etc/passwd", "outside the workspace"),
        ("sub/../../escape.py", "outside the workspace"),
    ],
)
def test_files_outside_the_workspace_are_refused(ws: Path, path: str, problem: str) -> None:
    checked, errors = check([Replacement(path, "", "x = 1\n")], files_in(ws))
    assert checked == []
    assert problem in errors[0]


def test_a_symlink_out_of_the_workspace_is_outside(ws: Path, tmp_path: Path) -> None:
    (tmp_path / "secret.py").write_text("x = 1\n")
    os.symlink(tmp_path / "secret.py", ws / "link.py")
    _, errors = check([Replacement("link.py", "x = 1", "x = 2")], files_in(ws))
    assert "outside the workspace" in errors[0]
    assert not inside_workspace(ws / "link.py", [ws])


def test_an_excluded_file_is_refused(ws: Path) -> None:
    _, errors = check(
        [Replacement("m.py", "return x", "return 1")],
        files_in(ws),
        excluded=lambda p: p.name == "m.py",
    )
    assert errors == ["edit 1: m.py is excluded from renga"]


def test_only_the_allowed_files_may_change(ws: Path) -> None:
    _, errors = check([Replacement("other.py", "", "x = 1\n")], files_in(ws), allowed={ws / "m.py"})
    assert "not a file this task may change (only m.py)" in errors[0]


@pytest.mark.parametrize(
    ("old", "problem"),
    [
        ("return z", "does not occur"),
        ("    return", "occurs 2 times"),
    ],
)
def test_the_replaced_text_must_exist_exactly_once(ws: Path, old: str, problem: str) -> None:
    _, errors = check([Replacement("m.py", old, "pass")], files_in(ws))
    assert problem in errors[0]


def test_overlapping_edits_are_refused(ws: Path) -> None:
    _, errors = check(
        [
            Replacement("m.py", "def f(x):\n    return x", "def f(x):\n    return 2"),
            Replacement("m.py", "return x\n\n", "return 3\n\n"),
        ],
        files_in(ws),
    )
    assert "overlap" in errors[0]


def test_a_result_with_new_syntax_errors_is_refused(ws: Path) -> None:
    _, errors = check([Replacement("m.py", "return y", "return (y")], files_in(ws))
    assert "does not parse (syntax error near line 6)" in errors[0]


def test_errors_the_file_already_had_do_not_count(ws: Path) -> None:
    broken = SOURCE + "def h(:\n"
    (ws / "b.py").write_text(broken)
    checked, errors = check([Replacement("b.py", "return x", "return -x")], files_in(ws))
    assert errors == [] and checked[0].new_text.startswith("def f(x):\n    return -x")


def test_an_edit_that_changes_nothing_is_refused(ws: Path) -> None:
    _, errors = check([Replacement("m.py", "return x", "return x")], files_in(ws))
    assert "change nothing" in errors[0]


def test_empty_old_text_creates_a_file_or_appends_to_one(ws: Path) -> None:
    checked, errors = check(
        [
            Replacement("tests/test_m.py", "", "def test_f():\n    assert True\n"),
            Replacement("m.py", "", "def h():\n    pass\n"),
        ],
        files_in(ws),
    )
    assert errors == []
    created, appended = sorted(checked, key=lambda c: c.file.exists)
    assert created.creates and created.new_text == "def test_f():\n    assert True\n"
    assert appended.new_text == SOURCE + "def h():\n    pass\n"


def test_a_missing_file_cannot_be_edited_in_place(ws: Path) -> None:
    _, errors = check([Replacement("nope.py", "x", "y")], files_in(ws))
    assert "no such file" in errors[0]


def test_crlf_files_match_text_the_model_wrote_with_newlines(ws: Path) -> None:
    (ws / "w.py").write_bytes(b"def f():\r\n    return 1\r\n")
    checked, errors = check(
        [Replacement("w.py", "def f():\n    return 1", "def f():\n    return 2")],
        files_in(ws),
    )
    assert errors == []
    assert checked[0].edits == [(0, 22, b"def f():\r\n    return 2")]
    assert checked[0].new_text == "def f():\r\n    return 2\r\n"


def test_an_open_document_is_checked_against_its_unsaved_text(ws: Path) -> None:
    uri = (ws / "m.py").as_uri()
    python = registry().get("python")
    doc = Document(uri, "def f(x):\n    return x * 2\n", version=7, language=python)
    checked, errors = check(
        [Replacement("m.py", "return x * 2", "return x * 3")], files_in(ws, **{uri: doc})
    )
    assert errors == []
    assert checked[0].file.version == 7
    assert checked[0].new_text == "def f(x):\n    return x * 3\n"


def test_every_problem_is_reported_for_the_retry(ws: Path) -> None:
    _, errors = check(
        [Replacement("../x.py", "", "a\n"), Replacement("m.py", "nothing", "b")], files_in(ws)
    )
    assert len(errors) == 2


def test_error_offsets_find_missing_and_error_nodes() -> None:
    python = registry().get("python")
    assert error_offsets(python, b"x = 1\n") == []
    assert error_offsets(python, b"x = (1\n") != []
    assert error_offsets(None, b"anything (") == []
