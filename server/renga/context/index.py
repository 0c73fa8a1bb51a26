"""The workspace index: the definitions of every source file under the workspace folders.

Built in the background (one worker thread runs the build and every later update, in order) and
looked up from memory only, so a lookup never touches the disk and never waits for the build:
during the build it sees what is indexed so far. Tags are persisted in an SQLite file in the user
cache directory, keyed by path, size and mtime, so a restart re-reads only the files that changed;
the file also records a fingerprint of the queries, so a new grammar or query re-indexes all.

A source file is one whose extension maps to a language (``syntax.languages.registry()``). Skipped:
what ``.gitignore`` files ignore, what the injected ``excluded`` predicate (privacy settings)
excludes, version-control and dependency folders, virtualenvs, files over the size limit, binary
files and invalid UTF-8.
"""

from __future__ import annotations

import bisect
import contextlib
import hashlib
import logging
import marshal
import multiprocessing
import os
import queue
import re
import sqlite3
import sys
import threading
import time
from collections.abc import Callable, Iterable, Iterator, Sequence
from concurrent.futures import Future
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import pathspec
import platformdirs

from renga import __version__
from renga.context.types import IndexedDefinition
from renga.syntax.languages import Language, Registry, grammars_dir, registry
from renga.syntax.tags import Definition, extract, summary

log = logging.getLogger(__name__)

T = TypeVar("T")

# Bumped when the stored rows change meaning.
SCHEMA = 3
# Folders that never hold the workspace's own sources.
SKIPPED_DIRS = frozenset(
    {
        ".git",
        ".hg",
        ".svn",
        "node_modules",
        "__pycache__",
        ".venv",
        "venv",
        ".tox",
        ".nox",
        ".mypy_cache",
        ".pytest_cache",
        ".ruff_cache",
        ".cache",
    }
)
# A summary is a signature and a doc, not a listing: a long docstring or a constant holding a
# table is cut, to keep the index small and the prompt focused.
SUMMARY_MAX_LINES = 16
SUMMARY_MAX_CHARS = 1200
# Parsing and matching hold the GIL; feeding the parser in chunks and matching a big file in
# slices lets the event loop run in between, so indexing never stalls a completion.
PARSE_CHUNK = 4 * 1024
MATCH_SLICE = 16 * 1024
# How many parsed files go to SQLite in one transaction.
BATCH = 200
# From this many files to parse, a separate process parses them: both cores work, and the event
# loop never competes with the parser for the GIL. Fewer are parsed on the worker thread.
PROCESS_THRESHOLD = 200
CHILD_BATCH = 20
# Kinds shown before the others when a name has several definitions.
_KIND_RANK = {"class": 0, "struct": 0, "interface": 0, "type": 1, "enum": 1, "function": 2}

# (path, name, kind, line, summary): tuples, not objects, for 100k+ definitions in little memory.
# (path, name, kind, first line, summary, last line)
_Entry = tuple[str, str, str, int, str, int]


def _nothing_excluded(path: str) -> bool:
    return False


@dataclass
class BuildStats:
    files: int = 0
    # Read from the cache (unchanged since last time) and parsed anew.
    reused: int = 0
    parsed: int = 0
    skipped: int = 0
    removed: int = 0
    definitions: int = 0
    seconds: float = 0.0


@dataclass(frozen=True)
class Progress:
    done: int
    total: int
    message: str


def fingerprint() -> str:
    """What stored tags depend on: renga's version and every grammar's queries."""
    # marshal's format is the interpreter's: a new Python starts the cache again.
    digest = hashlib.sha256(f"{SCHEMA}:{__version__}:{sys.version_info[:2]}".encode())
    for scm in sorted([*grammars_dir().glob("*/*.scm"), *grammars_dir().glob("*/language.toml")]):
        digest.update(scm.parent.name.encode())
        digest.update(scm.read_bytes())
    return digest.hexdigest()[:16]


