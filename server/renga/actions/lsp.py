"""What the server's code action and command handlers delegate to.

- ``textDocument/codeAction`` lists actions from the tree alone (:mod:`renga.actions.catalog`).
- ``codeAction/resolve`` computes the picked action's edit, for clients that resolve ``edit``.
- ``renga.applyAction`` computes it and applies it with ``workspace/applyEdit``, for the rest.
- ``renga.refactor`` and ``renga.refactorWorkspace`` take a free-text instruction.

Commands answer ``{"applied": bool, "files": int, "message": str}``.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from lsprotocol import types

from renga.actions import catalog, engine, workspace_edit
from renga.actions.facts import facts_of
from renga.actions.files import Files, path_of
from renga.actions.testfile import example_test, where_tests_go
from renga.actions.validate import Excluded
from renga.context.types import estimate_tokens
from renga.model.errors import ModelError
from renga.prompts.actions import EDIT_SYSTEM, Shown, action_prompt, test_note

if TYPE_CHECKING:
    from renga.server import RengaServer

log = logging.getLogger(__name__)

CMD_APPLY_ACTION = "renga.applyAction"
CMD_REFACTOR = "renga.refactor"
CMD_REFACTOR_WORKSPACE = "renga.refactorWorkspace"
COMMANDS = [CMD_APPLY_ACTION, CMD_REFACTOR, CMD_REFACTOR_WORKSPACE]
RUN, CANCEL = "Run", "Cancel"


def result(applied: bool, files: int, message: str) -> dict[str, Any]:
    return {"applied": applied, "files": files, "message": message}


def plain(value: Any) -> Any:
    """Command arguments and ``data`` as plain JSON values (pygls may hand over namedtuples)."""
    if hasattr(value, "_asdict"):
        value = value._asdict()
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    return value


def workspace_folders(ls: RengaServer) -> list[Path]:
    folders = [path_of(f.uri) for f in ls.workspace.folders.values()]
    found = [f for f in folders if f is not None]
    if not found and ls.workspace.root_uri:
        root = path_of(ls.workspace.root_uri)
        found = [root] if root else []
    return found


def files_of(ls: RengaServer) -> Files:
    return Files(
        workspace_folders(ls),
        ls.documents,
        ls.encoding,
        max_bytes=ls.settings.context.max_file_bytes,
    )


def excluded_of(ls: RengaServer) -> Excluded:
    excluded = ls.context_sources().excluded
    return lambda path: excluded(str(path))


def tell(ls: RengaServer, message: str, kind: types.MessageType = types.MessageType.Error) -> None:
    ls.window_show_message(types.ShowMessageParams(type=kind, message=message))


def _supports_resolving_edits(ls: RengaServer) -> bool:
    caps = ls.client_capabilities.text_document
    action = caps.code_action if caps else None
    support = action.resolve_support if action else None
    return bool(support and "edit" in support.properties)


# -- listing -----------------------------------------------------------------------------


def code_actions(ls: RengaServer, params: types.CodeActionParams) -> list[types.CodeAction]:
    doc = ls.documents.get(params.text_document.uri)
    if doc is None:
        return []
    actions = catalog.offered(doc, params)
    if not _supports_resolving_edits(ls):
        for action in actions:
            action.command = types.Command(
                title=action.title, command=CMD_APPLY_ACTION, arguments=[action.data]
            )
    return actions


# -- one action --------------------------------------------------------------------------


@dataclass
class Prepared:
    job: engine.Job
    model_name: str


def prepare_action(ls: RengaServer, files: Files, data: dict[str, Any]) -> Prepared | str:
    """The job for a listed action; a string says why it cannot run."""
    spec = catalog.SPECS.get(str(data.get("action")))
    uri = str(data.get("uri"))
    doc = ls.documents.get(uri)
    path = path_of(uri)
    if spec is None or doc is None or path is None:
        return "renga: this action is no longer available; ask for the actions again."
    if doc.version != data.get("version"):
        return "renga: the document changed since the actions were listed; nothing was changed."
    target = data.get("target") or [0, 0]
    start, end = int(target[0]), int(target[1])
    source = files.read(path)
    language = doc.language.name if doc.language else doc.language_id
    shown = Shown(files.relative(path), source.text, language)
    text = doc.source[start:end].decode("utf-8", errors="replace")
    line = doc.source[:start].count(b"\n") + 1
    around = (len(doc.source[:start].decode("utf-8", errors="replace")),) * 2
    task = spec.task.format(
        name=data.get("name", ""), kind=data.get("kind", ""), diagnostic=data.get("diagnostic", "")
    )
    extra: list[Shown] = []
    note = ""
    allowed = {path}
    if spec.id == "test":
        facts = facts_of(doc.language)
        root = files.root or path.parent
        destination = where_tests_go(path, root, facts)
        if destination is None:
            return "renga: no test location is known for this language."
        destination = files.locate(str(destination))
        test_file = files.read(destination)
        example = None
        if test_file.exists:
            extra.append(Shown(files.relative(destination), test_file.text, language))
        else:
            found = example_test(destination, facts)
            if found:
                example = files.relative(found[0])
                extra.append(Shown(example, found[1], language))
        note = test_note(files.relative(destination), test_file.exists, example)
        allowed = {destination}
    prompt = action_prompt(shown, task, text, line, (around[0], around[1]), extra, note)
    job = engine.Job(
        title=spec.title.format(name=data.get("name", ""), diagnostic=data.get("diagnostic", "")),
        role=spec.role,
        feature=spec.feature,
        system=EDIT_SYSTEM,
        prompt=prompt,
        files=files,
        allowed=allowed,
        max_tokens=min(8192, ls.settings.cost.max_tokens_per_request),
        expected_output=estimate_tokens(text) * 3 // 2 + 300,
    )
    return Prepared(job, ls.model.models(spec.role)[0])


async def confirmed(ls: RengaServer, what: str, usd: float) -> bool:
    """Whether a refactor estimated at ``usd`` may run: asks when above the configured limit."""
    limit = ls.settings.cost.confirm_above_usd
    if usd <= limit:
        return True
    try:
        answer = await ls.window_show_message_request_async(
            types.ShowMessageRequestParams(
                type=types.MessageType.Info,
                message=f"renga: {what} is estimated at ${usd:.2f} (above ${limit:.2f}). Run it?",
                actions=[types.MessageActionItem(RUN), types.MessageActionItem(CANCEL)],
            )
        )
    except Exception as exc:  # a client that cannot ask: do not spend without consent
        log.info("cost confirmation failed: %s", exc)
        return False
    return answer is not None and answer.title == RUN


@dataclass
class Computed:
    edit: types.WorkspaceEdit | None
    files: int
    message: str


async def compute(ls: RengaServer, files: Files, prepared: Prepared, label: str) -> Computed:
    """Run the job, check staleness, and build the edit; failures are told to the user."""
    job = prepared.job
    if prepared.job.role == "smart":
        usd = engine.estimate_usd(
            prepared.model_name, job.system, job.prompt, output_tokens=job.expected_output
        )
        if not await confirmed(ls, f"“{job.title}”", usd):
            return Computed(None, 0, "cancelled: the cost was not confirmed")
    problem = ls.model.problem()
    if problem:
        message = f"renga: {job.title} needs the model: {problem}."
        tell(ls, message)
        return Computed(None, 0, message)
    try:
        outcome = await engine.run(ls.model, job, excluded_of(ls))
    except ModelError as exc:
        message = f"renga: {job.title} failed: {exc}"
        tell(ls, message)
        return Computed(None, 0, message)
    if outcome.error is not None:
        message = (
            f"renga: {job.title}: the model's edit failed the checks twice and was not applied "
            f"({outcome.error}). [{outcome.cost.words()}]"
        )
        tell(ls, message)
        return Computed(None, 0, message)
    changed = workspace_edit.stale(outcome.checked, files)
    if changed:
        message = (
            f"renga: {', '.join(changed)} changed while “{job.title}” ran; nothing was changed. "
            "Run it again."
        )
        tell(ls, message, types.MessageType.Warning)
        return Computed(None, 0, message)
    edit = workspace_edit.build(
        outcome.checked,
        label,
        outcome.summary or job.title,
        ls.encoding,
        ls.client_capabilities,
    )
    names = ", ".join(files.relative(c.file.path) for c in outcome.checked)
    message = f"{outcome.summary or job.title} ({names}; {outcome.cost.words()})"
    return Computed(edit, len(outcome.checked), message)


async def apply(ls: RengaServer, files: Files, computed: Computed, label: str) -> dict[str, Any]:
    if computed.edit is None:
        return result(False, 0, computed.message)
    answer = await ls.workspace_apply_edit_async(
        types.ApplyWorkspaceEditParams(edit=computed.edit, label=label)
    )
    if not answer.applied:
        reason = answer.failure_reason or "the editor refused the edit"
        return result(False, computed.files, f"not applied: {reason}")
    return result(True, computed.files, computed.message)


async def resolve(ls: RengaServer, action: types.CodeAction) -> types.CodeAction:
    data = plain(action.data)
    if not isinstance(data, dict) or action.edit is not None:
        return action
    files = files_of(ls)
    prepared = prepare_action(ls, files, data)
    if isinstance(prepared, str):
        tell(ls, prepared, types.MessageType.Warning)
        return action
    computed = await compute(ls, files, prepared, action.title)
    action.edit = computed.edit
    return action


async def apply_action(ls: RengaServer, args: Any) -> dict[str, Any]:
    data = plain(args[0]) if args else None
    if not isinstance(data, dict):
        return result(False, 0, "renga.applyAction needs the action's data")
    files = files_of(ls)
    prepared = prepare_action(ls, files, data)
    if isinstance(prepared, str):
        tell(ls, prepared, types.MessageType.Warning)
        return result(False, 0, prepared)
    label = prepared.job.title
    return await apply(ls, files, await compute(ls, files, prepared, label), label)


# -- free-text refactor ------------------------------------------------------------------


def _offset(ls: RengaServer, uri: str, position: Any) -> int | None:
    doc = ls.documents.get(uri)
    if doc is None or not isinstance(position, dict):
        return None
    try:
        return doc.offset_at(int(position["line"]), int(position["character"]))
    except (KeyError, TypeError, ValueError):
        return None


def prepare_refactor(
    ls: RengaServer, files: Files, uri: str, rng: Any, instruction: str
) -> Prepared | str:
    path = path_of(uri)
    if path is None:
        return f"renga: cannot refactor {uri}: not a file"
    source = files.read(path)
    doc = ls.documents.get(uri) or source.document(ls.encoding)
    start = end = None
    if isinstance(rng, dict):
        start = _offset(ls, uri, rng.get("start"))
        end = _offset(ls, uri, rng.get("end"))
    if start is not None and (end is None or end <= start):
        # A cursor: the enclosing function or class.
        definition = catalog.innermost(doc, start)
        start, end = (definition.start, definition.end) if definition else (None, None)
    language = doc.language.name if doc.language else doc.language_id
    shown = Shown(files.relative(path), source.text, language)
    target, line, around = "", 1, None
    if start is not None and end is not None:
        target = doc.source[start:end].decode("utf-8", errors="replace")
        line = doc.source[:start].count(b"\n") + 1
        at = len(doc.source[:start].decode("utf-8", errors="replace"))
        around = (at, at + len(target))
        task = f"{instruction}\n(Refactor the target; change the rest of the file only as needed.)"
    else:
        task = instruction
    job = engine.Job(
        title=f"refactor: {instruction[:60]}",
        role="smart",
        feature="refactor",
        system=EDIT_SYSTEM,
        prompt=action_prompt(shown, task, target, line, around),
        files=files,
        allowed={path},
        max_tokens=min(16384, ls.settings.cost.max_tokens_per_request),
        expected_output=estimate_tokens(target or source.text) * 3 // 2 + 300,
    )
    return Prepared(job, ls.model.models("smart")[0])


async def refactor(ls: RengaServer, args: Any) -> dict[str, Any]:
    data = plain(args[0]) if args else None
    if not isinstance(data, dict) or not isinstance(data.get("uri"), str):
        return result(False, 0, 'renga.refactor needs [{"uri", "range", "instruction"}]')
    instruction = str(data.get("instruction") or "").strip()
    if not instruction:
        return result(False, 0, "renga.refactor needs an instruction")
    files = files_of(ls)
    try:
        prepared = prepare_refactor(ls, files, data["uri"], data.get("range"), instruction)
    except (OSError, UnicodeDecodeError, ValueError) as exc:
        prepared = f"renga: cannot read {data['uri']}: {exc}"
    if isinstance(prepared, str):
        tell(ls, prepared)
        return result(False, 0, prepared)
    label = f"renga: {instruction[:60]}"
    return await apply(ls, files, await compute(ls, files, prepared, label), label)
