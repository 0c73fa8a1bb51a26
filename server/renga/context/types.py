"""The context of a cursor, as sections the prompt builder lays out."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Protocol

if TYPE_CHECKING:
    from renga.syntax.document import Document


def estimate_tokens(text: str) -> int:
    """A local token estimate (no offline Claude tokenizer exists); about 3.5 characters a token
    for code. Callers calibrate it against the usage the API reports."""
    return (len(text) * 2 + 6) // 7


@dataclass
class Section:
    """A piece of context: ``kind`` says what it is (scope, import, definition, recent edit),
    ``source`` where it came from (a path, or ``buffer``)."""

    kind: str
    source: str
    text: str
    # Stable sections go first in the prompt, where the prompt cache can hold them.
    stable: bool = False

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


@dataclass
class CursorContext:
    """Everything the prompt builder needs for one completion."""

    path: str
    language: str
    prefix: str
    suffix: str
    indent: str = ""
    sections: list[Section] = field(default_factory=list)
    # Whether a multi-line completion (a block) is wanted here, or the rest of the line.
    multiline: bool = True
    # 0-based line where the live window (``prefix``) starts.
    first_line: int = 0
    # Whether the stable sections (with the system prompt) reach the fast model's cache
    # minimum, so the prompt marks them with ``cache_control``; they are never padded to it.
    cache_stable: bool = False


@dataclass(frozen=True)
class IndexedDefinition:
    """A definition found by the workspace index: enough to show it without opening the file."""

    path: str
    name: str
    kind: str
    line: int
    # Signature and docstring (``syntax.tags.summary``), never the whole body.
    summary: str
    # The definition's last line (0-based): the members of a class lie between ``line`` and it.
    end_line: int = -1


class SymbolIndex(Protocol):
    """What the context engine and the refactor planner ask of the workspace index."""

    def lookup(self, name: str, limit: int = 5) -> list[IndexedDefinition]: ...

    def files(self) -> list[str]: ...

    def definitions_in(self, path: str) -> list[IndexedDefinition]: ...


def _nothing_excluded(path: str) -> bool:
    return False


@dataclass
class ContextSources:
    """What a context may draw on besides the document at the cursor; every part may be empty.

    The server fills this from its state; ``renga context`` fills it from a folder on disk."""

    # Open documents by URI (the cursor's own included; sources skip it).
    documents: Mapping[str, Document] = field(default_factory=dict)
    index: SymbolIndex | None = None
    # Privacy: a path for which this is true never contributes context.
    excluded: Callable[[str], bool] = _nothing_excluded
    # The workspace folder, for paths shown relative to it.
    root: str | None = None