def default_cache_file(roots: Sequence[str]) -> Path:
    key = hashlib.sha256("\0".join(sorted(roots)).encode()).hexdigest()[:16]
    return Path(platformdirs.user_cache_dir("renga")) / "index" / f"{key}.sqlite3"


def _summary(source: bytes, definition: Definition) -> str:
    text = summary(source, definition)
    lines = text.splitlines()
    if len(lines) > SUMMARY_MAX_LINES:
        text = "\n".join(lines[:SUMMARY_MAX_LINES]) + "\n..."
    if len(text) > SUMMARY_MAX_CHARS:
        text = text[:SUMMARY_MAX_CHARS] + "..."
    return text


def _slices(tree_root: Any, size: int) -> Iterator[tuple[int, int]]:
    """Byte ranges of about ``size`` bytes, cut between top-level nodes and never between a
    comment (an extra) and what follows it, so a doc stays in the slice of its definition."""
    start = 0
    children = tree_root.children
    for i, child in enumerate(children):
        if child.start_byte - start < size or i == 0:
            continue
        if children[i - 1].is_extra:
            continue
        yield (start, child.start_byte)
        start = child.start_byte
    yield (start, max(tree_root.end_byte, start))


def definitions_of(language: Language, source: bytes) -> list[Definition]:
    """The definitions of a file, parsed and matched in pieces (see PARSE_CHUNK)."""
    parser = language.parser()
    tree = parser.parse(lambda byte, _point: source[byte : byte + PARSE_CHUNK])
    if len(source) <= MATCH_SLICE:
        return extract(language, tree, source, definitions_only=True).definitions
    found: dict[tuple[int, int, str], Definition] = {}
    for piece in _slices(tree.root_node, MATCH_SLICE):
        for d in extract(language, tree, source, piece, definitions_only=True).definitions:
            key = (d.start, d.end, d.name)
            known = found.get(key)
            if known is None or (known.doc is None and d.doc is not None):
                found[key] = d
    return sorted(found.values(), key=lambda d: (d.start, -d.end))


def entries_of(path: str, language: Language, data: bytes) -> list[_Entry]:
    path = sys.intern(path)
    ends = [m.start() for m in re.finditer(b"\n", data)]
    return [
        (
            path,
            sys.intern(d.name),
            sys.intern(d.kind),
            d.line,
            _summary(data, d),
            bisect.bisect_left(ends, max(d.start, d.end - 1)),
        )
        for d in definitions_of(language, data)
    ]


def read_entries(
    path: str, language: Language | None, max_file_bytes: int
) -> tuple[list[_Entry] | None, str]:
    """The entries of one file from disk, or None and why it is skipped."""
    if language is None:
        return None, "no grammar"
    try:
        with open(path, "rb") as f:
            data = f.read(max_file_bytes + 1)
    except OSError as exc:
        return None, str(exc)
    if len(data) > max_file_bytes:
        return None, f"over {max_file_bytes} bytes"
    if b"\0" in data[:8192]:
        return None, "binary"
    try:
        data.decode("utf-8")
    except UnicodeDecodeError:
        return None, "not UTF-8"
    try:
        return entries_of(path, language, data), ""
    except Exception as exc:  # a grammar or query fault must not end the build
        log.warning("index: failed on %s", path, exc_info=True)
        return None, f"failed: {exc}"


# A batch of parsed files, as the parsing process sends them: (path, key, entries, why skipped).
_Parsed = list[tuple[str, tuple[int, int], list[_Entry] | None, str]]


def _parse_in_child(
    todo: list[tuple[str, tuple[int, int]]],
    max_file_bytes: int,
    out: Any,
    stop: Any,
    parent: int,
) -> None:
    """The parsing process: reads and parses ``todo``, sends batches to ``out``, ends with None.
    It writes nothing to stdout (the parent's stdout may be the LSP stream)."""
    languages = registry()
    batch: _Parsed = []
    for path, key in todo:
        if stop.is_set() or os.getppid() != parent:
            break
        name = languages.name_for(None, path)
        entries, reason = read_entries(path, languages.get(name) if name else None, max_file_bytes)
        batch.append((path, key, entries, reason))
        if len(batch) >= CHILD_BATCH:
            out.put(batch)
            batch = []
    out.put(batch)
    out.put(None)


