"""Where a generated unit test goes: the project's usual test location, from its layout.

The language says which folders hold tests and how a test file is named; the project says which
of those folders exists and how deep its tests mirror the source tree. The test goes into the
deepest existing folder that mirrors the source file's folder (``tests/actions/`` for
``server/renga/actions/x.py``), else into the test folder itself, else beside the source.
"""

from __future__ import annotations

from pathlib import Path, PurePosixPath

from renga.actions.facts import ActionFacts

# Files read to show the model how this project writes its tests.
EXAMPLE_LIMIT = 4000


def _strip_root(parts: tuple[str, ...], roots: tuple[str, ...]) -> tuple[str, ...]:
    for root in roots:
        prefix = PurePosixPath(root).parts
        if parts[: len(prefix)] == prefix:
            return parts[len(prefix) :]
    return parts


def where_tests_go(source: Path, workspace: Path, facts: ActionFacts) -> Path | None:
    """The test file for ``source`` (it may not exist yet); None when the language names none."""
    if not facts.test_file:
        return None
    name = facts.test_file.format(stem=source.stem, ext=source.suffix)
    try:
        folders = source.parent.relative_to(workspace).parts
    except ValueError:
        return source.parent / name
    for candidate in facts.test_folders:
        base = workspace / candidate
        if not base.is_dir():
            continue
        if facts.source_roots:
            # Packages must mirror exactly (Java): the folder is created when missing.
            return base.joinpath(*_strip_root(folders, facts.source_roots)) / name
        for depth in range(len(folders), 0, -1):
            mirrored = base.joinpath(*folders[-depth:])
            if mirrored.is_dir():
                return mirrored / name
        return base / name
    if facts.test_folders:
        # No test folder yet: create the language's first choice.
        base = workspace / facts.test_folders[0]
        if facts.source_roots:
            return base.joinpath(*_strip_root(folders, facts.source_roots)) / name
        return base / name
    return source.parent / name


def example_test(path: Path, facts: ActionFacts) -> tuple[Path, str] | None:
    """A test file near ``path`` to show the model the project's test style, if one exists."""
    if not facts.test_file or not path.parent.is_dir():
        return None
    pattern = facts.test_file.format(stem="*", ext=path.suffix)
    for folder in (path.parent, path.parent.parent):
        for candidate in sorted(folder.glob(pattern))[:20]:
            if candidate != path and candidate.is_file():
                try:
                    return candidate, candidate.read_text("utf-8")[:EXAMPLE_LIMIT]
                except (OSError, UnicodeDecodeError):
                    continue
    return None
