"""Every grammar folder's ``tags.scm`` against its own fixture and ``expected.toml``: one table
per language, one test for all, so adding a language is adding data."""

from __future__ import annotations

import tomllib
from pathlib import Path
from typing import Any

import pytest

from renga.syntax.languages import grammars_dir, registry
from renga.syntax.positions import LineIndex
from renga.syntax.tags import doc_text, extract, header

FOLDERS = sorted(p.parent.parent for p in grammars_dir().glob("*/tests/expected.toml"))


def load(folder: Path) -> tuple[Any, bytes, dict[str, Any]]:
    expected = tomllib.loads((folder / "tests" / "expected.toml").read_text("utf-8"))
    source = (folder / "tests" / expected["fixture"]).read_bytes()
    language = registry().get(folder.name)
    assert language is not None, f"grammar wheel for {folder.name} is not installed"
    tree = language.parser().parse(source)
    assert not tree.root_node.has_error, f"{folder.name} fixture does not parse cleanly"
    return extract(language, tree, source), source, expected


def test_every_grammar_has_queries_and_a_fixture() -> None:
    with_queries = {p.parent.name for p in grammars_dir().glob("*/tags.scm")}
    with_fixtures = {f.name for f in FOLDERS}
    assert with_queries == with_fixtures
    assert len(with_queries) >= 1


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_definitions(folder: Path) -> None:
    tags, _, expected = load(folder)
    found = [[d.kind, d.name, d.is_scope] for d in tags.definitions]
    for row in expected["definitions"]:
        assert row in found, f"{row} not among {found}"


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_docs_and_headers(folder: Path) -> None:
    tags, source, expected = load(folder)
    for name, piece in expected.get("docs", {}).items():
        (definition,) = [d for d in tags.named(name) if d.doc is not None][:1] or [None]
        assert definition is not None, f"no doc found for {name}"
        assert piece in doc_text(source, definition)
    for name in expected.get("undocumented", []):
        assert all(d.doc is None for d in tags.named(name)), f"{name} should have no doc"
    for name, text in expected.get("headers", {}).items():
        assert header(source, tags.named(name)[0]).strip() == text


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_references_and_imports(folder: Path) -> None:
    tags, _, expected = load(folder)
    names = {r.name for r in tags.references}
    for name in expected["references"]:
        assert name in names, f"reference {name} not among {sorted(names)}"
    assert len(tags.imports) == expected["imports"]
    # Each use is read once: a pattern repeated (an inherited query copied into a dialect's own)
    # would count it twice and skew which definitions the context engine ranks first.
    uses = [(r.kind, r.name, r.start) for r in tags.references]
    assert len(uses) == len(set(uses)), sorted(u for u in uses if uses.count(u) > 1)


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_enclosing_scopes(folder: Path) -> None:
    tags, source, expected = load(folder)
    line, column = expected["enclosing"]["at"]
    offset = LineIndex(source).offset(source, line, column, "utf-8")
    assert [d.name for d in tags.enclosing(offset)] == expected["enclosing"]["names"]


@pytest.mark.parametrize("folder", FOLDERS, ids=lambda p: p.name)
def test_uses_locals_and_builtins(folder: Path) -> None:
    """The captures the context engine's candidate names come from: every name read (values,
    attributes, imported names), the names bound in a function, and what is no use at all."""
    tags, _, expected = load(folder)
    read: dict[str, set[str]] = {}
    for r in tags.references:
        read.setdefault(r.kind, set()).add(r.name)
    for kind, names in expected["uses"].items():
        for name in names:
            assert name in read.get(kind, set()), f"{kind} use {name} not among {read}"
    bound = {r.name for r in tags.locals}
    for name in expected["locals"]:
        assert name in bound, f"local {name} not among {sorted(bound)}"
    everything = set().union(*read.values())
    for name in expected["not_uses"]:
        assert name not in everything, f"{name} is no use but was read"
    language = registry().get(folder.name)
    assert language is not None and language.spec.builtins, "language.toml lists no builtins"