class _Ignores:
    """The ``.gitignore`` files met on the way down, each applying to its own folder."""

    def __init__(self) -> None:
        self._specs: dict[str, pathspec.GitIgnoreSpec | None] = {}

    def spec_for(self, folder: str) -> pathspec.GitIgnoreSpec | None:
        if folder not in self._specs:
            spec = None
            try:
                with open(os.path.join(folder, ".gitignore"), encoding="utf-8") as f:
                    spec = pathspec.GitIgnoreSpec.from_lines(f)
            except FileNotFoundError:
                pass
            except (OSError, UnicodeDecodeError, ValueError) as exc:
                log.info("index: unreadable .gitignore in %s: %s", folder, exc)
            self._specs[folder] = spec
        return self._specs[folder]

    def ignored(self, path: str, is_dir: bool, chain: Sequence[str]) -> bool:
        """Whether ``path`` is ignored by the ``.gitignore`` of any folder in ``chain``. The last
        matching rule of the deepest file decides, as in git."""
        verdict = False
        for folder in chain:
            spec = self.spec_for(folder)
            if spec is None:
                continue
            rel = os.path.relpath(path, folder).replace(os.sep, "/") + ("/" if is_dir else "")
            result = spec.check_file(rel)
            if result.include is not None:
                verdict = bool(result.include)
        return verdict


