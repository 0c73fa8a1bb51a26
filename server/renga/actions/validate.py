"""The checks every model edit passes before it is offered to the user.

An edit is offered only when each file it touches lies inside a workspace folder (and is not
excluded), each replaced text exists exactly once in the text the edit was computed against,
edits do not overlap, and the result parses without syntax errors the file did not already
have. The messages are written for the model: a failed answer is sent back once with them.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import tree_sitter as ts

from renga.actions.files import Files, FileText
from renga.actions.proposal import Replacement
from renga.privacy import inside
from renga.syntax.languages import Language

Excluded = Callable[[Path], bool]


def nothing_excluded(path: Path) -> bool:
    return False


@dataclass
class CheckedFile:
    file: FileText
    # Byte ranges of the old text and what replaces them, in file order, not overlapping.
    edits: list[tuple[int, int, bytes]]
    new_text: str

    @property
    def creates(self) -> bool:
        return not self.file.exists


def inside_workspace(path: Path, folders: list[Path]) -> bool:
    # Resolved (links followed) by the one place that judges paths: a link out is outside.
    return inside(path, folders)


def where_allowed(path: Path, files: Files, excluded: Excluded) -> str | None:
    """Why an edit may not touch ``path``; None when it may."""
    if not files.folders:
        return "there is no workspace folder to edit in"
    if not inside_workspace(path, files.folders):
        return f"{path} is outside the workspace folders"
    if excluded(path):
        return f"{files.relative(path)} is excluded from renga"
    return None


def error_offsets(language: Language | None, source: bytes) -> list[int]:
    """Byte offsets of the syntax errors (error and missing nodes) in ``source``."""
    if language is None:
        return []
    tree = language.parser().parse(source)
    found: list[int] = []
    stack: list[ts.Node] = [tree.root_node]
    while stack:
        node = stack.pop()
        if node.is_error or node.is_missing:
            found.append(node.start_byte)
        elif node.has_error:
            stack.extend(node.children)
    return sorted(found)


def _find(source: bytes, old: bytes) -> list[int]:
    hits, start = [], source.find(old)
    while start >= 0:
        hits.append(start)
        start = source.find(old, start + 1)
    return hits


def _locate(source: bytes, replacement: Replacement, label: str) -> tuple[int, int, bytes]:
    """Where the replaced text is (start, end) and what replaces it, in the file's bytes."""
    old = replacement.old_text.encode("utf-8", errors="surrogatepass")
    new = replacement.new_text.encode("utf-8", errors="surrogatepass")
    hits = _find(source, old)
    if not hits and b"\r\n" in source and b"\r\n" not in old:
        # The model wrote the file's CRLF line endings as newlines: keep the file's endings.
        old = old.replace(b"\n", b"\r\n")
        new = new.replace(b"\r\n", b"\n").replace(b"\n", b"\r\n")
        hits = _find(source, old)
    if not hits:
        raise ValueError(f"{label}: old_text does not occur in the file; copy it exactly")
    if len(hits) > 1:
        raise ValueError(
            f"{label}: old_text occurs {len(hits)} times; include more lines so it is unique"
        )
    return hits[0], hits[0] + len(old), new


def _check_file(
    file: FileText, replacements: list[tuple[int, Replacement]], name: str
) -> CheckedFile:
    source = file.text.encode("utf-8", errors="surrogatepass")
    edits: list[tuple[int, int, bytes]] = []
    for number, replacement in replacements:
        label = f"edit {number} ({name})"
        new = replacement.new_text.encode("utf-8", errors="surrogatepass")
        if replacement.old_text == "":
            if file.exists and source:
                # Appending: keep the file's last line intact.
                sep = b"" if source.endswith(b"\n") else b"\n"
                edits.append((len(source), len(source), sep + new))
            else:
                edits.append((0, len(source), new))
            continue
        if not file.exists:
            raise ValueError(f"{label}: no such file; an empty old_text creates it")
        edits.append(_locate(source, replacement, label))
    edits.sort(key=lambda e: (e[0], e[1]))
    for (_, e1, _), (s2, _, _) in itertools.pairwise(edits):
        if s2 < e1:
            raise ValueError(f"{name}: two edits overlap; merge them into one")
    result = bytearray(source)
    for start, end, new in reversed(edits):
        result[start:end] = new
    new_source = bytes(result)
    if new_source == source:
        raise ValueError(f"{name}: the edits change nothing")
    before = error_offsets(file.language, source)
    after = error_offsets(file.language, new_source)
    if len(after) > len(before):
        line = new_source[: after[0]].count(b"\n") + 1
        raise ValueError(
            f"{name}: the result does not parse (syntax error near line {line}); "
            "send edits whose result is valid code"
        )
    return CheckedFile(file, edits, new_source.decode("utf-8", errors="surrogatepass"))


def check(
    replacements: list[Replacement],
    files: Files,
    *,
    allowed: set[Path] | None = None,
    excluded: Excluded = nothing_excluded,
) -> tuple[list[CheckedFile], list[str]]:
    """The edits grouped by file and checked; the errors found (all of them, for the retry)."""
    by_path: dict[Path, list[tuple[int, Replacement]]] = {}
    errors: list[str] = []
    for number, replacement in enumerate(replacements, start=1):
        path = files.locate(replacement.path)
        problem = where_allowed(path, files, excluded)
        if problem is None and allowed is not None and path not in allowed:
            names = ", ".join(sorted(files.relative(p) for p in allowed))
            problem = f"{replacement.path} is not a file this task may change (only {names})"
        if problem is not None:
            errors.append(f"edit {number}: {problem}")
            continue
        by_path.setdefault(path, []).append((number, replacement))
    checked: list[CheckedFile] = []
    for path, items in by_path.items():
        name = files.relative(path)
        try:
            file = files.read(path)
            checked.append(_check_file(file, items, name))
        except (OSError, UnicodeDecodeError) as exc:
            errors.append(f"{name}: cannot be read: {exc}")
        except ValueError as exc:
            errors.append(str(exc))
    return checked, errors
