"""How much of a remembered answer is shown at the cursor: one rule at a time, then in order."""

from __future__ import annotations

import pytest

from renga.completion.reveal import (
    Place,
    expected_block,
    nothing_past_blank_line,
    one_statement,
    rest_of_line,
    visible,
)

BLOCK = "total = sum(xs)\n    if not xs:\n        return 0\n\n    return total / len(xs)\n"


@pytest.mark.parametrize(
    ("rule", "rest", "place", "shown"),
    [
        # Mid-line: the rest of the line, however much the answer holds after it.
        (rest_of_line, "tainer.get(key)\n    x = 1", Place("    value = con"), "tainer.get(key)"),
        (rest_of_line, "b)", Place("f(a, "), "b)"),
        # At the end of the line, or with nothing before the cursor: not this rule.
        (rest_of_line, "\n    x = 1", Place("    y = 2"), None),
        (rest_of_line, "x = 1", Place("    "), None),
        # Code after a blank line, or no code at all: nothing yet.
        (nothing_past_blank_line, "\n\n    return x", Place("    y = 2"), ""),
        (nothing_past_blank_line, "\n    return x", Place("    "), ""),
        (nothing_past_blank_line, "  \n", Place("    "), ""),
        (nothing_past_blank_line, "\n    return x", Place("    y = 2"), None),
        (nothing_past_blank_line, "return x\n\n    y", Place("    "), None),
        # Where the syntax expects a block: all of it, blank lines inside included.
        (expected_block, BLOCK, Place("    ", block_expected=True), BLOCK.rstrip("\n")),
        (
            expected_block,
            "\n    a = 1\n    b = 2\nc = 3",
            Place("def f():", block_expected=True),
            "\n    a = 1\n    b = 2",
        ),
        (expected_block, BLOCK, Place("    "), None),
        # Elsewhere: one statement, the next line, or more while its brackets stay open.
        (one_statement, BLOCK, Place("    "), "total = sum(xs)"),
        (
            one_statement,
            "\n    x = f(\n        a,\n    )\n    y = 2",
            Place("    z = 1"),
            "\n    x = f(\n        a,\n    )",
        ),
        (one_statement, "s = ')' + f(\n  1)\nt = 2", Place(""), "s = ')' + f(\n  1)"),
        (one_statement, "x = [  # a [\n    1,\n]\ny", Place(""), "x = [  # a [\n    1,\n]"),
        (one_statement, "total = (1 +\n\n  2)", Place(""), "total = (1 +"),
        # A brace at the end of a line opens a block in the brace languages: it ends the statement.
        (one_statement, "if (x) {\n  y();\n}", Place(""), "if (x) {"),
        (one_statement, "x = 1 + \\\n    2\ny = 3", Place(""), "x = 1 + \\\n    2"),
    ],
)
def test_rule(rule: object, rest: str, place: Place, shown: str | None) -> None:
    n = rule(rest, place)  # type: ignore[operator]
    assert (None if n is None else rest[:n]) == shown


@pytest.mark.parametrize(
    ("rest", "place", "shown"),
    [
        # Mid-line after `container.`: the rest of that line, not the four lines after it.
        (
            "items()\n    for k in keys:\n        pass\n\n    done()",
            Place("    keys = container."),
            "items()",
        ),
        # The line typed to its end: the next statement, with its line break.
        (
            "\n    for k in keys:\n        pass",
            Place("    keys = x.items()"),
            "\n    for k in keys:",
        ),
        # An empty body after a header: the block.
        (
            "\n    a = 1\n    return a\n\nb = 2",
            Place("def f():", block_expected=True),
            "\n    a = 1\n    return a",
        ),
        # The answer goes on after a blank line: nothing until that line is made.
        ("\n\n    done()", Place("    pass"), ""),
    ],
)
def test_rules_in_order(rest: str, place: Place, shown: str) -> None:
    assert rest[: visible(rest, place)] == shown
