"""Documents keep text and tree equal to a fresh parse across incremental edits."""

from __future__ import annotations

from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry


def fresh_sexp(doc: Document) -> str:
    assert doc.language is not None
    return str(doc.language.parser().parse(doc.source).root_node)


def test_incremental_edits_match_a_fresh_parse() -> None:
    python = registry().get("python")
    doc = Document("file:///a.py", "def f(x):\r\n    return x\r\n", language=python)
    doc.apply([Edit("y", (0, 6), (0, 7))], version=2)  # rename the parameter
    doc.apply([Edit("\r\n    # 日本語 😀\r\n    pass", (1, 12), (1, 12))], version=3)
    doc.apply([Edit("", (0, 0), (0, 0)), Edit("class C:\n", (0, 0), (0, 0))], version=4)
    assert doc.text == "class C:\ndef f(y):\r\n    return x\r\n    # 日本語 😀\r\n    pass\r\n"
    assert doc.version == 4
    assert str(doc.tree.root_node) == fresh_sexp(doc)  # type: ignore[union-attr]


def test_edit_in_utf16_around_astral_characters() -> None:
    doc = Document("file:///a.py", "s = '😀x'\n", language=registry().get("python"))
    doc.apply([Edit("y", (0, 7), (0, 8))])  # x sits after two UTF-16 units of the emoji
    assert doc.text == "s = '😀y'\n"
    assert str(doc.tree.root_node) == fresh_sexp(doc)  # type: ignore[union-attr]


def test_utf8_encoding_counts_bytes() -> None:
    doc = Document("file:///a.py", "名 = 1\n", language=registry().get("python"), encoding="utf-8")
    doc.apply([Edit("2", (0, 6), (0, 7))])
    assert doc.text == "名 = 2\n"
    assert doc.position_at(len("名 = ".encode())) == (0, 6)


def test_full_replacement_and_unknown_language() -> None:
    doc = Document("file:///notes.txt", "hello", language=None)
    doc.apply([Edit("bye\n")], version=7)
    assert (doc.text, doc.version, doc.tree) == ("bye\n", 7, None)


def test_last_edit_is_tracked_in_bytes_of_the_new_source() -> None:
    doc = Document("file:///a.py", "ab\n", language=registry().get("python"))
    doc.apply([Edit("日本", (0, 1), (0, 1))])
    assert doc.last_edit is not None
    assert doc.source[doc.last_edit.start : doc.last_edit.end].decode() == "日本"
