"""Property: whatever incremental edits arrive, in whichever position encoding, a document's text
equals the reference model's (tests/text_model.py) and its incrementally edited tree equals a
fresh parse of that text, node for node and position for position."""

from __future__ import annotations

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry
from text_model import apply_change, position_of, tree_shape

# Code-like pieces with the characters that break position arithmetic: CRLF, CJK (three UTF-8
# bytes, one UTF-16 unit), emoji (four bytes, two UTF-16 units), combining marks, tabs.
PIECES = [
    "def ", "f", "(x)", ":", " ", "    ", "\t", "\n", "\r\n", "return ", "x", " + ", "1",
    "'", '"', "#", "日本", "語", "😀", "👍🏽", "é", "e\u0301", "{", "}", "[", "]", "=", "\\",
    "class C", "if x:", "pass", "//", "/*", "*/", ";", "`", "ß", "\u00a0",
]  # fmt: skip
LANGUAGES = ["python", "javascript", "rust", "go", "c"]
ENCODINGS = ["utf-8", "utf-16", "utf-32"]

texts = st.lists(st.sampled_from(PIECES), max_size=40).map("".join)


@st.composite
def changes(draw: st.DrawFn, text: str, encoding: str) -> tuple[Edit, str]:
    """One LSP content change against ``text`` and the text it should produce. Most land on
    character boundaries; some point past the end of a line or file, or into a character."""
    if draw(st.integers(0, 19)) == 0:
        new = draw(texts)
        return Edit(new), new
    boundaries = [i for i in range(len(text) + 1) if text[i - 1 : i + 1] != "\r\n"]
    if draw(st.booleans()) and boundaries:
        a, b = sorted(draw(st.lists(st.sampled_from(boundaries), min_size=2, max_size=2)))
        start, end = position_of(text, a, encoding), position_of(text, b, encoding)
    else:  # arbitrary positions: past the end, inside a character, end before start
        coords = st.tuples(st.integers(0, text.count("\n") + 2), st.integers(0, 30))
        start, end = draw(coords), draw(coords)
    new = draw(texts)
    return Edit(new, start, end), apply_change(text, start, end, new, encoding)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    language=st.sampled_from(LANGUAGES),
    encoding=st.sampled_from(ENCODINGS),
    initial=texts,
    data=st.data(),
)
def test_incremental_edits_match_the_model_and_a_fresh_parse(
    language: str, encoding: str, initial: str, data: st.DataObject
) -> None:
    lang = registry().get(language)
    assert lang is not None
    doc = Document("file:///p", initial, language=lang, encoding=encoding)  # type: ignore[arg-type]
    expected = initial
    for version in range(data.draw(st.integers(1, 8), label="versions")):
        batch = []
        for _ in range(data.draw(st.integers(1, 3), label="changes in one didChange")):
            edit, expected = data.draw(changes(expected, encoding))
            batch.append(edit)
        doc.apply(batch, version)
        assert doc.text == expected
        assert doc.tree is not None
        fresh = lang.parser().parse(expected.encode("utf-8"))
        assert tree_shape(doc.tree.root_node) == tree_shape(fresh.root_node)
        # Positions survive the round trip through byte offsets.
        for index in range(0, len(expected) + 1, 7):
            if expected[index - 1 : index + 1] == "\r\n":
                continue
            line, character = position_of(expected, index, encoding)
            offset = doc.offset_at(line, character)
            assert offset == len(expected[:index].encode("utf-8"))
            assert doc.position_at(offset) == (line, character)
