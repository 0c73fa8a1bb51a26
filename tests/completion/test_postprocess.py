"""Each postprocessing rule on real cases: what the model sent, where the cursor was, what the
user must see."""

from __future__ import annotations

import pytest

from renga.completion.postprocess import (
    Snapshot,
    Spot,
    adds_syntax_errors,
    balance_brackets,
    cut_at_block_end,
    cut_at_suffix_line,
    drop_suffix_overlap,
    keep_indentation,
    known_complete,
    meets_code_below,
    postprocess,
    single_line,
    strip_fences,
    strip_markers,
    strip_prose,
)
from renga.syntax.document import Document
from renga.syntax.languages import registry


def spot(before: str, after: str = "", multiline: bool = True, min_indent: int = 0) -> Spot:
    return Spot(prefix=before, suffix=after, multiline=multiline, min_indent=min_indent)


BODY = spot("def mean(xs):\n    ", "\n", min_indent=4)
CALL = spot("print(", ")\n", multiline=False)


@pytest.mark.parametrize(
    ("raw", "where", "expected"),
    [
        ("return a + b</fill>", BODY, "return a + b"),
        ("Sure: <fill>return a</fill> hope it helps", BODY, "return a"),
        ("return <<FILL>>a", BODY, "return a"),
    ],
)
def test_strip_markers(raw: str, where: Spot, expected: str) -> None:
    assert strip_markers(raw, where) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("```python\nreturn sum(xs) / len(xs)\n```", "return sum(xs) / len(xs)"),
        ("```\nx = 1\n```\n", "x = 1"),
        ("return 1", "return 1"),
        ("x = '```'", "x = '```'"),
    ],
)
def test_strip_fences(raw: str, expected: str) -> None:
    assert strip_fences(raw, BODY) == expected


@pytest.mark.parametrize(
    ("raw", "expected"),
    [
        ("Here is the completion:\nreturn total", "return total"),
        ("Sure, here's the code:\n```python\nreturn total\n```", "return total"),
        ("return total\n# here is why:", "return total\n# here is why:"),
    ],
)
def test_strip_prose(raw: str, expected: str) -> None:
    assert strip_prose(raw, BODY) == expected


@pytest.mark.parametrize(
    ("raw", "where", "expected"),
    [
        # The cursor already stands at column 4: a repeated indentation would double it.
        ("    return total", BODY, "return total"),
        ("    if x:\n        y()", BODY, "if x:\n        y()"),
        ("return total", BODY, "return total"),
        # Mid-line, leading space is part of the answer.
        (" + 1", spot("x = a", "\n", multiline=False), " + 1"),
    ],
)
def test_keep_indentation(raw: str, where: Spot, expected: str) -> None:
    assert keep_indentation(raw, where) == expected


def test_single_line_keeps_only_the_rest_of_the_line_mid_line() -> None:
    assert single_line('"hello")\nprint("more")', CALL) == '"hello")'
    assert single_line("a\nb", BODY) == "a\nb"


@pytest.mark.parametrize(
    ("raw", "where", "expected"),
    [
        # The model went on past the function into the next definition: cut at the dedent.
        (
            "total = sum(xs)\n    return total / len(xs)\n\ndef median(xs):\n    pass",
            BODY,
            "total = sum(xs)\n    return total / len(xs)\n",
        ),
        # Blank lines inside the block are kept.
        ("a = 1\n\n    b = 2", BODY, "a = 1\n\n    b = 2"),
        # A closing brace at the header's indentation ends a C-like block.
        (
            "x++;\n    y++;\n}\nint other() {",
            spot("int f() {\n    ", "\n}\n", min_indent=4),
            "x++;\n    y++;",
        ),
    ],
)
def test_cut_at_block_end(raw: str, where: Spot, expected: str) -> None:
    assert cut_at_block_end(raw, where) == expected


def test_cut_at_suffix_line_stops_before_code_that_already_follows() -> None:
    where = spot("def f(xs):\n    ", "\n    return total\n", min_indent=4)
    raw = "total = sum(xs)\n    return total\n"
    assert cut_at_suffix_line(raw, where) == "total = sum(xs)"


