"""Languages as data.

Each folder under ``grammars/`` describes one language in ``language.toml`` (which grammar wheel
provides it, the LSP language ids and file extensions that map to it) and holds its tree-sitter
queries (``*.scm``). Python code never names a language's node types: it knows the capture
vocabulary of the queries only. Adding a language is adding a grammar wheel and a folder.
"""

from __future__ import annotations

import importlib
import logging
import threading
import tomllib
from dataclasses import dataclass, field
from functools import cache
from pathlib import Path, PurePath

import tree_sitter as ts

log = logging.getLogger(__name__)


def grammars_dir() -> Path:
    """The grammars folder: packaged inside ``renga`` in a wheel, at the repo root in a checkout."""
    packaged = Path(__file__).resolve().parent.parent / "grammars"
    if packaged.is_dir():
        return packaged
    return Path(__file__).resolve().parents[3] / "grammars"


@dataclass(frozen=True)
class LanguageSpec:
    """What ``language.toml`` says about a language. Loading the grammar is deferred."""

    name: str
    module: str
    function: str
    language_ids: tuple[str, ...]
    extensions: tuple[str, ...]
    line_comment: str
    folder: Path
    # Languages whose queries come first in this one's (a dialect such as TSX adds to TypeScript's
    # patterns rather than copying them; tree-sitter queries cannot include each other).
    inherits: tuple[str, ...] = ()
    # Names the language (or its standard library) defines: never looked up in the project.
    builtins: frozenset[str] = frozenset()
    # A regular expression matching the header of a method of type ``{name}`` declared outside
    # the type's body (Go's receivers); empty when methods live inside it.
    member_header: str = ""


@dataclass
class Language:
    """A loaded language: its tree-sitter grammar and its queries, each compiled once."""

    spec: LanguageSpec
    ts_language: ts.Language
    _queries: dict[str, ts.Query | None] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def name(self) -> str:
        return self.spec.name

    def parser(self) -> ts.Parser:
        # Parsers are cheap but not thread-safe: one per document, never shared.
        return ts.Parser(self.ts_language)

    def query_source(self, kind: str) -> str | None:
        """The text of the ``<kind>.scm`` query: the inherited languages' files, then this
        language's own; None when none of them has one."""
        parts = []
        for name in (*self.spec.inherits, self.spec.name):
            path = self.spec.folder.parent / name / f"{kind}.scm"
            if path.is_file():
                parts.append(path.read_text("utf-8"))
        return "\n".join(parts) if parts else None

    def query(self, kind: str) -> ts.Query | None:
        """The compiled ``<kind>.scm`` query, or None when the language has none."""
        with self._lock:
            if kind not in self._queries:
                text = self.query_source(kind)
                self._queries[kind] = ts.Query(self.ts_language, text) if text else None
            return self._queries[kind]


def _read_spec(folder: Path) -> LanguageSpec:
    data = tomllib.loads((folder / "language.toml").read_text("utf-8"))
    return LanguageSpec(
        name=str(data["name"]),
        module=str(data["module"]),
        function=str(data.get("function", "language")),
        language_ids=tuple(data.get("language_ids", [data["name"]])),
        extensions=tuple(data.get("extensions", [])),
        line_comment=str(data.get("line_comment", "")),
        folder=folder,
        inherits=tuple(data.get("inherits", [])),
        builtins=frozenset(data.get("builtins", [])),
        member_header=str(data.get("member_header", "")),
    )


class Registry:
    """All languages found under the grammars folder, loaded on first use."""

    def __init__(self, root: Path | None = None) -> None:
        self._specs: dict[str, LanguageSpec] = {}
        self._by_id: dict[str, str] = {}
        self._by_ext: dict[str, str] = {}
        self._loaded: dict[str, Language | None] = {}
        self._lock = threading.Lock()
        base = root or grammars_dir()
        for toml in sorted(base.glob("*/language.toml")):
            try:
                spec = _read_spec(toml.parent)
            except (OSError, KeyError, tomllib.TOMLDecodeError) as exc:
                log.warning("skipping grammar %s: %s", toml.parent.name, exc)
                continue
            self._specs[spec.name] = spec
            for lid in spec.language_ids:
                self._by_id[lid] = spec.name
            for ext in spec.extensions:
                self._by_ext[ext] = spec.name

    @property
    def specs(self) -> dict[str, LanguageSpec]:
        return dict(self._specs)

    def name_for(self, language_id: str | None, path: str | PurePath | None = None) -> str | None:
        """The language name for an LSP language id, falling back to the file extension."""
        if language_id and language_id in self._by_id:
            return self._by_id[language_id]
        if language_id and language_id in self._specs:
            return language_id
        if path is not None:
            suffix = PurePath(path).suffix.lower()
            return self._by_ext.get(suffix)
        return None

    def get(self, name: str) -> Language | None:
        """The loaded language, or None when unknown or its grammar wheel is missing."""
        with self._lock:
            if name not in self._loaded:
                self._loaded[name] = self._load(name)
            return self._loaded[name]

    def for_document(
        self, language_id: str | None, path: str | PurePath | None = None
    ) -> Language | None:
        name = self.name_for(language_id, path)
        return self.get(name) if name else None

    def installed(self) -> dict[str, bool]:
        """Each known language and whether its grammar wheel loads (for ``renga doctor``)."""
        return {name: self.get(name) is not None for name in self._specs}

    def _load(self, name: str) -> Language | None:
        spec = self._specs.get(name)
        if spec is None:
            return None
        try:
            module = importlib.import_module(spec.module)
            capsule = getattr(module, spec.function)()
            return Language(spec=spec, ts_language=ts.Language(capsule))
        except (ImportError, AttributeError, ValueError) as exc:
            log.warning("grammar for %s unavailable: %s", name, exc)
            return None


@cache
def registry() -> Registry:
    """The process-wide registry of the packaged grammars."""
    return Registry()
