"""Which code actions a cursor offers, answered without a model call.

The list is built from the document's existing tree (the tags of the definitions around the
cursor) and the diagnostics the client sends; each action carries what its edit needs later
(``data``), when the user picks it. Nothing here waits on the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from lsprotocol import types

from renga.actions.facts import facts_of
from renga.model.request import Role
from renga.syntax.document import Document
from renga.syntax.tags import Definition, extract, header

QUICKFIX = "quickfix"
REWRITE = "refactor.rewrite"
KINDS = [QUICKFIX, REWRITE, "refactor"]
# Definitions of these kinds take docstrings, annotations, tests and async.
CALLABLE = ("function", "method")
DOCUMENTED = ("function", "method", "class", "interface", "type", "module", "impl", "enum")


@dataclass(frozen=True)
class ActionSpec:
    id: str
    title: str  # ``{name}``: the target's name
    kind: str
    role: Role
    # The task given to the model; ``{name}``, ``{kind}`` and ``{diagnostic}`` are filled in.
    task: str

    @property
    def feature(self) -> str:
        """The ledger's name for this action's usage."""
        return f"action.{self.id}"


SPECS: dict[str, ActionSpec] = {
    s.id: s
    for s in (
        ActionSpec(
            "fix",
            "renga: Fix “{diagnostic}”",
            QUICKFIX,
            "fast",
            "Fix the problem this diagnostic reports, with the smallest change that fixes it:\n"
            "{diagnostic}",
        ),
        ActionSpec(
            "docstring",
            "renga: Add a docstring to {name}",
            f"{REWRITE}.renga.docstring",
            "fast",
            "Add a docstring (or the documentation comment this language uses) to the {kind} "
            "`{name}`, in the style of the file's other docstrings. Change nothing else.",
        ),
        ActionSpec(
            "docstring.update",
            "renga: Update the docstring of {name}",
            f"{REWRITE}.renga.docstring",
            "fast",
            "Update the docstring of the {kind} `{name}` so that it matches what the code does "
            "now. Change nothing else.",
        ),
        ActionSpec(
            "annotate",
            "renga: Add type annotations to {name}",
            f"{REWRITE}.renga.annotate",
            "fast",
            "Add type annotations to the parameters and the return type of the {kind} `{name}` "
            "(and to its local variables where a reader needs them). Change no behaviour.",
        ),
        ActionSpec(
            "test",
            "renga: Generate a unit test for {name}",
            "refactor.renga.test",
            "fast",
            "Write unit tests for the {kind} `{name}`: the normal case, edge cases and errors.",
        ),
        ActionSpec(
            "simplify",
            "renga: Simplify {name}",
            f"{REWRITE}.renga.simplify",
            "smart",
            "Simplify the code of {name} without changing its behaviour: remove duplication and "
            "needless branches, use the language's idioms.",
        ),
        ActionSpec(
            "extract",
            "renga: Extract a function from the selection",
            f"{REWRITE}.renga.extract",
            "smart",
            "Extract the selected code into a new, well-named function (placed before the "
            "enclosing definition), and call it where the code was.",
        ),
        ActionSpec(
            "async",
            "renga: Convert {name} to async",
            f"{REWRITE}.renga.async",
            "smart",
            "Convert the {kind} `{name}` to an async function, awaiting what it calls that can be "
            "awaited, and update its callers in this file.",
        ),
    )
}


@dataclass(frozen=True)
class Target:
    """What an action works on: a byte range of the document and its name."""

    start: int
    end: int
    name: str
    kind: str


def innermost(doc: Document, offset: int) -> Definition | None:
    """The innermost definition with a body around ``offset`` (header included)."""
    if doc.language is None or doc.tree is None:
        return None
    tags = extract(doc.language, doc.tree, doc.source, (offset, min(offset + 1, len(doc.source))))
    around = [d for d in tags.definitions if d.is_scope and d.start <= offset <= d.end]
    return max(around, key=lambda d: d.start) if around else None


def _wanted(kind: str, only: list[str] | None) -> bool:
    return not only or any(kind == o or kind.startswith(o + ".") for o in only)


def _offer(spec: ActionSpec, title: str, data: dict[str, Any]) -> types.CodeAction:
    return types.CodeAction(title=title, kind=spec.kind, data={**data, "action": spec.id})


def offered(doc: Document, params: types.CodeActionParams) -> list[types.CodeAction]:
    """The actions for a cursor or selection, each with ``data`` for resolving it later."""
    only = [str(k) for k in params.context.only] if params.context.only else None
    rng = params.range
    start = doc.offset_at(rng.start.line, rng.start.character)
    end = max(start, doc.offset_at(rng.end.line, rng.end.character))
    base = {"uri": doc.uri, "version": doc.version}
    actions: list[types.CodeAction] = []

    fix = SPECS["fix"]
    if _wanted(fix.kind, only):
        for diagnostic in params.context.diagnostics:
            message = diagnostic.message.strip().splitlines()[0] if diagnostic.message else ""
            short = message if len(message) <= 60 else message[:57] + "…"
            r = diagnostic.range
            d_start = doc.offset_at(r.start.line, r.start.character)
            d_end = max(d_start, doc.offset_at(r.end.line, r.end.character))
            source = f"{diagnostic.source}: " if diagnostic.source else ""
            action = _offer(
                fix,
                fix.title.format(diagnostic=short),
                {
                    **base,
                    "target": [d_start, d_end],
                    "name": "",
                    "kind": "",
                    "diagnostic": f"{source}{message} (line {r.start.line + 1})",
                },
            )
            action.diagnostics = [diagnostic]
            actions.append(action)

    definition = innermost(doc, start)
    facts = facts_of(doc.language)
    chosen: list[tuple[ActionSpec, Target]] = []
    if definition is not None:
        target = Target(definition.start, definition.end, definition.name, definition.kind)
        if definition.kind in DOCUMENTED:
            doc_spec = SPECS["docstring.update" if definition.doc else "docstring"]
            chosen.append((doc_spec, target))
        if definition.kind in CALLABLE:
            chosen.append((SPECS["annotate"], target))
            if facts.test_file:
                chosen.append((SPECS["test"], target))
        if end == start:
            chosen.append((SPECS["simplify"], target))
        if (
            definition.kind in CALLABLE
            and facts.async_keyword
            and facts.async_keyword not in header(doc.source, definition).split()
        ):
            chosen.append((SPECS["async"], target))
    if end > start:
        selection = Target(start, end, "the selection", "selection")
        chosen.append((SPECS["simplify"], selection))
        chosen.append((SPECS["extract"], selection))
    for spec, target in chosen:
        if not _wanted(spec.kind, only):
            continue
        actions.append(
            _offer(
                spec,
                spec.title.format(name=target.name),
                {
                    **base,
                    "target": [target.start, target.end],
                    "name": target.name,
                    "kind": target.kind,
                    "diagnostic": "",
                },
            )
        )
    return actions
