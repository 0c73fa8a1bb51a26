"""How much of a remembered answer to show at the cursor: the part likely right.

renga asks the model generously (a block where the syntax allows one) and keeps the whole answer
in memory, so typing through it needs no model call. A real model is right mostly at the start of
an answer: every further line is another chance to be wrong, and a wrong tail on screen makes the
whole suggestion wrong. So only the next part is shown, and the next one is revealed from memory
as the user types (or accepts) through it.

Each rule takes the rest of the answer after the cursor and the :class:`Place` and returns how
many characters of it to show, or None when it does not apply; the first rule that applies
decides.

Why one statement: ``python bench/completion.py --no-overhead --no-baseline --repeat 3 --model
perfect --model line:0.6`` (a model right line by line with probability 0.6), keystrokes showing
a suggestion right as a whole / wrong, of about 306: the whole remembered answer 96 / 109; two
statements at a time 139 / 66; one statement 202 / 9. With the perfect model all three show a
right suggestion on 262-268 keystrokes, and revealing from memory keeps requests as rare
(1.2 per 100 typed characters with one statement against 2.1 before).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Place:
    """What the rules know about the cursor."""

    # The document's line up to the cursor.
    line_before: str
    # The syntax expects a block here: right after a definition's header or at its empty body.
    block_expected: bool = False


Rule = Callable[[str, Place], int | None]

# Brackets that carry a statement over to the next line. A ``{`` at the end of a line opens a
# block in the brace languages: the statement shown ends with it, like a header's ``:``.
_OPEN, _CLOSE = "([", ")]"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def rest_of_line(rest: str, place: Place) -> int | None:
    """Mid-line (code before the cursor on its line): the rest of that line only."""
    if not place.line_before.strip() or rest.startswith(("\n", "\r\n")):
        return None
    end = rest.find("\n")
    return len(rest) if end == -1 else end


def _first_code_line(lines: list[str]) -> int | None:
    return next((i for i, line in enumerate(lines) if line.strip()), None)


def nothing_past_blank_line(rest: str, place: Place) -> int | None:
    """Nothing when the answer's next code lies past a blank line (or there is none): the
    user makes that line first, then the code after it is shown."""
    lines = rest.split("\n")
    first = _first_code_line(lines)
    if (
        first is None
        or first >= 2
        or (first == 1 and not place.line_before.strip() and not lines[0].strip())
    ):
        return 0
    return None


def expected_block(rest: str, place: Place) -> int | None:
    """Right after a header, or at its empty body: the block, blank lines inside it included, up
    to where it ends (the first line indented less than its first line)."""
    if not place.block_expected:
        return None
    lines = rest.split("\n")
    first = _first_code_line(lines) or 0
    body = _indent(lines[first]) + (len(place.line_before) if first == 0 else 0)
    end = first
    for i in range(first + 1, len(lines)):
        if lines[i].strip():
            if _indent(lines[i]) < body:
                break
            end = i
    return len("\n".join(lines[: end + 1]))


def one_statement(rest: str, place: Place) -> int | None:
    """Elsewhere: the next statement, which is the next line of code, or more lines while
    brackets opened on it stay open (never past a blank line)."""
    lines = rest.split("\n")
    first = _first_code_line(lines) or 0
    depth = 0
    end = first
    for end in range(first, len(lines)):
        line = lines[end]
        if not line.strip():
            end -= 1
            break
        depth = max(0, depth + _depth_change(line))
        if depth == 0 and not line.rstrip().endswith("\\"):
            break
    return len("\n".join(lines[: end + 1]))


def _depth_change(line: str) -> int:
    """Brackets a line leaves open (closed ones negative), outside string literals."""
    depth, quote = 0, ""
    i = 0
    while i < len(line):
        ch = line[i]
        if quote:
            if ch == "\\":
                i += 1
            elif ch == quote:
                quote = ""
        elif ch in "\"'`":
            quote = ch
        elif ch == "#" or line.startswith("//", i):
            break
        elif ch in _OPEN:
            depth += 1
        elif ch in _CLOSE:
            depth -= 1
        i += 1
    return depth


RULES: list[Rule] = [rest_of_line, nothing_past_blank_line, expected_block, one_statement]


def visible(rest: str, place: Place, rules: list[Rule] | None = None) -> int:
    """How many characters of ``rest`` (the answer after the cursor) to show."""
    for rule in RULES if rules is None else rules:
        n = rule(rest, place)
        if n is not None:
            return n
    return len(rest)
