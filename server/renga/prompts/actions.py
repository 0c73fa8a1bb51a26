"""How code actions, refactors and multi-file plans become Messages API requests.

Every request forces one tool (``actions.proposal``): the model answers with data, never prose.
Files are shown whole when they fit, else as a window around the target, always with their
workspace-relative path, which is the path the model's edits must name.
"""

from __future__ import annotations

from dataclasses import dataclass

from renga.actions.proposal import EDIT_TOOL, PLAN_TOOL

# A file larger than this is shown as a window around the target.
FILE_LIMIT = 60_000
WINDOW = 20_000

EDIT_SYSTEM = (
    "You are renga, a careful code editor inside the user's editor. You change code only by "
    f"calling the `{EDIT_TOOL}` tool. Each edit's `old_text` is copied exactly from the file "
    "shown (whitespace and indentation included) and occurs in it exactly once; keep edits "
    "small, keep the file's style, and keep the result valid code. Change only what the task "
    "asks for."
)

PLAN_SYSTEM = (
    "You are renga's planner. You plan refactors that span a workspace: from the outline of the "
    f"workspace you decide which files must change and what each must do, and answer with the "
    f"`{PLAN_TOOL}` tool. Each step is carried out by someone who sees only that one file and "
    "the plan, so name every new or changed symbol exactly, so that the files stay consistent."
)


@dataclass(frozen=True)
class Shown:
    """A file as the model sees it."""

    path: str  # relative to the workspace
    text: str
    language: str = ""


def file_block(shown: Shown, around: tuple[int, int] | None = None) -> str:
    """The file in tags the model can cite; a window around ``around`` (character offsets)
    when the file is large."""
    text, note = shown.text, ""
    if len(text) > FILE_LIMIT:
        lo, hi = around or (0, 0)
        start = max(0, lo - WINDOW)
        end = min(len(text), hi + WINDOW)
        start = text.rfind("\n", 0, start) + 1
        first_line = text.count("\n", 0, start) + 1
        text = text[start:end]
        note = f' excerpt="from line {first_line}"'
    language = f' language="{shown.language}"' if shown.language else ""
    return f'<file path="{shown.path}"{language}{note}>\n{text}\n</file>'


def action_prompt(
    shown: Shown,
    task: str,
    target_text: str,
    target_line: int,
    around: tuple[int, int] | None,
    extra: list[Shown] | None = None,
    note: str = "",
) -> str:
    parts = [file_block(shown, around)]
    for other in extra or []:
        parts.append(file_block(other))
    if target_text:
        parts.append(f'<target path="{shown.path}" line="{target_line}">\n{target_text}\n</target>')
    parts.append(f"Task: {task}")
    if note:
        parts.append(note)
    return "\n\n".join(parts)


def test_note(test_path: str, exists: bool, example_path: str | None) -> str:
    where = (
        f"Append the new tests to the existing test file `{test_path}` (an edit with that path "
        "and an empty old_text appends; add imports it lacks with a separate edit)."
        if exists
        else f"Create the test file `{test_path}` (one edit with that path and an empty "
        "old_text, holding the whole file)."
    )
    style = (
        f" Follow the conventions of `{example_path}` (shown): the same test framework and style."
        if example_path
        else " Use the test framework the language's projects most commonly use."
    )
    return where + style + " Import the code under test from its module as the project would."


def retry_text(errors: list[str]) -> str:
    return (
        "Your edits were not applied, because they failed these checks:\n- "
        + "\n- ".join(errors)
        + "\nCall the tool again with corrected edits."
    )


def plan_prompt(instruction: str, outline: str, open_files: list[Shown]) -> str:
    parts = [f"<workspace-outline>\n{outline}\n</workspace-outline>"]
    parts += [file_block(f) for f in open_files]
    parts.append(f"Refactor: {instruction}")
    return "\n\n".join(parts)


def worker_prompt(
    instruction: str, summary: str, steps: list[tuple[str, str]], own: Shown, task: str
) -> str:
    plan = "\n".join(f"- {path}: {what}" for path, what in steps)
    return (
        f"The workspace is being refactored: {instruction}\n"
        f"Plan ({summary}):\n{plan}\n\n"
        f"{file_block(own)}\n\n"
        f"Your part: change only `{own.path}`. Task: {task}"
    )
