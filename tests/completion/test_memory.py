"""Remembered suggestions: typing through, backspacing, coming back, edits elsewhere."""

from __future__ import annotations

from renga.completion.memory import Memory

URI = "file:///a.py"
BEFORE = b"import math\n\ndef area(r):\n    "
AFTER = b"\n\nprint(area(2))\n"
TEXT = "return math.pi * r * r"


def remembered() -> Memory:
    memory = Memory()
    memory.remember("id1", URI, "python", BEFORE + AFTER, len(BEFORE), TEXT)
    return memory


def test_typing_the_first_characters_recalls_the_rest() -> None:
    memory = remembered()
    typed = b"return m"
    source = BEFORE + typed + AFTER
    hit = memory.recall(URI, source, len(BEFORE) + len(typed))
    assert hit is not None and hit.entry.text == TEXT and hit.anchor == len(BEFORE)


def test_backspace_and_revisit_recall_it_again() -> None:
    memory = remembered()
    assert memory.recall(URI, BEFORE + b"re" + AFTER, len(BEFORE) + 2) is not None
    assert memory.recall(URI, BEFORE + AFTER, len(BEFORE)) is not None


def test_typing_something_else_misses() -> None:
    memory = remembered()
    assert memory.recall(URI, BEFORE + b"pass" + AFTER, len(BEFORE) + 4) is None


def test_a_fully_typed_suggestion_is_not_recalled() -> None:
    memory = remembered()
    source = BEFORE + TEXT.encode() + AFTER
    assert memory.recall(URI, source, len(BEFORE) + len(TEXT)) is None


def test_an_edit_above_moves_it_without_losing_it() -> None:
    memory = remembered()
    shifted = b"# a new comment line, long enough to move everything below\n" * 4
    source = shifted + BEFORE + b"return" + AFTER
    hit = memory.recall(URI, source, len(shifted) + len(BEFORE) + 6)
    assert hit is not None and hit.anchor == len(shifted) + len(BEFORE)


def test_a_changed_prefix_or_line_rest_misses() -> None:
    memory = remembered()
    other = BEFORE.replace(b"area", b"volume")
    assert memory.recall(URI, other + b"ret" + AFTER, len(other) + 3) is None
    source = BEFORE + b"ret" + b")" + AFTER  # something new follows the cursor now
    assert memory.recall(URI, source, len(BEFORE) + 3) is None


def test_other_documents_and_eviction() -> None:
    memory = Memory(size=2)
    memory.remember("a", URI, "python", BEFORE + AFTER, len(BEFORE), TEXT)
    assert memory.recall("file:///other.py", BEFORE + AFTER, len(BEFORE)) is None
    memory.remember("b", URI, "python", b"x = ", 4, "1")
    memory.remember("c", URI, "python", b"y = ", 4, "2")
    assert memory.get("a") is None and len(memory) == 2
