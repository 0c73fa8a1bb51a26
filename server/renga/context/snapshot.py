"""What a context source reads: immutable snapshots, safe to hand to a worker thread.

The document objects belong to the server's event loop, which edits their trees in place; a
source running late on a worker thread reads only these copies (bytes are immutable, a
``tree.copy()`` is cheap and private).
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import tree_sitter as ts

from renga.context.tagcache import CachedTags, TagCache
from renga.context.types import SymbolIndex
from renga.syntax.document import Document
from renga.syntax.languages import Language


@dataclass(frozen=True)
class DocSnapshot:
    uri: str
    # The file system path (for exclusion) and the path shown to the model.
    path: str
    shown: str
    language: Language | None
    source: bytes
    tree: ts.Tree | None
    version: int
    # (start, end, monotonic time) of the last edit, in bytes of ``source``.
    last_edit: tuple[int, int, float] | None = None

    @classmethod
    def of(cls, doc: Document, path: str, root: str | None) -> DocSnapshot:
        edit = doc.last_edit
        return cls(
            uri=doc.uri,
            path=path,
            shown=shown_path(path, root),
            language=doc.language,
            source=doc.source,
            tree=doc.tree.copy() if doc.tree is not None else None,
            version=doc.version,
            last_edit=(edit.start, edit.end, edit.at) if edit is not None else None,
        )

    def tags(self, cache: TagCache) -> CachedTags:
        return cache.get(self.uri, self.language, self.tree, self.source, self.version)


def shown_path(path: str, root: str | None) -> str:
    """``path`` relative to the workspace root when it lies inside it."""
    if root:
        try:
            rel = os.path.relpath(path, root)
        except ValueError:
            return path
        if not rel.startswith(".."):
            return rel.replace(os.sep, "/")
    return path


def path_of(uri: str) -> str:
    if uri.startswith("file://"):
        from urllib.parse import unquote, urlsplit

        return unquote(urlsplit(uri).path)
    return uri


@dataclass
class Cursor:
    """One completion's inputs for the sources."""

    doc: DocSnapshot
    offset: int
    tags: CachedTags
    # The live window (bytes of ``doc.source``) and other ranges of the file already shown.
    window: tuple[int, int]
    visible: list[tuple[int, int]] = field(default_factory=list)
    others: list[DocSnapshot] = field(default_factory=list)
    index: SymbolIndex | None = None
    excluded: Callable[[str], bool] = lambda path: False
    root: str | None = None
    # Estimated tokens the source may fill.
    budget: int = 1000
    # The candidate names near the cursor, most telling first (set by the definitions source,
    # read by the ones after it).
    near_names: list[str] = field(default_factory=list)

    def shows(self, start: int, end: int) -> bool:
        """Whether bytes ``start:end`` of the document are already in the prompt."""
        lo, hi = self.window
        if lo <= start and end <= hi:
            return True
        return any(a <= start and end <= b for a, b in self.visible)


def clock() -> float:
    """The clock of source budgets: this thread's CPU time. On a loaded machine wall time also
    counts the waits for a core, which no source can shorten; a budget in CPU time bounds the
    work a source does, so what is dropped does not depend on the neighbours' load."""
    return time.thread_time()


def late(deadline: float) -> bool:
    return clock() > deadline
