"""Languages load from grammars/ as data."""

from __future__ import annotations

from pathlib import Path

import pytest

from renga.syntax.languages import Registry, registry

LANGUAGES = ["python", "javascript", "typescript", "tsx", "go", "rust", "java", "c", "cpp", "ruby"]


@pytest.mark.parametrize("name", LANGUAGES)
def test_every_promised_language_loads_and_parses(name: str) -> None:
    language = registry().get(name)
    assert language is not None, f"grammar wheel for {name} is not importable"
    tree = language.parser().parse(b"x")
    assert tree.root_node.end_byte == 1


@pytest.mark.parametrize(
    ("language_id", "path", "expected"),
    [
        ("python", None, "python"),
        ("typescriptreact", None, "tsx"),
        ("javascriptreact", None, "javascript"),
        (None, "/src/main.rs", "rust"),
        ("plaintext", "/src/x.hpp", "cpp"),
        ("plaintext", "/README", None),
        ("cobol", None, None),
    ],
)
def test_language_is_found_by_id_then_extension(
    language_id: str | None, path: str | None, expected: str | None
) -> None:
    assert registry().name_for(language_id, path) == expected


def test_a_broken_grammar_folder_is_skipped_not_fatal(tmp_path: Path) -> None:
    (tmp_path / "good").mkdir()
    (tmp_path / "good" / "language.toml").write_text(
        'name = "good"\nmodule = "tree_sitter_python"\nextensions = [".gd"]\n'
    )
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "language.toml").write_text("name = ")
    (tmp_path / "missing").mkdir()
    (tmp_path / "missing" / "language.toml").write_text(
        'name = "missing"\nmodule = "no_such_wheel"\n'
    )
    reg = Registry(tmp_path)
    assert set(reg.specs) == {"good", "missing"}
    assert reg.installed() == {"good": True, "missing": False}
    assert reg.for_document(None, "x.gd") is not None