class WorkspaceIndex:
    """Definitions of every source file under ``roots`` (see the module docstring).

    ``build``, ``update``, ``update_text`` and ``remove`` are synchronous and thread-safe; the
    server runs them on the index's own worker thread through ``background`` so they apply in
    order. ``lookup``, ``files``, ``definitions_in`` and ``search`` read memory only."""

    def __init__(
        self,
        roots: Iterable[str | os.PathLike[str]],
        *,
        excluded: Callable[[str], bool] = _nothing_excluded,
        cache_file: str | os.PathLike[str] | None = None,
        max_file_bytes: int = 2_000_000,
        languages: Registry | None = None,
        process_threshold: int = PROCESS_THRESHOLD,
    ) -> None:
        # Paths are kept as the client names them (absolute, normalised, symlinks not resolved),
        # so a path from a URI finds its entries.
        self.roots = [os.path.abspath(os.fspath(r)) for r in roots]
        self.excluded = excluded
        self.max_file_bytes = max_file_bytes
        self.process_threshold = process_threshold
        # The process parsing a big build, while it runs (benchmarks read its memory).
        self.parser_pid: int | None = None
        self._languages = languages or registry()
        self.cache_file = Path(cache_file) if cache_file else default_cache_file(self.roots)
        self._lock = threading.Lock()
        self._by_path: dict[str, list[_Entry]] = {}
        self._by_name: dict[str, list[_Entry]] = {}
        self._db_lock = threading.Lock()
        self._db: sqlite3.Connection | None = None
        self._jobs: queue.SimpleQueue[
            tuple[Future[Any], Callable[..., Any], tuple[Any, ...]] | None
        ]
        self._jobs = queue.SimpleQueue()
        self._worker: threading.Thread | None = None
        self._closing = threading.Event()
        self.stats = BuildStats()
        self.ready = threading.Event()

    # -- lookups (memory only) -----------------------------------------------------------

    def lookup(self, name: str, limit: int = 5) -> list[IndexedDefinition]:
        """Definitions named ``name``: types and functions before fields and variables."""
        with self._lock:
            entries = list(self._by_name.get(name, ()))
        entries.sort(key=lambda e: (_KIND_RANK.get(e[2], 3), e[0], e[3]))
        return [_definition(e) for e in entries[:limit]]

    def files(self) -> list[str]:
        with self._lock:
            return sorted(self._by_path)

    def definitions_in(self, path: str) -> list[IndexedDefinition]:
        with self._lock:
            entries = list(self._by_path.get(os.path.abspath(path), ()))
        return [_definition(e) for e in entries]

    def search(self, query: str, limit: int = 100) -> list[IndexedDefinition]:
        """Definitions whose name matches ``query`` (for ``workspace/symbol``): names starting
        with it first, then containing it, then holding its letters in order; case-insensitive."""
        needle = query.lower()
        with self._lock:
            names = list(self._by_name)
        ranked: list[tuple[int, int, str]] = []
        for name in names:
            low = name.lower()
            if low.startswith(needle):
                ranked.append((0, len(name), name))
            elif needle in low:
                ranked.append((1, len(name), name))
            elif _subsequence(needle, low):
                ranked.append((2, len(name), name))
        ranked.sort()
        found: list[IndexedDefinition] = []
        for _, _, name in ranked:
            found.extend(self.lookup(name, limit - len(found)))
            if len(found) >= limit:
                break
        return found

    def __len__(self) -> int:
        with self._lock:
            return sum(len(v) for v in self._by_path.values())

    # -- background work -----------------------------------------------------------------

    def background(self, fn: Callable[..., T], *args: Any) -> Future[T]:
        """Run ``fn(*args)`` on the index's worker thread, after the work queued before it."""
        future: Future[T] = Future()
        self._jobs.put((future, fn, args))
        if self._worker is None:
            # A daemon: a server told to exit does not wait for a build to finish.
            self._worker = threading.Thread(target=self._work, name="renga-index", daemon=True)
            self._worker.start()
        return future

    def _work(self) -> None:
        while (job := self._jobs.get()) is not None:
            future, fn, args = job
            if not future.set_running_or_notify_cancel():
                continue
            try:
                future.set_result(fn(*args))
            except BaseException as exc:
                future.set_exception(exc)

    def close(self, timeout: float = 5.0) -> None:
        """Stop the build between two files, finish queued work, close the cache file."""
        self._closing.set()
        if self._worker is not None:
            self._jobs.put(None)
            self._worker.join(timeout)
            self._worker = None
        with self._db_lock:
            if self._db is not None:
                self._db.close()
                self._db = None

    # -- building ------------------------------------------------------------------------

    def build(
        self,
        progress: Callable[[Progress], None] | None = None,
        cancelled: Callable[[], bool] | None = None,
    ) -> BuildStats:
        """Scan the roots, reuse what the cache holds for unchanged files, parse the rest."""
        began = time.monotonic()
        stats = BuildStats()
        report = progress or (lambda _p: None)
        found = dict(self._scan(stats))
        stats.files = len(found)
        report(Progress(0, len(found), f"{len(found)} files"))
        stored = self._stored()
        fresh = {p for p, key in found.items() if stored.get(p) == key}
        fresh -= self._load(fresh)
        stats.reused = len(fresh)
        stale = [p for p in stored if p not in found]
        self._forget(stale)
        stats.removed = len(stale)
        todo = sorted(p for p in found if p not in fresh)
        batch: list[tuple[str, tuple[int, int], list[_Entry]]] = []
        last_report = time.monotonic()

        def stop() -> bool:
            return self._closing.is_set() or (cancelled is not None and cancelled())

        def take(path: str, entries: list[_Entry] | None) -> None:
            nonlocal batch, last_report
            if entries is None:
                stats.skipped += 1
                if path in stored:
                    self._forget([path])
            else:
                self._install(path, entries)
                batch.append((path, found[path], entries))
                stats.parsed += 1
            if len(batch) >= BATCH:
                self._store(batch)
                batch = []
            if time.monotonic() - last_report > 0.5:
                last_report = time.monotonic()
                done = stats.reused + stats.parsed + stats.skipped
                report(Progress(done, len(found), f"{done}/{len(found)}"))

        taken: set[str] = set()
        if len(todo) >= self.process_threshold:
            for path, _key, entries, reason in self._parse_elsewhere(
                [(p, found[p]) for p in todo], stop
            ):
                if reason:
                    log.info("index: skipped %s: %s", path, reason)
                take(path, entries)
                taken.add(path)
        for path in todo:
            if path in taken:
                continue
            if stop():
                break
            take(path, self._read(path, found[path]))
        self._store(batch)
        stats.definitions = len(self)
        stats.seconds = time.monotonic() - began
        self.stats = stats
        self.ready.set()
        log.info(
            "index: %d files (%d from cache, %d parsed, %d skipped, %d removed), "
            "%d definitions in %.1f s",
            stats.files,
            stats.reused,
            stats.parsed,
            stats.skipped,
            stats.removed,
            stats.definitions,
            stats.seconds,
        )
        return stats

    def update(self, path: str | os.PathLike[str]) -> bool:
        """Re-read one file from disk (saved, created or changed outside the editor); a file
        that is gone or no longer a source file is removed. True when it is indexed."""
        real = os.path.abspath(os.fspath(path))
        if os.path.isdir(real):
            # A folder created, moved in or changed: what it holds (ignore rules apply per file).
            found = False
            for folder, dirs, names in os.walk(real):
                dirs[:] = [d for d in dirs if not _skipped_dir(os.path.join(folder, d), d)]
                for name in names:
                    found = self.update(os.path.join(folder, name)) or found
            return found
        key = self._source_key(real)
        entries = self._read(real, key) if key is not None else None
        if key is None or entries is None:
            self.remove(real)
            return False
        self._install(real, entries)
        self._store([(real, key, entries)])
        return True

    def update_text(self, path: str | os.PathLike[str], source: str) -> bool:
        """Index an open document from its text, which may differ from the disk. Not persisted:
        the cache describes files as they are on disk (saving calls ``update``)."""
        real = os.path.abspath(os.fspath(path))
        language = self._language_of(real)
        if language is None or not self._inside_roots(real) or self.excluded(real):
            return False
        data = source.encode("utf-8", errors="surrogatepass")
        if len(data) > self.max_file_bytes:
            return False
        try:
            entries = self._entries(real, language, data)
        except Exception:  # a grammar or query fault must not take the worker down
            log.warning("index: failed on %s", real, exc_info=True)
            return False
        self._install(real, entries)
        return True

    def remove(self, path: str | os.PathLike[str]) -> None:
        """Forget a file, or every file under a folder (a deleted folder is one event)."""
        gone = os.path.abspath(os.fspath(path))
        with self._lock:
            paths = [p for p in self._by_path if _inside(p, gone)]
        self._forget(paths or [gone])

    def _parse_elsewhere(
        self, todo: list[tuple[str, tuple[int, int]]], stop: Callable[[], bool]
    ) -> Iterator[tuple[str, tuple[int, int], list[_Entry] | None, str]]:
        """Parse ``todo`` in a separate process, yielding files as they come. What it does not
        deliver (it failed to start, or died) the caller parses itself."""
        context = multiprocessing.get_context("spawn")  # fork is unsafe with threads running
        try:
            out = context.Queue(maxsize=16)
            halt = context.Event()
            process = context.Process(
                target=_parse_in_child,
                args=(todo, self.max_file_bytes, out, halt, os.getpid()),
                name="renga-index-parser",
                daemon=True,
            )
            process.start()
        except (OSError, ValueError, RuntimeError) as exc:
            log.warning("index: no parsing process (%s), parsing on a thread", exc)
            return
        self.parser_pid = process.pid
        try:
            while not stop():
                try:
                    parsed: _Parsed | None = out.get(timeout=0.5)
                except queue.Empty:
                    if not process.is_alive():
                        log.warning("index: the parsing process ended early, parsing the rest here")
                        break
                    continue
                if parsed is None:
                    break
                yield from parsed
        finally:
            halt.set()
            process.join(timeout=2)
            if process.is_alive():
                process.terminate()
                process.join(timeout=2)
            self.parser_pid = None

    # -- scanning ------------------------------------------------------------------------

    def _language_of(self, path: str) -> Language | None:
        name = self._languages.name_for(None, path)
        return self._languages.get(name) if name else None

    def _inside_roots(self, path: str) -> bool:
        return any(_inside(path, r) for r in self.roots)

    def _source_key(self, path: str) -> tuple[int, int] | None:
        """(size, mtime) of a file the index should hold, or None."""
        if not self._inside_roots(path) or self._language_of(path) is None:
            return None
        if self.excluded(path) or self._ignored_on_the_way(path):
            return None
        try:
            st = os.stat(path)
        except OSError:
            return None
        if not os.path.isfile(path) or st.st_size > self.max_file_bytes:
            return None
        return (st.st_size, st.st_mtime_ns)

    def _ignored_on_the_way(self, path: str) -> bool:
        root = next(r for r in self.roots if _inside(path, r))
        parts = Path(os.path.relpath(path, root)).parts
        ignores = _Ignores()
        chain = [root]
        current = root
        for i, part in enumerate(parts):
            current = os.path.join(current, part)
            is_dir = i < len(parts) - 1
            if is_dir and _skipped_dir(current, part):
                return True
            if ignores.ignored(current, is_dir, chain):
                return True
            if is_dir:
                chain.append(current)
        return False

    def _scan(self, stats: BuildStats) -> Iterator[tuple[str, tuple[int, int]]]:
        ignores = _Ignores()
        for root in self.roots:
            stack: list[tuple[str, list[str]]] = [(root, [root])]
            while stack:
                folder, chain = stack.pop()
                try:
                    entries = list(os.scandir(folder))
                except OSError as exc:
                    log.info("index: cannot list %s: %s", folder, exc)
                    continue
                for entry in sorted(entries, key=lambda e: e.name):
                    path = entry.path
                    try:
                        # Symlinked folders could loop or leave the workspace: not followed.
                        is_dir = entry.is_dir(follow_symlinks=False)
                        is_file = entry.is_file()
                    except OSError:
                        continue
                    if is_dir:
                        if _skipped_dir(path, entry.name) or ignores.ignored(path, True, chain):
                            continue
                        if self.excluded(path):
                            continue
                        stack.append((path, [*chain, path]))
                        continue
                    if not is_file or self._language_of(path) is None:
                        continue
                    if ignores.ignored(path, False, chain) or self.excluded(path):
                        continue
                    try:
                        st = entry.stat()
                    except OSError:
                        continue
                    if st.st_size > self.max_file_bytes:
                        stats.skipped += 1
                        log.info("index: skipped %s: %d bytes is over the limit", path, st.st_size)
                        continue
                    yield path, (st.st_size, st.st_mtime_ns)

    # -- reading -------------------------------------------------------------------------

    def _read(self, path: str, key: tuple[int, int]) -> list[_Entry] | None:
        """The entries of one file from disk, or None (with a log line) when it is skipped."""
        entries, reason = read_entries(path, self._language_of(path), self.max_file_bytes)
        if reason:
            log.info("index: skipped %s: %s", path, reason)
        return entries

    def _entries(self, path: str, language: Language, data: bytes) -> list[_Entry]:
        return entries_of(path, language, data)

    # -- memory --------------------------------------------------------------------------

    def _install(self, path: str, entries: list[_Entry]) -> None:
        with self._lock:
            self._drop(path)
            self._by_path[path] = entries
            by_name = self._by_name
            for entry in entries:
                same = by_name.get(entry[1])
                if same is None:
                    by_name[entry[1]] = [entry]
                else:
                    same.append(entry)

    def _drop(self, path: str) -> None:
        old = self._by_path.pop(path, None)
        for name in {e[1] for e in old or ()}:
            same = self._by_name.get(name)
            if same is not None:
                same[:] = [e for e in same if e[0] != path]
                if not same:
                    del self._by_name[name]

    def _forget(self, paths: list[str]) -> None:
        if not paths:
            return
        with self._lock:
            for path in paths:
                self._drop(path)
        with self._connection() as db:
            db.executemany("DELETE FROM files WHERE path = ?", [(p,) for p in paths])

    # -- the cache file ------------------------------------------------------------------

    @contextlib.contextmanager
    def _connection(self) -> Iterator[sqlite3.Connection]:
        with self._db_lock:
            if self._db is None:
                self._db = self._open()
            with self._db:  # one transaction
                yield self._db

    def _open(self) -> sqlite3.Connection:
        self.cache_file.parent.mkdir(parents=True, exist_ok=True)
        try:
            db = self._open_file()
        except sqlite3.DatabaseError as exc:
            # A corrupt or foreign file is a cache: start it again.
            log.warning("index: cache %s unreadable (%s), rebuilding it", self.cache_file, exc)
            self.cache_file.unlink(missing_ok=True)
            db = self._open_file()
        return db

    def _open_file(self) -> sqlite3.Connection:
        db = sqlite3.connect(self.cache_file, check_same_thread=False, isolation_level=None)
        db.execute("PRAGMA journal_mode=WAL")
        db.execute("PRAGMA synchronous=NORMAL")
        db.execute("CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT)")
        row = db.execute("SELECT value FROM meta WHERE key = 'fingerprint'").fetchone()
        if row is None or row[0] != fingerprint():
            db.execute("DROP TABLE IF EXISTS files")
            db.execute("INSERT OR REPLACE INTO meta VALUES ('fingerprint', ?)", (fingerprint(),))
        # One row a file, its definitions marshalled together: a restart reads 5,000 rows, not
        # 150,000, and marshal restores them at C speed (interned names stay interned).
        db.execute(
            "CREATE TABLE IF NOT EXISTS files (path TEXT PRIMARY KEY, size INTEGER NOT NULL, "
            "mtime_ns INTEGER NOT NULL, definitions BLOB NOT NULL)"
        )
        db.isolation_level = "DEFERRED"
        return db

    def _stored(self) -> dict[str, tuple[int, int]]:
        with self._connection() as db:
            rows = db.execute("SELECT path, size, mtime_ns FROM files").fetchall()
        return {path: (size, mtime) for path, size, mtime in rows}

    def _load(self, paths: set[str]) -> set[str]:
        """Load the stored definitions of ``paths`` into memory, a slice at a time so the event
        loop gets the GIL in between. Returns the paths whose stored entry is unreadable."""
        broken: set[str] = set()
        if not paths:
            return broken
        with self._connection() as db:
            cursor = db.execute("SELECT path, definitions FROM files")
            while rows := cursor.fetchmany(200):
                for path, blob in rows:
                    if path not in paths:
                        continue
                    path = sys.intern(path)
                    try:
                        stored = marshal.loads(blob)
                        entries = [(path, *row) for row in stored]
                    except (ValueError, TypeError, EOFError):
                        log.info("index: cache entry for %s unreadable, reading the file", path)
                        broken.add(path)
                        continue
                    self._install(path, entries)
        return broken

    def _store(self, batch: list[tuple[str, tuple[int, int], list[_Entry]]]) -> None:
        if not batch:
            return
        rows = [
            (path, size, mtime, marshal.dumps([e[1:] for e in entries]))
            for path, (size, mtime), entries in batch
        ]
        with self._connection() as db:
            db.executemany("INSERT OR REPLACE INTO files VALUES (?, ?, ?, ?)", rows)


def _inside(path: str, root: str) -> bool:
    return path == root or path.startswith(root.rstrip(os.sep) + os.sep)


def _skipped_dir(path: str, name: str) -> bool:
    return name in SKIPPED_DIRS or os.path.isfile(os.path.join(path, "pyvenv.cfg"))


def _subsequence(needle: str, haystack: str) -> bool:
    it = iter(haystack)
    return all(ch in it for ch in needle)


def _definition(entry: _Entry) -> IndexedDefinition:
    path, name, kind, line, text, end = entry
    return IndexedDefinition(path=path, name=name, kind=kind, line=line, summary=text, end_line=end)
