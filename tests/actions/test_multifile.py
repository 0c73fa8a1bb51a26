"""The workspace outline the planner sees: from the index when there is one, else from a walk."""

from __future__ import annotations

from pathlib import Path

from renga.actions.files import Files
from renga.actions.multifile import OUTLINE_LIMIT, outline
from renga.actions.validate import nothing_excluded
from renga.context.index import WorkspaceIndex


def workspace(tmp_path: Path) -> Path:
    ws = tmp_path / "ws"
    (ws / "pkg").mkdir(parents=True)
    (ws / "pkg" / "shapes.py").write_text("class Circle:\n    def area(self):\n        return 1\n")
    (ws / "main.go").write_text("package main\n\nfunc Run() {}\n")
    (ws / "node_modules" / "dep").mkdir(parents=True)
    (ws / "node_modules" / "dep" / "index.js").write_text("function vendored() {}\n")
    (ws / "README.md").write_text("# not source\n")
    return ws


def test_without_an_index_the_workspace_is_walked(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    text = outline(Files([ws], {}, "utf-16"), None, nothing_excluded)
    assert "pkg/shapes.py\n  class Circle (line 1)\n  method area (line 2)" in text or (
        "pkg/shapes.py\n  class Circle (line 1)\n  function area (line 2)" in text
    )
    assert "main.go\n" in text and "\n  function Run (line 3)" in text
    assert "vendored" not in text and "README" not in text


def test_with_an_index_its_files_and_definitions_are_used(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    index = WorkspaceIndex([ws], cache_file=tmp_path / "index.sqlite3")
    index.build()
    try:
        text = outline(Files([ws], {}, "utf-16"), index, nothing_excluded)
    finally:
        index.close()
    assert "pkg/shapes.py" in text and "Circle" in text and "main.go" in text


def test_excluded_files_never_reach_the_planner(tmp_path: Path) -> None:
    ws = workspace(tmp_path)
    text = outline(Files([ws], {}, "utf-16"), None, lambda p: p.suffix == ".go")
    assert "main.go" not in text and "shapes.py" in text


def test_the_outline_stays_within_its_limit(tmp_path: Path) -> None:
    ws = tmp_path / "ws"
    ws.mkdir()
    body = "".join(f"def function_number_{i}():\n    pass\n" for i in range(200))
    for i in range(40):
        (ws / f"module_{i}.py").write_text(body)
    text = outline(Files([ws], {}, "utf-16"), None, nothing_excluded)
    assert 0 < len(text) <= OUTLINE_LIMIT
