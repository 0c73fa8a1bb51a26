"""Context engine benchmarks, one command: ``python bench/context.py [--positions N]``.

(a) Assembly time of ``build_context`` for a cursor in a 10,000-line and a 50,000-line file
    (real Python modules of the standard library, concatenated) just after a one-character edit:
    p50 and p99 of wall time, and CPU time (this machine is shared).
(b) Context quality: cursor positions in real code from well-known projects installed from the
    package registries (Python packages in this venv, npm's own sources, Go, Rust, Ruby, C++
    from Debian packages, C from a PyPI sdist). At each, the line after the cursor is deleted;
    counted is how many of the identifiers that line uses (references with a definition in the
    project) have their definition in what renga sends, against a plain window around the cursor
    of the same number of estimated tokens.
(c) Prompt cache hit rate over consecutive completions in one file against the test server
    (tests/anthropic_server.py, which simulates cache accounting), through the real pipeline.

Prints the figures and writes bench/out/context.md. Projects that are not installed are skipped
and listed (see the report for the commands that install them).
"""

from __future__ import annotations

import argparse
import asyncio
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

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from renga.config import Settings  # noqa: E402
from renga.context import assemble  # noqa: E402
from renga.context.assemble import build_context  # noqa: E402
from renga.context.budget import estimate_request  # noqa: E402
from renga.context.index import WorkspaceIndex  # noqa: E402
from renga.context.types import ContextSources, estimate_tokens  # noqa: E402
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
    return result


# -- (b) context quality ---------------------------------------------------------------------


def site_packages() -> Path:
    return Path(sysconfig.get_paths()["purelib"])


def projects() -> list[tuple[str, str, Path]]:
    """(language, project, folder) for every project found on this machine."""
    sp = site_packages()
    found: list[tuple[str, str, Path]] = []
    for name in ("anthropic", "pygls", "hypothesis", "lsprotocol"):
        if (sp / name).is_dir():
            found.append(("python", name, sp / name))
    npm = Path("/usr/lib/node_modules/npm/lib")
    if npm.is_dir():
        found.append(("javascript", "npm", npm))
    for zod in sorted(glob.glob("/tmp/h3b-src/package/src")):
        found.append(("typescript", "zod", Path(zod)))
    for go in ("cobra", "viper", "afero"):
        for folder in glob.glob(f"/usr/share/gocode/src/github.com/spf13/{go}"):
            found.append(("go", go, Path(folder)))
    for crate in ("anyhow", "regex-syntax", "serde", "clap"):
        for folder in sorted(glob.glob(f"/usr/share/cargo/registry/{crate}-[0-9]*"))[-1:]:
            found.append(("rust", crate, Path(folder)))
    for rack in sorted(glob.glob("/usr/share/rubygems-integration/all/gems/rack-*/lib"))[-1:]:
        found.append(("ruby", "rack", Path(rack)))
    for ujson in sorted(glob.glob("/tmp/h3b-src/ujson-*/src/ujson"))[-1:]:
        found.append(("c", "ujson", Path(ujson)))
    nlohmann = Path("/usr/include/nlohmann/detail")
    if nlohmann.is_dir():
        found.append(("cpp", "nlohmann-json", nlohmann))
    return found


@dataclass
class Quality:
    language: str
    projects: list[str] = field(default_factory=list)
    positions: int = 0
    identifiers: int = 0
    renga_hits: int = 0
    window_hits: int = 0
    tokens: list[int] = field(default_factory=list)
    window_tokens: list[int] = field(default_factory=list)


