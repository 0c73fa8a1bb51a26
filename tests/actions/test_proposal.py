"""The model's tool answers read into typed edits and plans, or refused with a reason."""

from __future__ import annotations

from typing import Any

import pytest

from renga.actions.proposal import (
    EDIT_SCHEMA,
    PLAN_SCHEMA,
    AnswerError,
    Replacement,
    Step,
    forced,
    read_edits,
    read_plan,
)


def call(name: str, data: Any) -> list[dict[str, Any]]:
    return [{"id": "toolu_1", "name": name, "input": data}]


def test_edits_are_read_in_order() -> None:
    answer = read_edits(
        call(
            "propose_edits",
            {"summary": "s", "edits": [{"path": "a.py", "old_text": "x", "new_text": "y"}]},
        )
    )
    assert answer.summary == "s"
    assert answer.edits == [Replacement("a.py", "x", "y")]


@pytest.mark.parametrize(
    ("calls", "problem"),
    [
        ([], "answered without calling the propose_edits tool"),
        (call("propose_edits", "text"), "must be an object"),
        (call("propose_edits", {"edits": []}), "non-empty list"),
        (call("propose_edits", {"edits": ["x"]}), "edit 1 must be an object"),
        (
            call("propose_edits", {"edits": [{"path": "a", "old_text": 1, "new_text": ""}]}),
            "`old_text` must be a string",
        ),
        (call("other", {"edits": []}), "without calling"),
    ],
)
def test_answers_that_do_not_fit_the_schema_are_refused(calls: Any, problem: str) -> None:
    with pytest.raises(AnswerError, match=problem):
        read_edits(calls)


def test_a_plan_merges_steps_on_one_file_and_caps_their_number() -> None:
    plan = read_plan(
        call(
            "plan_refactor",
            {
                "summary": "rename",
                "steps": [
                    {"path": "a.py", "task": "one"},
                    {"path": "b.py", "task": "two"},
                    {"path": "a.py", "task": "three"},
                ],
            },
        ),
        max_steps=5,
    )
    assert plan.steps == [Step("a.py", "one\nthree"), Step("b.py", "two")]
    with pytest.raises(AnswerError, match="at most 2 files"):
        read_plan(
            call("plan_refactor", {"steps": [{"path": str(i), "task": "t"} for i in range(3)]}), 2
        )


def test_the_tools_are_forced_by_name() -> None:
    assert forced(EDIT_SCHEMA) == {"type": "tool", "name": "propose_edits"}
    assert forced(PLAN_SCHEMA) == {"type": "tool", "name": "plan_refactor"}
    assert EDIT_SCHEMA["input_schema"]["required"] == ["summary", "edits"]
