"""A refactor across the workspace: the smart model plans, fast models carry out the steps at once.

1. An outline of the workspace (the symbol index when the server has one, else the open documents
   and a bounded walk of the workspace folder) goes to the smart model, which answers with a plan:
   the files that change and what each must do.
2. One fast-model worker per file, at most ``refactor.concurrency`` at a time, each seeing the plan
   and its own file only; every answer is checked, and retried once, like any other edit.
3. The checked edits merge into ONE ``WorkspaceEdit``: all files change, or none does.

``$/progress`` shows the plan and each step; cancelling the progress or the request cancels the
workers, whose HTTP requests are closed.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import time
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from renga.actions import engine, workspace_edit
from renga.actions.files import Files, path_of
from renga.actions.lsp import (
    Computed,
    apply,
    confirmed,
    excluded_of,
    files_of,
    plain,
    result,
    tell,
)
from renga.actions.proposal import PLAN_SCHEMA, AnswerError, PlanAnswer, read_plan
from renga.actions.validate import CheckedFile, Excluded, where_allowed
from renga.context.types import SymbolIndex, estimate_tokens
from renga.model.errors import ModelError
from renga.prompts.actions import EDIT_SYSTEM, PLAN_SYSTEM, Shown, plan_prompt, worker_prompt
from renga.syntax.languages import registry
from renga.syntax.tags import extract

if TYPE_CHECKING:
    from renga.model.client import ModelClient
    from renga.server import RengaServer

log = logging.getLogger(__name__)

OUTLINE_LIMIT = 40_000  # characters of outline shown to the planner
WALK_FILES = 400  # files looked at without an index
WALK_FILE_BYTES = 200_000
SKIP_DIRS = {"node_modules", "__pycache__", "target", "build", "dist", "venv", ".venv"}


# -- the outline -------------------------------------------------------------------------


def _walk(root: Path, limit: int) -> list[Path]:
    """Source files under ``root`` that a grammar knows, hidden and vendored folders skipped."""
    known = registry()
    found: list[Path] = []
    for folder, dirs, names in os.walk(root):
        dirs[:] = sorted(d for d in dirs if not d.startswith(".") and d not in SKIP_DIRS)
        for name in sorted(names):
            if known.name_for(None, name) is not None:
                found.append(Path(folder) / name)
                if len(found) >= limit:
                    return found
    return found


def _definitions(path: Path, text: str) -> list[str]:
    language = registry().for_document(None, path)
    if language is None:
        return []
    source = text.encode("utf-8", errors="surrogatepass")
    tree = language.parser().parse(source)
    tags = extract(language, tree, source)
    return [f"  {d.kind} {d.name} (line {d.line + 1})" for d in tags.definitions]


def outline(files: Files, index: SymbolIndex | None, excluded: Excluded) -> str:
    """Paths and the definitions in them, within :data:`OUTLINE_LIMIT` characters."""
    lines: list[str] = []
    size = 0

    def add(entry: list[str]) -> bool:
        nonlocal size
        block = "\n".join(entry)
        if size + len(block) > OUTLINE_LIMIT:
            return False
        lines.append(block)
        size += len(block) + 1
        return True

    if index is not None:
        for name in index.files():
            path = files.locate(name)
            if where_allowed(path, files, excluded):
                continue
            defs = [f"  {d.kind} {d.name} (line {d.line + 1})" for d in index.definitions_in(name)]
            if not add([files.relative(path), *defs]):
                break
        return "\n".join(lines)
    seen: set[Path] = set()
    candidates = [p for p in (path_of(u) for u in files.documents) if p is not None]
    for root in files.folders:
        candidates += _walk(root, WALK_FILES)
    for path in candidates:
        if path in seen or where_allowed(path, files, excluded):
            continue
        seen.add(path)
        try:
            if not files.is_open(path) and path.stat().st_size > WALK_FILE_BYTES:
                continue
            text = files.read(path).text
        except (OSError, UnicodeDecodeError, ValueError):
            continue
        if not add([files.relative(path), *_definitions(path, text)]):
            break
    return "\n".join(lines)


# -- progress ----------------------------------------------------------------------------


class Progress:
    """``$/progress`` for one refactor; ``cancelled`` is set when the user cancels it there."""

    def __init__(self, ls: RengaServer, on_cancel: Callable[[], None]) -> None:
        self.ls = ls
        self.token = f"renga-refactor-{uuid.uuid4().hex[:8]}"
        self.cancelled = False
        self.on_cancel = on_cancel
        self.active = False

    async def begin(self, title: str, message: str) -> None:
        caps = self.ls.client_capabilities.window
        if not (caps and caps.work_done_progress):
            return
        try:
            await self.ls.work_done_progress.create_async(self.token)
        except asyncio.CancelledError:
            raise
        except Exception as exc:
            log.info("progress not available: %s", exc)
            return
        self.active = True
        future = self.ls.work_done_progress.tokens.get(self.token)
        if future is not None:
            loop = asyncio.get_running_loop()

            def cancelled(f: Any) -> None:
                if f.cancelled():
                    self.cancelled = True
                    loop.call_soon_threadsafe(self.on_cancel)

            future.add_done_callback(cancelled)
        self.ls.work_done_progress.begin(
            self.token,
            types.WorkDoneProgressBegin(
                title=title, message=message, cancellable=True, percentage=0
            ),
        )

    def report(self, message: str, percentage: int | None = None) -> None:
        if self.active:
            self.ls.work_done_progress.report(
                self.token, types.WorkDoneProgressReport(message=message, percentage=percentage)
            )

    def end(self, message: str) -> None:
        if self.active:
            self.active = False
            self.ls.work_done_progress.end(self.token, types.WorkDoneProgressEnd(message=message))
            self.ls.work_done_progress.tokens.pop(self.token, None)


# -- the refactor ------------------------------------------------------------------------


@dataclass
class StepOutcome:
    path: str
    outcome: engine.Outcome | None
    error: str | None


async def plan(
    model: ModelClient, job: engine.Job, files: Files, excluded: Excluded, max_files: int
) -> tuple[PlanAnswer | None, engine.Cost, str | None]:
    """The smart model's plan, checked (files inside the workspace, not too many); one retry."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": job.prompt}]
    cost = engine.Cost()
    errors: list[str] = []
    for _ in (1, 2):
        reply = await model.create(engine.request_for(job, messages, PLAN_SCHEMA))
        cost.usages.append(reply.usage)
        try:
            answer = read_plan(reply.tool_calls, max_files)
            errors = [
                f"step {s.path}: {problem}"
                for s in answer.steps
                if (problem := where_allowed(files.locate(s.path), files, excluded))
            ]
        except AnswerError as exc:
            errors = [f"the answer does not fit the tool: {exc}"]
        if not errors:
            return answer, cost, None
        messages = [*messages, *engine.answer_turns(reply, errors)]
    return None, cost, "; ".join(errors)


