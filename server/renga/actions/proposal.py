"""The tools the model answers with, and their answers read into typed values.

The model never answers in prose: each request asks for one tool, whose input schema is the
shape of the answer. It is forced (``tool_choice``) where the model accepts that; elsewhere
(Sonnet 5.5) ``renga.model.request`` asks for it with a strict tool and the prompt instead. An
answer without the call, or one that does not fit the schema, is a failed check like any other:
it is sent back once with the error, then reported.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

EDIT_TOOL = "propose_edits"
PLAN_TOOL = "plan_refactor"

EDIT_SCHEMA: dict[str, Any] = {
    "name": EDIT_TOOL,
    "description": (
        "Propose the edits that carry out the task. Each edit replaces `old_text`, copied exactly "
        "from the file (whitespace included) and long enough to occur exactly once, with "
        "`new_text`. An empty `old_text` creates the file, or appends to it when it exists. "
        "Everything the edits do not replace stays as it is."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "one line: what the edits do"},
            "edits": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {
                            "type": "string",
                            "description": "the file, relative to the workspace folder",
                        },
                        "old_text": {"type": "string"},
                        "new_text": {"type": "string"},
                    },
                    "required": ["path", "old_text", "new_text"],
                },
            },
        },
        "required": ["summary", "edits"],
    },
}

PLAN_SCHEMA: dict[str, Any] = {
    "name": PLAN_TOOL,
    "description": (
        "Plan a refactor across the workspace: the files that must change, and for each one what "
        "it must do, precisely enough that someone who sees only that file can do it."
    ),
    "input_schema": {
        "type": "object",
        "properties": {
            "summary": {"type": "string", "description": "one line: the refactor as a whole"},
            "steps": {
                "type": "array",
                "items": {
                    "type": "object",
                    "properties": {
                        "path": {
                            "type": "string",
                            "description": "the file, relative to the workspace folder",
                        },
                        "task": {"type": "string", "description": "what to change in this file"},
                    },
                    "required": ["path", "task"],
                },
            },
        },
        "required": ["summary", "steps"],
    },
}


def forced(tool: dict[str, Any]) -> dict[str, Any]:
    return {"type": "tool", "name": tool["name"]}


@dataclass(frozen=True)
class Replacement:
    path: str
    old_text: str
    new_text: str


@dataclass(frozen=True)
class EditAnswer:
    summary: str
    edits: list[Replacement]


@dataclass(frozen=True)
class Step:
    path: str
    task: str


@dataclass(frozen=True)
class PlanAnswer:
    summary: str
    steps: list[Step]


class AnswerError(ValueError):
    """The model's answer does not have the tool's shape."""


def _tool_input(calls: list[dict[str, Any]], name: str) -> dict[str, Any]:
    for call in calls:
        if call.get("name") == name:
            data = call.get("input")
            if not isinstance(data, dict):
                raise AnswerError(f"the {name} input must be an object")
            return data
    raise AnswerError(f"the model answered without calling the {name} tool")


def _string(data: dict[str, Any], key: str, where: str) -> str:
    value = data.get(key)
    if not isinstance(value, str):
        raise AnswerError(f"{where}: `{key}` must be a string, not {type(value).__name__}")
    return value


def read_edits(calls: list[dict[str, Any]]) -> EditAnswer:
    data = _tool_input(calls, EDIT_TOOL)
    raw = data.get("edits")
    if not isinstance(raw, list) or not raw:
        raise AnswerError("`edits` must be a non-empty list")
    edits = []
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise AnswerError(f"edit {i} must be an object")
        where = f"edit {i}"
        edits.append(
            Replacement(
                _string(item, "path", where),
                _string(item, "old_text", where),
                _string(item, "new_text", where),
            )
        )
    summary = data.get("summary")
    return EditAnswer(summary if isinstance(summary, str) else "", edits)


def read_plan(calls: list[dict[str, Any]], max_steps: int) -> PlanAnswer:
    data = _tool_input(calls, PLAN_TOOL)
    raw = data.get("steps")
    if not isinstance(raw, list) or not raw:
        raise AnswerError("`steps` must be a non-empty list")
    if len(raw) > max_steps:
        raise AnswerError(f"{len(raw)} steps: at most {max_steps} files may change at once")
    steps: dict[str, Step] = {}
    for i, item in enumerate(raw, start=1):
        if not isinstance(item, dict):
            raise AnswerError(f"step {i} must be an object")
        step = Step(_string(item, "path", f"step {i}"), _string(item, "task", f"step {i}"))
        if step.path in steps:  # two steps on one file would race: join their tasks
            step = Step(step.path, steps[step.path].task + "\n" + step.task)
        steps[step.path] = step
    summary = data.get("summary")
    return PlanAnswer(summary if isinstance(summary, str) else "", list(steps.values()))
