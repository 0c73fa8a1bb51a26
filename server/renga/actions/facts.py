"""Per-language facts the actions need, read from the ``[actions]`` table of ``language.toml``.

Python code never asks which language it is looking at: it asks these facts (where tests live,
how a test file is named, which keyword marks async code), and a language without them simply
does not get the actions that need them.
"""

from __future__ import annotations

import logging
import tomllib
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from renga.syntax.languages import Language

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class ActionFacts:
    # Folders (relative to the workspace root) tried in order; empty: tests sit beside the source.
    test_folders: tuple[str, ...] = ()
    # Test file name pattern with ``{stem}`` and ``{ext}`` of the source; empty: no test action.
    test_file: str = ""
    # Source folders whose layout the test folder mirrors (``src/main/java``).
    source_roots: tuple[str, ...] = ()
    # The keyword of async functions; empty when the language has none.
    async_keyword: str = ""


@cache
def _facts_in(folder: Path) -> ActionFacts:
    try:
        data = tomllib.loads((folder / "language.toml").read_text("utf-8")).get("actions", {})
    except (OSError, tomllib.TOMLDecodeError) as exc:
        log.warning("no action facts for %s: %s", folder.name, exc)
        return ActionFacts()
    return ActionFacts(
        test_folders=tuple(str(x) for x in data.get("test_folders", [])),
        test_file=str(data.get("test_file", "")),
        source_roots=tuple(str(x) for x in data.get("source_roots", [])),
        async_keyword=str(data.get("async_keyword", "")),
    )


def facts_of(language: Language | None) -> ActionFacts:
    return ActionFacts() if language is None else _facts_in(language.spec.folder)
