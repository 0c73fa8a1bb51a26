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


def test_an_unfinished_answer_is_never_remembered() -> None:
    memory = Memory()
    source = BEFORE + AFTER
    assert memory.remember("cut", URI, "python", source, len(BEFORE), TEXT, finished=False) is None
    assert memory.get("cut") is None
    assert memory.recall(URI, BEFORE + b"ret" + AFTER, len(BEFORE) + 3) is None


def test_a_remembered_answer_carries_its_model_and_expires() -> None:
    now = [100.0]
    memory = Memory(ttl_s=60, clock=lambda: now[0])
    entry = memory.remember("id1", URI, "python", BEFORE + AFTER, len(BEFORE), TEXT, model="m1")
    assert entry is not None and entry.model == "m1" and entry.at == 100.0
    now[0] += 59
    assert memory.recall(URI, BEFORE + b"ret" + AFTER, len(BEFORE) + 3) is not None
    now[0] += 2
    assert memory.recall(URI, BEFORE + b"retu" + AFTER, len(BEFORE) + 4) is None
    assert memory.get("id1") is None and len(memory) == 0


def test_typing_that_contradicts_it_drops_it_at_once() -> None:
    memory = remembered()
    assert memory.recall(URI, BEFORE + b"ret" + AFTER, len(BEFORE) + 3) is not None
    assert memory.recall(URI, BEFORE + b"retx" + AFTER, len(BEFORE) + 4) is None
    # Backspacing to where it still fitted does not bring it back: it was dropped.
    assert memory.recall(URI, BEFORE + b"ret" + AFTER, len(BEFORE) + 3) is None
    assert memory.get("id1") is None


def test_typed_through_to_the_end_of_what_was_shown() -> None:
    memory = remembered()
    entry = memory.get("id1")
    assert entry is not None
    shown = len(b"return math.pi")
    memory.mark_shown(entry, len(BEFORE), shown)
    part = BEFORE + b"return math.p" + AFTER
    assert memory.typed_through(URI, part, len(BEFORE) + shown - 1) is None
    whole = BEFORE + b"return math.pi" + AFTER
    assert memory.typed_through(URI, whole, len(BEFORE) + shown) is entry
    other = BEFORE + b"return math.PI" + AFTER
    assert memory.typed_through(URI, other, len(BEFORE) + shown) is None


def test_typed_to_its_end_where_the_code_below_takes_over_nothing_is_left_to_ask() -> None:
    memory = Memory()
    memory.remember("id1", URI, "python", BEFORE + AFTER, len(BEFORE), TEXT, meets_code=True)
    source = BEFORE + TEXT.encode() + AFTER
    hit = memory.recall(URI, source, len(BEFORE) + len(TEXT))
    assert hit is not None and hit.ended and hit.anchor == len(BEFORE)
    # Without that, a fully typed suggestion is simply gone (the model is asked again).
    plain = remembered()
    assert plain.recall(URI, source, len(BEFORE) + len(TEXT)) is None