def plain_window(source: bytes, offset: int, tokens: int) -> str:
    """Whole lines around the cursor, three quarters before, holding ``tokens`` estimated."""
    chars = int(tokens * 3.5)
    start = max(0, offset - chars * 3 // 4)
    start = source.rfind(b"\n", 0, start) + 1 if start > 0 else 0
    end = min(len(source), offset + chars - (offset - start))
    nl = source.find(b"\n", end)
    end = len(source) if nl == -1 else nl
    return source[start:end].decode("utf-8", errors="replace")


def definition_lines(name: str, summaries: list[str]) -> list[str]:
    """For each summary, the line of it that names ``name`` (a doc comment may come first)."""
    lines = []
    for s in summaries:
        for line in s.splitlines():
            if name in line and line.strip():
                lines.append(line.strip())
                break
    return lines


def quality_for(language_name: str, project: str, folder: Path, positions: int, q: Quality) -> None:
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
    rng = random.Random(project)
    rng.shuffle(files)
    done = 0
    q.projects.append(f"{project} ({len(index.files())} files)")
    for path in files:
        if done >= positions:
            break
        try:
            source = Path(path).read_bytes()
            source.decode("utf-8")
        except (OSError, UnicodeDecodeError):
            continue
        tree = language.parser().parse(source)
        tags = extract(language, tree, source)
        by_line: dict[int, list[str]] = {}
        line_starts = [0] + [m.end() for m in re.finditer(b"\n", source)]
        import bisect

        for r in tags.references:
            by_line.setdefault(bisect.bisect_right(line_starts, r.start) - 1, []).append(r.name)
        candidates = [ln for ln in by_line if ln > 5]
        rng.shuffle(candidates)
        for line in candidates[:3]:
            if done >= positions:
                break
            start, end = (
                line_starts[line],
                (line_starts[line + 1] - 1 if line + 1 < len(line_starts) else len(source)),
            )
            resolvable: dict[str, list[str]] = {}
            for name in set(by_line[line]):
                local = [
                    header(source, d) for d in tags.named(name) if not (start <= d.start < end)
                ]
                hits = [h.summary for h in index.lookup(name, limit=4) if h.path != path]
                summaries = local + hits
                if summaries:
                    resolvable[name] = summaries
            if not resolvable:
                continue
            text_line = source[start:end]
            indent = text_line[: len(text_line) - len(text_line.lstrip(b" \t"))]
            edited = source[:start] + indent + source[end:]
            offset = start + len(indent)
            uri = f"file://{path}#{line}"
            doc = Document(uri, edited.decode("utf-8"), language=language)
            sources = ContextSources(documents={uri: doc}, index=index, root=str(folder))
            ctx = build_context(doc, offset, SETTINGS, sources, path)
            request = completion_request(ctx, max_tokens=SETTINGS.completion.max_tokens)
            prompt = "\n".join(b["text"] for b in request.messages[0]["content"])
            used = estimate_request(request)
            window = plain_window(edited, offset, used)
            q.tokens.append(used)
            q.window_tokens.append(estimate_tokens(window))
            q.positions += 1
            done += 1
            for name, summaries in resolvable.items():
                lines = definition_lines(name, summaries)
                if not lines:
                    continue
                q.identifiers += 1
                q.renga_hits += any(line_ in prompt for line_ in lines)
                q.window_hits += any(line_ in window for line_ in lines)
    index.close()


# -- (c) prompt cache ------------------------------------------------------------------------


async def cache_rate(places: int = 5, keystrokes: int = 8) -> dict[str, float]:
    from anthropic_server import AnthropicTestServer, Reply
    from renga.completion.pipeline import complete
    from renga.model.client import ModelClient

    language = registry().get("python")
    text = stdlib_text(3000)
    doc = Document("file:///bench/cache.py", text, language=language)
    tags = extract(language, doc.tree, doc.source) if language and doc.tree else None
    refs = [r for r in (tags.references if tags else []) if len(r.name) > 2]
    rng = random.Random(3)
    with AnthropicTestServer(default_reply=Reply(text="<fill>x</fill>")) as server:
        settings = Settings(base_url=server.base_url)
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


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--positions", type=int, default=45, help="cursor positions per project")
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
    for n in (10_000, 50_000):
        t = time_assembly(n)
        row = (
            f"| {n:,} lines | {len(t.wall)} | {statistics.median(t.wall):.2f} ms | "
            f"{pct(t.wall, 0.99):.2f} ms | {statistics.median(t.cpu):.2f} ms | "
            f"{pct(t.cpu, 0.99):.2f} ms | {t.modes.get('update', 0)}/{t.modes.get('full', 0)} | "
            f"{t.refreshed} | {t.late} |"
        )
        print(row)
        lines_out.append(row)

    print("\n(b) context quality")
    by_language: dict[str, Quality] = {}
    found = projects()
    for language_name, project, folder in found:
        q = by_language.setdefault(language_name, Quality(language_name))
        t0 = time.perf_counter()
        quality_for(language_name, project, folder, args.positions, q)
        print(
            f"  {language_name}/{project}: {q.positions} positions so far ({time.perf_counter() - t0:.0f} s)"
        )
    lines_out += [
        "",
        "## (b) Context quality: definitions of the deleted line's identifiers in the context",
        "",
        f"Budget: `context.tokenBudget` = {SETTINGS.context.token_budget}. The window gets the same "
        "number of estimated tokens as renga's whole request.",
        "",
        "| language | projects | positions | identifiers | renga | plain window | renga tokens (mean) | window tokens (mean) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    all_q = Quality("all")
    for q in by_language.values():
        if not q.identifiers:
            continue
        row = (
            f"| {q.language} | {', '.join(q.projects)} | {q.positions} | {q.identifiers} | "
            f"{q.renga_hits / q.identifiers:.0%} | {q.window_hits / q.identifiers:.0%} | "
            f"{statistics.mean(q.tokens):.0f} | {statistics.mean(q.window_tokens):.0f} |"
        )
        print(row)
        lines_out.append(row)
        all_q.positions += q.positions
        all_q.identifiers += q.identifiers
        all_q.renga_hits += q.renga_hits
        all_q.window_hits += q.window_hits
        all_q.tokens += q.tokens
        all_q.window_tokens += q.window_tokens
    if all_q.identifiers:
        row = (
            f"| **all** | | {all_q.positions} | {all_q.identifiers} | "
            f"**{all_q.renga_hits / all_q.identifiers:.0%}** | {all_q.window_hits / all_q.identifiers:.0%} | "
            f"{statistics.mean(all_q.tokens):.0f} | {statistics.mean(all_q.window_tokens):.0f} |"
        )
        print(row)
        lines_out.append(row)

    print("\n(c) prompt cache over consecutive completions in one file (test server)")
    c = asyncio.run(cache_rate())
    lines_out += [
        "",
        "## (c) Prompt cache over consecutive completions in one 3,000-line file",
        "",
        "5 places in the file, 8 keystrokes at each, one completion per keystroke, through "
        "`complete()` and the SDK to tests/anthropic_server.py (cache minimum 4,096 tokens).",
        "",
        f"- requests: {c['requests']:.0f}",
        f"- requests reading the cache: {c['hit_rate']:.0%}",
        f"- input tokens read from the cache: {c['read_share']:.0%} (written: {c['written_share']:.0%})",
        f"- input cost relative to no caching (Haiku 4.5 prices): {c['cost_ratio']:.2f}",
        f"- mean input tokens per request: {c['mean_input']:.0f}",
    ]
    for key, value in c.items():
        print(f"  {key}: {value:.3f}")
    OUT.parent.mkdir(parents=True, exist_ok=True)
    OUT.write_text("\n".join(lines_out) + "\n", encoding="utf-8")
    print(f"\nreport: {OUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
