"""Line or block, from the syntax tree and the tags."""

from __future__ import annotations

import pytest

from renga.completion.shape import shape_at
from renga.syntax.document import Document
from renga.syntax.languages import registry


def at(text: str, language: str | None = "python") -> tuple[bool, int, bool]:
    """The shape at the ``|`` in ``text``."""
    cursor = text.index("|")
    text = text.replace("|", "")
    lang = registry().get(language) if language else None
    doc = Document("file:///x", text, language=lang)
    shape = shape_at(doc, len(text[:cursor].encode()))
    return shape.multiline, shape.min_indent, shape.at_block_start


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        # Mid-line: finish the line.
        ("x = foo(|)\n", (False, 0, False)),
        ("    return a + |b\n", (False, 0, False)),
        # End of a line of code: finish it, and the lines that follow in its block.
        ("x = |\n", (True, 0, False)),
        ("def f(a):\n    x = a|\n    return x\n", (True, 4, False)),
        # Right after a header, on its line or at its empty body: offer the block.
        ("def f(a):|\n", (True, 1, True)),
        ("def f(a):\n    |\n", (True, 4, True)),
        (
            "class C:\n    def m(self):\n        |\n    def n(self):\n        pass\n",
            (True, 8, True),
        ),
        # A body holding only its docstring is still an empty body.
        ('def f(a):\n    """Doc."""\n    |\n', (True, 4, True)),
        ('def f(a):\n    """Doc."""\n    |\n    return a\n', (True, 4, False)),
        # A blank line inside a block with code below: a block, at that indentation.
        ("def f(a):\n    x = 1\n    |\n    return x\n", (True, 4, False)),
        # A language without tags still gets lines and blocks from the text.
        ("foo bar|\n", (True, 0, False)),
        ("foo| bar\n", (False, 0, False)),
        ("  |\n", (True, 2, False)),
    ],
)
def test_shape(text: str, expected: tuple[bool, int, bool]) -> None:
    language = "python" if "foo" not in text and not text.startswith("  |") else None
    assert at(text, language) == expected


@pytest.mark.parametrize(
    "text",
    ["", "x", "x = foo()\n", "def f(a):", "class C:\n    def m(self):\n        pass\n\n\n", "((("],
)
def test_every_cursor_of_odd_files_is_answered_without_crashing(text: str) -> None:
    from renga.completion.postprocess import Snapshot, adds_syntax_errors

    doc = Document("file:///x.py", text, language=registry().get("python"))
    for offset in range(len(text.encode()) + 1):
        shape_at(doc, offset)
        adds_syntax_errors(Snapshot.of(doc, offset), "y)")
