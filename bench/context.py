"""Context engine benchmarks, one command: ``python bench/context.py [--positions N]``.

(a) Assembly time of ``build_context`` for a cursor in a 10,000-line and a 50,000-line file
    (real Python modules of the standard library, concatenated) just after a one-character edit:
    p50 and p99 of wall time, and CPU time (this machine is shared).
(b) Context quality, counted fairly: real packages fetched at run time into ``--cache-dir``
    (Python wheels by ``pip download``, TypeScript by ``npm pack``, Go and Rust sources from
    Debian packages by ``apt-get download``). A line inside a function body is blanked and the
    context for that cursor built as ``renga context`` builds it; counted are the line's genuine
    uses (Python by ``ast``, the others by the syntax tree: no parameters or locals, no strings,
    no keyword names) whose meant definition the request shows: recall, cross-file recall,
    recall per 1,000 tokens, median and p99 request size, against a plain window of the same
    size.
(c) Prompt cache hit rate over consecutive completions in one file against the test server
    (tests/anthropic_server.py, which simulates cache accounting), through the real pipeline.

Prints the figures and writes bench/out/context.md. Packages no registry could supply are
skipped and listed. ``--parts quality --positions 10`` is a quick run while developing.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import gc
import glob
import os
import random
import re
import statistics
import sys
import sysconfig
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import tree_sitter as ts

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from renga.config import ModelSettings, Settings  # noqa: E402
from renga.context import assemble  # noqa: E402
from renga.context.assemble import build_context  # noqa: E402
from renga.context.budget import estimate_request  # noqa: E402
from renga.context.index import WorkspaceIndex  # noqa: E402
from renga.context.types import ContextSources  # noqa: E402
from renga.prompts.completion import completion_request  # noqa: E402
from renga.syntax.document import Document, Edit  # noqa: E402
from renga.syntax.languages import registry  # noqa: E402
from renga.syntax.tags import extract, header  # noqa: E402

OUT = ROOT / "bench" / "out" / "context.md"
SETTINGS = Settings()


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(q * len(ordered)))]


# -- (a) assembly time ---------------------------------------------------------------------


def stdlib_text(lines: int) -> str:
    """``lines`` lines of real code: standard library modules, concatenated."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    out: list[str] = []
    for path in sorted(stdlib.glob("*.py")):
        try:
            out.extend(path.read_text("utf-8").splitlines())
        except (OSError, UnicodeDecodeError):
            continue
        if len(out) >= lines:
            break
    return "\n".join(out[:lines]) + "\n"


@dataclass
class Timing:
    lines: int
    wall: list[float] = field(default_factory=list)
    cpu: list[float] = field(default_factory=list)
    modes: dict[str, int] = field(default_factory=dict)
    refreshed: int = 0
    late: int = 0