async def carry_out(
    ls: RengaServer, instruction: str, concurrency: int, progress: Progress
) -> dict[str, Any]:
    settings = ls.settings
    files = files_of(ls)
    excluded = excluded_of(ls)
    sources = ls.context_sources()
    started = time.monotonic()
    shape = await asyncio.to_thread(outline, files, sources.index, excluded)
    open_files = [
        Shown(files.relative(p), d.text, d.language.name if d.language else d.language_id)
        for d in ls.documents.values()
        if (p := path_of(d.uri)) is not None and where_allowed(p, files, excluded) is None
    ][:4]
    plan_job = engine.Job(
        title=f"plan: {instruction[:60]}",
        role="smart",
        feature="refactor.plan",
        system=PLAN_SYSTEM,
        prompt=plan_prompt(instruction, shape, open_files),
        files=files,
        allowed=None,
        max_tokens=min(8192, settings.cost.max_tokens_per_request),
    )
    smart, fast = ls.model.models("smart")[0], ls.model.models("fast")[0]
    # The plan's own size, then for each file it may name: the file in, the file's edits out.
    per_file = sum(estimate_tokens(f.text) for f in open_files) // max(len(open_files), 1) + 1500
    estimate = engine.estimate_usd(smart, plan_job.system, plan_job.prompt, output_tokens=1500)
    estimate += min(settings.refactor.max_files, 8) * engine.estimate_usd(
        fast, "x" * (per_file * 4), output_tokens=per_file
    )
    if not await confirmed(ls, "this workspace refactor", estimate):
        return result(False, 0, "cancelled: the cost was not confirmed")

    await progress.begin("renga: refactor", f"planning: {instruction[:80]}")
    total = engine.Cost()
    try:
        answer, cost, error = await plan(
            ls.model, plan_job, files, excluded, settings.refactor.max_files
        )
        total.add(cost)
        if answer is None:
            message = f"renga: the refactor plan failed the checks twice ({error}); no change."
            tell(ls, message)
            return result(False, 0, message)
        steps = answer.steps
        names = ", ".join(s.path for s in steps)
        progress.report(f"plan: {answer.summary} — {len(steps)} files: {names}", 5)
        elapsed = time.monotonic() - started
        log.info("refactor plan (%.1f s): %s: %s", elapsed, answer.summary, names)

        limit = asyncio.Semaphore(max(1, concurrency))
        done = 0
        listed = [(s.path, s.task) for s in steps]

        async def step(path: str, task: str) -> StepOutcome:
            nonlocal done
            async with limit:
                located = files.locate(path)
                try:
                    own = files.read(located)
                except (OSError, UnicodeDecodeError, ValueError) as exc:
                    return StepOutcome(path, None, f"cannot be read: {exc}")
                language = own.language.name if own.language else ""
                job = engine.Job(
                    title=f"{path}: {task[:60]}",
                    role="fast",
                    feature="refactor.step",
                    system=EDIT_SYSTEM,
                    prompt=worker_prompt(
                        instruction,
                        answer.summary,
                        listed,
                        Shown(files.relative(located), own.text, language),
                        task,
                    ),
                    files=files,
                    allowed={located},
                    max_tokens=min(8192, settings.cost.max_tokens_per_request),
                )
                try:
                    outcome = await engine.run(ls.model, job, excluded)
                except ModelError as exc:
                    return StepOutcome(path, None, str(exc))
            done += 1
            mark = "done" if outcome.error is None else "failed"
            progress.report(f"{done}/{len(steps)} {path}: {mark}", 5 + 90 * done // len(steps))
            return StepOutcome(path, outcome, outcome.error)

        outcomes = await asyncio.gather(*(step(p, t) for p, t in listed))
        checked: list[CheckedFile] = []
        failed: list[str] = []
        for o in outcomes:
            if o.outcome is not None:
                total.add(o.outcome.cost)
                checked += o.outcome.checked
            if o.error is not None:
                failed.append(f"{o.path}: {o.error}")
        log.info(
            "refactor %r: %d files in %.1f s (%s)",
            instruction[:60],
            len(steps),
            time.monotonic() - started,
            total.words(),
        )
        if failed:
            message = (
                f"renga: the refactor was not applied: {len(failed)} of {len(steps)} steps failed "
                f"their checks twice ({'; '.join(failed)}). [{total.words()}]"
            )
            tell(ls, message)
            return result(False, 0, message)
        changed = workspace_edit.stale(checked, files)
        if changed:
            message = f"renga: {', '.join(changed)} changed during the refactor; nothing changed."
            tell(ls, message, types.MessageType.Warning)
            return result(False, 0, message)
        label = f"renga: {instruction[:60]}"
        edit = workspace_edit.build(
            checked, label, answer.summary or instruction, ls.encoding, ls.client_capabilities
        )
        progress.report(f"applying {len(checked)} files", 95)
        summary = f"{answer.summary or instruction} ({len(checked)} files; {total.words()})"
        return await apply(ls, files, Computed(edit, len(checked), summary), label)
    finally:
        progress.end("cancelled" if progress.cancelled else "done")


async def refactor_workspace(ls: RengaServer, args: Any) -> dict[str, Any]:
    data = plain(args[0]) if args else None
    instruction = str(data.get("instruction") or "").strip() if isinstance(data, dict) else ""
    if not instruction:
        return result(False, 0, 'renga.refactorWorkspace needs [{"instruction": str}]')
    problem = ls.model.problem()
    if problem:
        message = f"renga: refactors need the model: {problem}."
        tell(ls, message)
        return result(False, 0, message)
    if not files_of(ls).folders:
        return result(False, 0, "renga: a workspace refactor needs a workspace folder")
    work: asyncio.Task[dict[str, Any]] | None = None

    def cancel() -> None:
        if work is not None:
            work.cancel()

    progress = Progress(ls, cancel)
    work = asyncio.ensure_future(
        carry_out(ls, instruction, ls.settings.refactor.concurrency, progress)
    )
    try:
        return await work
    except asyncio.CancelledError:
        this = asyncio.current_task()
        if progress.cancelled and not (this is not None and this.cancelling()):
            return result(False, 0, "cancelled")
        work.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await work
        raise