@pytest.mark.parametrize(
    ("raw", "where", "expected"),
    [
        ('"hello")', CALL, '"hello"'),
        ("a, b):", spot("def f(", "):\n", multiline=False), "a, b"),
        ("x + 1", spot("y = ", "\n", multiline=False), "x + 1"),
    ],
)
def test_drop_suffix_overlap(raw: str, where: Spot, expected: str) -> None:
    assert drop_suffix_overlap(raw, where) == expected


@pytest.mark.parametrize(
    ("raw", "where", "expected"),
    [
        # The editor auto-closed both brackets; the model closed them too.
        ("len(xs)))", spot("print(max(", "))\n", multiline=False), "len(xs)"),
        # Its own brackets are balanced: nothing to drop.
        ("len(xs)", spot("print(", ")\n", multiline=False), "len(xs)"),
        # The suffix does not close it: the closer is needed.
        ("xs)", spot("print(", "\n", multiline=False), "xs)"),
        ("a]", spot("x = [", "]\n", multiline=False), "a"),
    ],
)
def test_balance_brackets(raw: str, where: Spot, expected: str) -> None:
    assert balance_brackets(raw, where) == expected


def test_postprocess_runs_the_rules_in_order() -> None:
    raw = "Here is the completion:\n```python\n    return sum(xs) / len(xs)\n\ndef other():\n```"
    assert postprocess(raw, BODY) == "return sum(xs) / len(xs)"
    assert postprocess("   \n", BODY) == ""


@pytest.mark.parametrize(
    ("raw", "where", "complete"),
    [
        ("<fill>return a</fill>", BODY, True),
        ('"hello"', CALL, False),
        ('"hello")\n', CALL, True),  # mid-line: the line is done
        ("total = 0\n    for x in xs:\n", BODY, False),
        ("total = 0\n    for x in xs:\n        total += x\ndef", BODY, False),  # may still grow
        ("total = 0\n    return total\ndef other():\n", BODY, True),  # left the block
        ("```python\nreturn 1\n", BODY, False),  # the fence line is not a dedent
        (
            "t = 0\n    return total\n",
            spot("def f():\n    ", "\n    return total\n", min_indent=4),
            True,
        ),
    ],
)
def test_known_complete(raw: str, where: Spot, complete: bool) -> None:
    assert known_complete(raw, where) is complete


def python_doc(text: str) -> Document:
    return Document("file:///t.py", text, language=registry().get("python"))


@pytest.mark.parametrize(
    ("text", "cursor_after", "insert", "breaks"),
    [
        ("def f(a):\n    \n", "def f(a):\n    ", "return a + 1", False),
        ("def f(a):\n    \n", "def f(a):\n    ", "return (a + ", True),
        ("x = foo()\n", "x = foo(", "1, 2", False),
        ("x = foo()\n", "x = foo(", "1, 2))", True),
        # Already broken code: a completion that does not add errors is fine.
        ("def f(:\n    \n", "def f(:\n    ", "return 1", False),
        # A completion that fixes the code is fine.
        ("x = [1, 2\ny = 3\n", "x = [1, 2", "]", False),
    ],
)
def test_adds_syntax_errors(text: str, cursor_after: str, insert: str, breaks: bool) -> None:
    doc = python_doc(text)
    offset = len(cursor_after.encode())
    assert adds_syntax_errors(Snapshot.of(doc, offset), insert) is breaks


def test_snapshot_survives_later_edits() -> None:
    from renga.syntax.document import Edit

    doc = python_doc("def f(a):\n    \n")
    snap = Snapshot.of(doc, 14)
    doc.apply([Edit("(((", (1, 4), (1, 4))])  # the user goes on typing
    assert adds_syntax_errors(snap, "return a") is False


@pytest.mark.parametrize(
    ("raw", "shown", "where", "meets"),
    [
        # Mid-line the answer fills the line up to the code after the cursor.
        ("b)\nnext()", "b", spot("f(a, ", "b)\n", multiline=False), True),
        # The model went on into the next line of code: that code takes over after the answer.
        ("x = 1\n\n    return x\n", "x = 1", spot("    ", "\n\n    return x\n"), True),
        # It went on with something else, or nothing follows the cursor.
        ("x = 1\n    y = 2", "x = 1", spot("    ", "\n    return x\n"), False),
        ("x = 1", "x = 1", BODY, False),
    ],
)
def test_meets_code_below(raw: str, shown: str, where: Spot, meets: bool) -> None:
    assert meets_code_below(raw, shown, where) is meets