def time_assembly(lines: int, places: int = 30, keystrokes: int = 8) -> Timing:
    language = registry().get("python")
    text = stdlib_text(lines)
    doc = Document("file:///bench/big.py", text, language=language)
    other = Document("file:///bench/other.py", stdlib_text(800), language=language)
    sources = ContextSources(documents={doc.uri: doc, other.uri: other}, root="/bench")
    build_context(doc, len(doc.source) // 2, SETTINGS, sources, "/bench/big.py")  # warm
    tags = extract(language, doc.tree, doc.source) if language and doc.tree else None
    refs = [r for r in (tags.references if tags else []) if len(r.name) > 2]
    gc.collect()
    rng = random.Random(7)
    result = Timing(lines)
    version = 1
    for _ in range(places):
        ref = rng.choice(refs[len(refs) // 10 : len(refs) * 9 // 10])
        line, column = doc.position_at(ref.end)
        # Still the same reference? Earlier edits moved bytes; find the name on its line.
        for i in range(keystrokes):
            version += 1
            doc.apply([Edit("e", (line, column + i), (line, column + i))], version)
            offset = doc.offset_at(line, column + i + 1)
            c0, t0 = time.process_time(), time.perf_counter()
            build_context(doc, offset, SETTINGS, sources, "/bench/big.py")
            result.wall.append((time.perf_counter() - t0) * 1000)
            result.cpu.append((time.process_time() - c0) * 1000)
            report = assemble.LAST
            result.modes[report.tags_mode] = result.modes.get(report.tags_mode, 0) + 1
            result.refreshed += report.refreshed
            result.late += bool(report.late)
        refs = [
            r
            for r in (
                extract(language, doc.tree, doc.source).references if language and doc.tree else []
            )
            if len(r.name) > 2
        ]
        # That whole-file extraction is the benchmark's bookkeeping, not the engine's work: its
        # garbage is collected here, not in the next measured call.
        gc.collect()
    return result


# -- (b) context quality ---------------------------------------------------------------------
#
# Real packages, fetched at run time into a cache folder (never vendored): Python wheels with
# ``pip download``, TypeScript sources with ``npm pack``, Go and Rust sources from Debian's
# ``golang-*-dev`` / ``librust-*-dev`` packages (``apt-get download`` + ``dpkg -x``). None of them
# is a package renga itself depends on, so the figures are not tuned to renga's own code.

PYTHON_PACKAGES = {"tomlkit": "tomlkit", "pluggy": "pluggy", "attrs": "attr", "rich": "rich"}
NPM_PACKAGES = {"zod": "package/src"}
DEBIAN_PACKAGES = {
    "golang-github-spf13-cobra-dev": ("go", "cobra", "usr/share/gocode/src/github.com/spf13/cobra"),
    "golang-github-spf13-pflag-dev": ("go", "pflag", "usr/share/gocode/src/github.com/spf13/pflag"),
    "librust-anyhow-dev": ("rust", "anyhow", "usr/share/cargo/registry/anyhow-*"),
}


def _run(cmd: list[str], cwd: Path) -> bool:
    import subprocess

    try:
        done = subprocess.run(cmd, cwd=cwd, capture_output=True, timeout=300, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return False
    return done.returncode == 0


def fetch_projects(cache: Path) -> tuple[list[tuple[str, str, Path]], list[str]]:
    """(language, project, folder) of every package fetched into ``cache``, and the missing."""
    import zipfile

    found: list[tuple[str, str, Path]] = []
    missing: list[str] = []
    py = cache / "py"
    py.mkdir(parents=True, exist_ok=True)
    for dist, top in PYTHON_PACKAGES.items():
        wheels = sorted(py.glob(f"{dist}-*.whl"))
        if not wheels:
            _run(
                [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "-d", str(py), dist],
                py,
            )
            wheels = sorted(py.glob(f"{dist}-*.whl"))
        if not wheels:
            missing.append(f"python/{dist} (pip download {dist})")
            continue
        folder = py / wheels[-1].stem
        if not folder.is_dir():
            zipfile.ZipFile(wheels[-1]).extractall(folder)
        found.append(("python", dist, folder / top))
    npm = cache / "npm"
    npm.mkdir(parents=True, exist_ok=True)
    for package, sub in NPM_PACKAGES.items():
        tarballs = sorted(npm.glob(f"{package}-*.tgz"))
        if not tarballs:
            _run(["npm", "pack", "--silent", package], npm)
            tarballs = sorted(npm.glob(f"{package}-*.tgz"))
        if not tarballs:
            missing.append(f"typescript/{package} (npm pack {package})")
            continue
        folder = npm / tarballs[-1].name.removesuffix(".tgz")
        if not folder.is_dir():
            folder.mkdir()
            _run(["tar", "xzf", str(tarballs[-1])], folder)
        found.append(("typescript", package, folder / sub))
    deb = cache / "deb"
    deb.mkdir(parents=True, exist_ok=True)
    for package, (language, project, sub) in DEBIAN_PACKAGES.items():
        debs = sorted(deb.glob(f"{package}_*.deb"))
        if not debs:
            _run(["apt-get", "download", package], deb)
            debs = sorted(deb.glob(f"{package}_*.deb"))
        folders = sorted(glob.glob(str(deb / "root" / sub)))
        if debs and not folders:
            _run(["dpkg", "-x", str(debs[-1]), str(deb / "root")], deb)
            folders = sorted(glob.glob(str(deb / "root" / sub)))
        if not folders:
            missing.append(f"{language}/{project} (apt-get download {package})")
            continue
        found.append((language, project, Path(folders[-1])))
    return found, missing


@dataclass
class Use:
    """A genuine use of a name on the blanked line, and the definitions it may mean."""

    name: str
    # (path, first line of the definition's header) of each definition it may mean.
    meant: list[tuple[str, str]]
    cross_file: bool


@dataclass
class Quality:
    language: str
    projects: list[str] = field(default_factory=list)
    positions: int = 0
    uses: int = 0
    hits: int = 0
    window_hits: int = 0
    cross: int = 0
    cross_hits: int = 0
    window_cross_hits: int = 0
    tokens: list[int] = field(default_factory=list)
    misses: dict[str, int] = field(default_factory=dict)

    def add(self, other: Quality) -> None:
        for name in ("positions", "uses", "hits", "window_hits", "cross", "cross_hits"):
            setattr(self, name, getattr(self, name) + getattr(other, name))
        self.window_cross_hits += other.window_cross_hits
        self.tokens += other.tokens


def plain_window(source: bytes, offset: int, tokens: int) -> str:
    """Whole lines around the cursor, three quarters before, holding ``tokens`` estimated."""
    chars = int(tokens * 3.5)
    start = max(0, offset - chars * 3 // 4)
    start = source.rfind(b"\n", 0, start) + 1 if start > 0 else 0
    end = min(len(source), offset + chars - (offset - start))
    nl = source.find(b"\n", end)
    end = len(source) if nl == -1 else nl
    return source[start:end].decode("utf-8", errors="replace")


def first_line(text: str) -> str:
    for line in text.splitlines():
        if line.strip():
            return line.strip()
    return ""


# Definitions of a project: name -> [(path, start byte, end byte, first header line)].
Defs = dict[str, list[tuple[str, int, int, str]]]


def python_definitions(files: list[str]) -> Defs:
    """By ``ast``: functions, classes, and names assigned at module or class level."""
    defs: Defs = {}
    for path in files:
        try:
            source = Path(path).read_bytes()
            tree = ast.parse(source)
        except (OSError, SyntaxError, ValueError):
            continue
        _python_file_definitions(path, source, tree.body, False, defs)
    return defs


def _python_file_definitions(
    path: str, source: bytes, body: list[ast.stmt], in_function: bool, defs: Defs
) -> None:
    starts = [0] + [m.end() for m in re.finditer(b"\n", source)]

    def add(name: str, node: ast.stmt) -> None:
        line = node.lineno - 1
        end = node.end_lineno or node.lineno
        text = source[starts[line] : starts[min(line + 1, len(starts) - 1)]].decode(
            "utf-8", "replace"
        )
        defs.setdefault(name, []).append(
            (path, starts[line], starts[min(end, len(starts) - 1)], text.strip())
        )

    stack: list[tuple[list[ast.stmt], bool]] = [(body, in_function)]
    while stack:
        statements, inside = stack.pop()
        for node in statements:
            if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                if not inside:
                    add(node.name, node)
                stack.append((node.body, inside or not isinstance(node, ast.ClassDef)))
            elif isinstance(node, ast.Assign | ast.AnnAssign) and not inside:
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                for target in targets:
                    if isinstance(target, ast.Name):
                        add(target.id, node)
            elif isinstance(node, ast.If | ast.Try) and not inside:
                stack.append((node.body, inside))
                stack.append((node.orelse, inside))
                for handler in getattr(node, "handlers", []):
                    stack.append((handler.body, inside))


def tree_definitions(language_name: str, files: list[str]) -> Defs:
    """By the syntax tree (the grammar's tags query), for the languages without ``ast``."""
    language = registry().get(language_name)
    defs: Defs = {}
    if language is None:
        return defs
    for path in files:
        try:
            source = Path(path).read_bytes()
        except OSError:
            continue
        tree = language.parser().parse(source)
        for d in extract(language, tree, source, definitions_only=True).definitions:
            text = first_line(header(source, d))
            defs.setdefault(d.name, []).append((path, d.start, d.end, text))
    return defs


def python_positions(source: bytes, rng: random.Random) -> list[tuple[int, list[str]]]:
    """Lines inside function bodies (0-based), each with its genuine uses: names read (not the
    function's parameters or locals) and attributes read, never strings or keyword names."""
    try:
        tree = ast.parse(source)
    except (SyntaxError, ValueError):
        return []
    out: list[tuple[int, list[str]]] = []
    # A bare name means a definition of the project only when the module defines or imports
    # it (otherwise it is a builtin, however many files of the project define one of that name).
    module: set[str] = set()
    star = False
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom | ast.Import):
            for alias in node.names:
                star = star or alias.name == "*"
                module.add((alias.asname or alias.name).split(".")[0])
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            module.add(node.name)
        for target in ast.walk(node) if isinstance(node, ast.Assign | ast.AnnAssign) else []:
            if isinstance(target, ast.Name):
                module.add(target.id)
        if isinstance(node, ast.If | ast.Try):
            module.update(
                n.name if not isinstance(n, ast.Name) else n.id
                for n in ast.walk(node)
                if isinstance(n, ast.FunctionDef | ast.ClassDef)
                or (isinstance(n, ast.Name) and isinstance(n.ctx, ast.Store))
            )
    for fn in ast.walk(tree):
        if not isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            continue
        bound = {a.arg for a in ast.walk(fn.args) if isinstance(a, ast.arg)}
        for node in ast.walk(fn):
            if node is fn:
                continue
            if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store | ast.Del):
                bound.add(node.id)
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
                bound.add(node.name)
            elif isinstance(node, ast.alias):
                bound.add((node.asname or node.name).split(".")[0])
            elif isinstance(node, ast.ExceptHandler) and node.name:
                bound.add(node.name)
            elif isinstance(node, ast.arg):
                bound.add(node.arg)
        body = fn.body
        if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
            body = body[1:]
        statements = [
            s
            for b in body
            for s in ast.walk(b)
            if isinstance(s, ast.stmt) and s.lineno == s.end_lineno
        ]
        for stmt in statements:
            uses: list[str] = []
            for node in ast.walk(stmt):
                if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load):
                    if node.id not in bound and (star or node.id in module):
                        uses.append(node.id)
                elif isinstance(node, ast.Attribute) and isinstance(node.ctx, ast.Load):
                    uses.append(node.attr)
            if uses:
                out.append((stmt.lineno - 1, uses))
    rng.shuffle(out)
    return out


# Leaves that name something, in the tree-sitter grammars of the other languages.
NAME_LEAVES = {
    "identifier",
    "type_identifier",
    "field_identifier",
    "property_identifier",
    "shorthand_property_identifier",
}
# Nodes that bind a local name in their ``name``/``left``/``pattern`` field.
BINDERS = re.compile(
    r"parameter|declarator|var_spec|const_spec|short_var_declaration|let_declaration|"
    r"range_clause|for_in_statement|for_statement|catch_clause|closure_parameters|"
    r"match_arm|if_let|let_condition|receiver"
)
BINDING_FIELDS = ("name", "left", "pattern")
# Keys of object literals / keyed composite literals / struct initializers: like keyword names.
KEY_PARENTS = {"pair": "key", "keyed_element": None, "field_initializer": "field"}


def _leaves(node: ts.Node) -> list[ts.Node]:
    out = []
    stack = [node]
    while stack:
        n = stack.pop()
        if n.type in NAME_LEAVES:
            out.append(n)
        elif n.type not in ("string", "string_literal", "interpreted_string_literal", "comment"):
            stack.extend(n.children)
    return out


def tree_positions(
    language_name: str, source: bytes, rng: random.Random
) -> list[tuple[int, list[str]]]:
    """Lines inside function bodies, by the syntax tree, with their genuine uses."""
    language = registry().get(language_name)
    if language is None:
        return []
    tree = language.parser().parse(source)
    tags = extract(language, tree, source, definitions_only=True)
    out: list[tuple[int, list[str]]] = []
    for d in tags.definitions:
        if d.kind not in ("function", "method") or d.body is None:
            continue
        fn = tree.root_node.descendant_for_byte_range(d.start, d.end)
        while fn is not None and not (fn.start_byte == d.start and fn.end_byte == d.end):
            fn = fn.parent
        if fn is None:
            continue
        bound: set[str] = set()
        stack = [fn]
        while stack:
            n = stack.pop()
            stack.extend(n.children)
            if BINDERS.search(n.type):
                for name in BINDING_FIELDS:
                    child = n.child_by_field_name(name)
                    if child is not None:
                        bound.update(
                            source[x.start_byte : x.end_byte].decode("utf-8", "replace")
                            for x in _leaves(child)
                            if x.type in ("identifier", "shorthand_property_identifier")
                            or child.type in NAME_LEAVES
                        )
        body = tree.root_node.descendant_for_byte_range(*d.body)
        first, last = body.start_point[0], body.end_point[0]
        by_line: dict[int, list[str]] = {}
        for leaf in _leaves(fn):
            line = leaf.start_point[0]
            if not (first < line < last) or leaf.start_point[0] != leaf.end_point[0]:
                continue
            parent = leaf.parent
            if parent is not None and parent.type in KEY_PARENTS:
                field_name = KEY_PARENTS[parent.type]
                key = parent.child_by_field_name(field_name) if field_name else parent.children[0]
                if key is not None and key.start_byte <= leaf.start_byte < key.end_byte:
                    continue
            name = source[leaf.start_byte : leaf.end_byte].decode("utf-8", "replace")
            if leaf.type == "identifier" and name in bound:
                continue
            by_line.setdefault(line, []).append(name)
        out.extend(by_line.items())
    rng.shuffle(out)
    return out


def uses_on(
    path: str, names: list[str], defs: Defs, line_span: tuple[int, int], fn_span: tuple[int, int]
) -> list[Use]:
    """The uses that resolve to a definition of the project (not on the blanked line itself);
    where the file defines the name, that definition is the one meant."""
    uses = []
    for name in dict.fromkeys(names):
        found = [
            d
            for d in defs.get(name, [])
            if not (d[0] == path and line_span[0] <= d[1] < line_span[1])
            and not (d[0] == path and fn_span[0] <= d[1] < fn_span[1] and d[2] <= fn_span[1])
        ]
        if not found:
            continue
        own = [d for d in found if d[0] == path]
        meant = own or found
        uses.append(Use(name, [(p, text) for p, _, _, text in meant], not own))
    return uses


def found_in(use: Use, prompt: str, root: str) -> bool:
    """Whether ``prompt`` shows the definition meant: its header line, and, for a name defined
    once in another file, from that file."""
    for path, text in use.meant:
        if not text or text not in prompt:
            continue
        if use.cross_file and len(use.meant) == 1:
            return f'source="{os.path.relpath(path, root)}:' in prompt
        return True
    return False


def quality_for(language_name: str, project: str, folder: Path, positions: int, q: Quality) -> None:
    """Blank a line inside a function body, ask renga for the context at that cursor (what
    ``renga context`` does: the workspace index over the folder, the file as the one open
    document), and count the genuine uses whose definition the request shows."""
    language = registry().get(language_name)
    if language is None:
        return
    cache = Path(tempfile.mkdtemp()) / "index.sqlite"
    index = WorkspaceIndex([str(folder)], cache_file=cache)
    index.build()
    files = [
        f
        for f in index.files()
        if registry().name_for(None, f) == language_name and os.path.getsize(f) < 400_000
    ]
    defs = (
        python_definitions(files)
        if language_name == "python"
        else tree_definitions(language_name, files)
    )
    rng = random.Random(project)
    rng.shuffle(files)
    q.projects.append(f"{project} ({len(files)} files)")
    done = 0
    root = str(folder)
    # Several lines per file when the project has few files; each line at most once.
    per_file = max(2, positions // max(1, len(files)) + 2)
    for path in files:
        if done >= positions:
            break
        try:
            source = Path(path).read_bytes()
            source.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        lines = (
            python_positions(source, rng)
            if language_name == "python"
            else tree_positions(language_name, source, rng)
        )
        starts = [0] + [m.end() for m in re.finditer(b"\n", source)]
        for line, names in lines[:per_file]:
            if done >= positions or line + 1 >= len(starts):
                break
            start, end = starts[line], starts[line + 1] - 1
            fn_span = _function_span(defs, path, start)
            uses = uses_on(path, names, defs, (start, end), fn_span)
            if not uses:
                continue
            text_line = source[start:end]
            indent = text_line[: len(text_line) - len(text_line.lstrip(b" \t"))]
            edited = source[:start] + indent + source[end:]
            offset = start + len(indent)
            uri = f"file://{path}"
            doc = Document(uri, edited.decode("utf-8"), language=language, encoding="utf-16")
            sources = ContextSources(documents={uri: doc}, index=index, root=root)
            assemble.forget_document(uri)
            ctx = build_context(doc, offset, SETTINGS, sources, path)
            request = completion_request(ctx, max_tokens=SETTINGS.completion.max_tokens)
            prompt = "\n".join(b["text"] for b in request.system) + "\n".join(
                b["text"] for b in request.messages[0]["content"]
            )
            used = estimate_request(request)
            window = plain_window(edited, offset, used)
            q.tokens.append(used)
            q.positions += 1
            done += 1
            for use in uses:
                hit = found_in(use, prompt, root)
                q.uses += 1
                q.hits += hit
                q.window_hits += found_in(use, window, root)
                if use.cross_file:
                    q.cross += 1
                    q.cross_hits += hit
                    q.window_cross_hits += found_in(use, window, root)
                if not hit:
                    q.misses[use.name] = q.misses.get(use.name, 0) + 1
            assemble.forget_document(uri)
    index.close()


def _function_span(defs: Defs, path: str, offset: int) -> tuple[int, int]:
    """The innermost function-like definition (by the project's definitions) around ``offset``;
    names defined inside it are its locals."""
    best = (0, 0)
    for entries in defs.values():
        for p, a, b, _ in entries:
            if p == path and a <= offset < b and (best == (0, 0) or a >= best[0]):
                best = (a, b)
    return best


# -- (c) prompt cache ------------------------------------------------------------------------


async def cache_rate(
    model_id: str, cache_min: int, places: int = 5, keystrokes: int = 8
) -> dict[str, float]:
    from anthropic_server import AnthropicTestServer, Reply
    from renga.completion.pipeline import complete
    from renga.model.client import ModelClient

    language = registry().get("python")
    text = stdlib_text(3000)
    doc = Document("file:///bench/cache.py", text, language=language)
    tags = extract(language, doc.tree, doc.source) if language and doc.tree else None
    refs = [r for r in (tags.references if tags else []) if len(r.name) > 2]
    rng = random.Random(3)
    with AnthropicTestServer(
        default_reply=Reply(text="<fill>x</fill>"), cache_min_tokens=cache_min
    ) as server:
        settings = Settings(base_url=server.base_url, models=ModelSettings(fast=model_id))
        model = ModelClient(settings, environ={"ANTHROPIC_API_KEY": "bench"})
        version = 1
        try:
            for _ in range(places):
                ref = rng.choice(refs)
                line, column = doc.position_at(min(ref.end, len(doc.source)))
                for i in range(keystrokes):
                    version += 1
                    doc.apply([Edit("e", (line, column + i), (line, column + i))], version)
                    offset = doc.offset_at(line, column + i + 1)
                    await complete(doc, offset, settings, model, ContextSources())
        finally:
            await model.aclose()
        usages = [r.usage for r in server.messages_requests() if r.usage]
    total = sum(
        u["input_tokens"] + u["cache_creation_input_tokens"] + u["cache_read_input_tokens"]
        for u in usages
    )
    read = sum(u["cache_read_input_tokens"] for u in usages)
    written = sum(u["cache_creation_input_tokens"] for u in usages)
    hits = sum(1 for u in usages if u["cache_read_input_tokens"] > 0)
    # Haiku 4.5 prices: input $1, cache write $1.25, cache read $0.10 per million tokens.
    cost = sum(
        u["input_tokens"]
        + 1.25 * u["cache_creation_input_tokens"]
        + 0.1 * u["cache_read_input_tokens"]
        for u in usages
    )
    return {
        "requests": len(usages),
        "hit_rate": hits / max(1, len(usages)),
        "read_share": read / max(1, total),
        "written_share": written / max(1, total),
        "cost_ratio": cost / max(1, total),
        "mean_input": total / max(1, len(usages)),
    }


# -- report ----------------------------------------------------------------------------------


def quality_report(args: argparse.Namespace) -> list[str]:
    print("\n(b) context quality")
    found, missing = fetch_projects(Path(args.cache_dir))
    wanted = {x for x in args.languages.split(",") if x}
    by_language: dict[str, Quality] = {}
    for language_name, project, folder in found:
        if wanted and language_name not in wanted:
            continue
        q = by_language.setdefault(language_name, Quality(language_name))
        t0 = time.perf_counter()
        quality_for(language_name, project, folder, args.positions, q)
        print(
            f"  {language_name}/{project}: {q.positions} positions ({time.perf_counter() - t0:.0f} s)"
        )
    budget = SETTINGS.context.token_budget
    out = [
        "",
        "## (b) Context quality: the definitions a blanked line in a function body uses",
        "",
        "Genuine uses only (Python by `ast`, the others by the syntax tree): names read that are "
        "not the function's parameters or locals, attributes read, never strings or keyword "
        "names; a use counts when the request shows the definition meant (the file's own where "
        "it defines the name; for a name defined once in another file, from that file). The plain "
        "window gets as many estimated tokens as renga's whole request. "
        f"Budget: `context.tokenBudget` = {budget}.",
        "",
        "| language | projects | positions | uses | recall | cross-file recall | recall per 1k tokens "
        "| median tokens | p99 tokens | over budget | window recall | window cross-file |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    print(out[-2])
    every = Quality("all")
    for q in [*by_language.values(), every]:
        if not q.uses or not q.tokens:
            continue
        if q is not every:
            every.add(q)
        recall = q.hits / q.uses
        median = statistics.median(q.tokens)
        row = (
            f"| {q.language} | {', '.join(q.projects)} | {q.positions} | {q.uses} | {recall:.2f} | "
            f"{q.cross_hits / max(1, q.cross):.2f} ({q.cross}) | {recall / (median / 1000):.3f} | "
            f"{median:.0f} | {pct(q.tokens, 0.99):.0f} | {sum(t > budget for t in q.tokens)} | "
            f"{q.window_hits / q.uses:.2f} | {q.window_cross_hits / max(1, q.cross):.2f} |"
        )
        print(row)
        out.append(row)
        if q is not every:
            top = sorted(q.misses.items(), key=lambda kv: -kv[1])[:15]
            print("    most missed:", ", ".join(f"{n} {c}" for n, c in top))
    if missing:
        out += ["", "Not fetched (no registry reachable): " + "; ".join(missing)]
        print("  not fetched:", "; ".join(missing))
    return out


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--positions", type=int, default=45, help="cursor positions per project")
    parser.add_argument(
        "--parts",
        default="time,quality,cache",
        help="which parts to run, comma-separated: time, quality, cache",
    )
    parser.add_argument(
        "--cache-dir",
        default=str(Path.home() / ".cache" / "renga-bench"),
        help="where the downloaded packages are kept between runs",
    )
    parser.add_argument("--languages", default="", help="only these languages (comma-separated)")
    args = parser.parse_args()
    lines_out: list[str] = ["# Context engine benchmark", ""]

    print("(a) assembly time after a one-character edit")
    lines_out += [
        "## (a) Assembly time after a one-character edit",
        "",
        "Target: p99 <= 10 ms for the 10,000-line file. Wall time on a shared 2-core machine, "
        "and CPU time of the process.",
        "",
        "| file | requests | wall p50 | wall p99 | CPU p50 | CPU p99 | tags incremental/full | stable rebuilt | a source late |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for n in (10_000, 50_000) if "time" in args.parts else ():
        t = time_assembly(n)
        row = (
            f"| {n:,} lines | {len(t.wall)} | {statistics.median(t.wall):.2f} ms | "
            f"{pct(t.wall, 0.99):.2f} ms | {statistics.median(t.cpu):.2f} ms | "
            f"{pct(t.cpu, 0.99):.2f} ms | {t.modes.get('update', 0)}/{t.modes.get('full', 0)} | "
            f"{t.refreshed} | {t.late} |"
        )
        print(row)
        lines_out.append(row)

    if "quality" in args.parts:
        lines_out += quality_report(args)

    if "cache" not in args.parts:
        OUT.parent.mkdir(parents=True, exist_ok=True)
        OUT.write_text("\n".join(lines_out) + "\n", encoding="utf-8")
        return 0
    print("\n(c) prompt cache over consecutive completions in one file (test server)")
    lines_out += [
        "",
        "## (c) Prompt cache over consecutive completions in one 3,000-line file",
        "",
        "5 places in the file, 8 keystrokes at each, one completion per keystroke, through "
        "`complete()` and the SDK to tests/anthropic_server.py with the fast model's cache "
        "minimum. The prompt is never padded to reach it. Cost relative to no caching with "
        "cache writes at 1.25x and reads at 0.1x the input price.",
        "",
        "| fast model | cache minimum | requests | reading the cache | tokens read (written) "
        "| input cost vs no caching | mean input tokens |",
        "|---|---|---|---|---|---|---|",
    ]
    for model_id, minimum in (("claude-haiku-5-5", 512), ("claude-haiku-4-5", 4096)):
        c = asyncio.run(cache_rate(model_id, minimum))
        row = (
            f"| {model_id} | {minimum:,} | {c['requests']:.0f} | {c['hit_rate']:.0%} | "
            f"{c['read_share']:.0%} ({c['written_share']:.0%}) | {c['cost_ratio']:.2f} | "
            f"{c['mean_input']:.0f} |"
        )
        print(row)
        lines_out.append(row)
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    print(f"\nreport: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
