"""Redaction and exclusion, measured: leaks, false positives and the cost per request.

    python bench/privacy.py            # the full run (downloads a few sdists the first time)
    python bench/privacy.py --quick    # two small packages, fewer timings

1. Leaks: the corpus generated from the format descriptions in renga/privacy/secrets.toml (every
   token format placed in ten kinds of file, three seeds) must come back with no secret left and
   with the text around each secret unchanged. Printed per kind.
2. False positives: every redaction in ordinary code from real packages, downloaded at run time
   (``pip download`` of sdists into a cache folder; never vendored), per 10,000 lines and per
   kind, with the first ones shown for review.
3. Cost per request: a 6,000-token prompt of that code redacted cold (never seen before), and a
   typing session through ``redact_body`` (the system prompt and the stable block repeat, the
   live block changes on each keystroke), p50 and p99; and the exclusion check of a path.
   When ``detect-secrets`` is installed its cost and leaks on the same inputs are printed too.

Writes bench/out/privacy.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
import zipfile
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from renga.config import Settings  # noqa: E402
from renga.privacy import Privacy, find_secrets, redact, redact_body  # noqa: E402
from renga.privacy.redaction import FORMATS, entropy, word_share  # noqa: E402
from renga.privacy.samples import FILE_TYPES, corpus, token_formats  # noqa: E402
from renga.prompts.completion import SYSTEM  # noqa: E402

PACKAGES = [
    "requests==2.32.3",
    "flask==3.1.0",
    "werkzeug==3.1.3",
    "httpx==0.28.1",
    "rich==13.9.4",
    "django==5.1.4",
]
QUICK = PACKAGES[:2]
# Files renga would read: source, configuration and docs (anything without a NUL byte is text,
# these extensions keep out translations, data and minified bundles).
TEXT = {
    ".py", ".pyi", ".js", ".ts", ".json", ".yaml", ".yml", ".toml", ".ini", ".cfg", ".txt",
    ".rst", ".md", ".html", ".css", ".sh", ".properties", ".env", ".conf", ".xml", ".sql",
}  # fmt: skip
PIP_DOWNLOAD = [sys.executable, "-m", "pip", "download", "-q", "--no-deps", "--no-binary", ":all:"]
CACHE = Path(os.environ.get("RENGA_BENCH_CACHE", Path.home() / ".cache" / "renga-bench"))


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(len(ordered) * q))]


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    return statistics.median(samples), pct(samples, 0.99)


# -- 1. leaks --------------------------------------------------------------------------------


def leaks() -> tuple[list[str], int]:
    per_kind: Counter[str] = Counter()
    leaked: Counter[str] = Counter()
    unbounded: Counter[str] = Counter()
    examples: list[str] = []
    for seed in (1, 2, 3):
        for p in corpus(seed):
            per_kind[p.kind] += 1
            redacted, count = redact(p.text)
            if count == 0 or any(piece in redacted for piece in p.pieces):
                leaked[p.kind] += 1
                examples.append(f"  LEAK {p.kind} in {p.file_type}: {p.text[:120]!r}")
            elif not (redacted.startswith(p.before) and redacted.endswith(p.after)):
                unbounded[p.kind] += 1
                examples.append(f"  UNBOUNDED {p.kind} in {p.file_type}: {redacted[:120]!r}")
    lines = [
        f"corpus: {len(token_formats())} token formats (of {len(FORMATS)} rows) x "
        f"{len(FILE_TYPES)} kinds of file, {sum(per_kind.values())} placements (3 seeds)",
        f"leaks: {sum(leaked.values())}   redactions past their secret: {sum(unbounded.values())}",
        "",
        "| kind | placements | leaks | unbounded |",
        "|---|---:|---:|---:|",
    ]
    lines += [f"| {k} | {n} | {leaked[k]} | {unbounded[k]} |" for k, n in sorted(per_kind.items())]
    return lines + examples[:20], sum(leaked.values())


# -- 2. false positives on real code ------------------------------------------------------------


def sdists(packages: list[str]) -> list[Path]:
    """The packages' sdists, downloaded into the cache folder the first time."""
    folder = CACHE / "sdists"
    folder.mkdir(parents=True, exist_ok=True)
    wanted = [p for p in packages if _archive(folder, p) is None]
    if wanted:
        print(f"downloading {', '.join(wanted)} into {folder} ...", flush=True)
        subprocess.run(
            [*PIP_DOWNLOAD, "-d", str(folder), *wanted],
            check=True,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
    found = [_archive(folder, p) for p in packages]
    return [a for a in found if a is not None]


def _archive(folder: Path, requirement: str) -> Path | None:
    """The downloaded sdist of ``requirement`` (names compare as pip does: case and -/_ aside)."""
    name, _, version = requirement.partition("==")
    wanted = f"{name}-{version}".lower().replace("-", "_")
    for path in sorted(folder.iterdir()):
        if path.name.lower().replace("-", "_").startswith(wanted + "."):
            return path
    return None


def text_files(archives: list[Path], into: Path) -> Iterator[tuple[str, str]]:
    for archive in archives:
        target = into / archive.name
        if archive.suffix == ".zip":
            with zipfile.ZipFile(archive) as z:
                z.extractall(target)
        else:
            with tarfile.open(archive) as t:
                t.extractall(target, filter="data")
        for path in sorted(target.rglob("*")):
            if not path.is_file() or path.suffix.lower() not in TEXT:
                continue
            data = path.read_bytes()
            if b"\0" in data or len(data) > 1_000_000:
                continue
            yield str(path.relative_to(into)), data.decode("utf-8", errors="replace")


def secret_like(value: str) -> bool:
    """A random value of a key's length: what a secret is, whatever the file says it is for
    (Flask's docs show real-format SECRET_KEY values). Anything else redacted is a false
    positive: a word, an identifier, a test stand-in, a short value."""
    return len(value) >= 16 and entropy(value) >= 3.0 and word_share(value) < 0.5


def false_positives(files: list[tuple[str, str]]) -> tuple[list[str], float, int]:
    wrong: Counter[str] = Counter()
    keys: Counter[str] = Counter()
    examples: list[str] = []
    lines = 0
    for name, text in files:
        lines += text.count("\n") + 1
        for start, end, kind in find_secrets(text):
            random_value = secret_like(text[start:end])
            (keys if random_value else wrong)[kind] += 1
            line = text.count("\n", 0, start) + 1
            begin = text.rfind("\n", 0, start) + 1
            stop = text.find("\n", end)
            shown = text[begin : stop if stop >= 0 else len(text)].strip()[:130]
            label = "key-like" if random_value else "FALSE+"
            examples.append(f"  {label:8s} {kind:22s} {name}:{line}: {shown}")
    rate = sum(wrong.values()) / lines * 10_000 if lines else 0.0
    every = (sum(wrong.values()) + sum(keys.values())) / lines * 10_000 if lines else 0.0
    out = [
        f"ordinary code: {len(files)} files, {lines} lines; false positives (a word, an "
        f"identifier, a stand-in, a short value redacted): {sum(wrong.values())} = {rate:.2f} per 10,000 lines; "
        f"random key-like values redacted: {sum(keys.values())} (all redactions: "
        f"{every:.2f} per 10,000 lines)",
        "",
        "| kind | false positives | key-like values |",
        "|---|---:|---:|",
    ]
    out += [f"| {k} | {wrong[k]} | {keys[k]} |" for k in sorted(set(wrong) | set(keys))]
    return out + sorted(examples, key=lambda e: not e.startswith("  FALSE"))[:60], rate, lines


# -- 3. cost per request -------------------------------------------------------------------------


def windows(code: str, chars: int, count: int, rng: random.Random) -> list[str]:
    starts = [rng.randrange(0, max(1, len(code) - chars)) for _ in range(count)]
    return [code[s : s + chars] for s in starts]


def typing_session(code: str, rng: random.Random, keystrokes: int) -> list[dict[str, object]]:
    """Request bodies of a user typing at a few places: the system prompt and the stable block
    (the file around the window) repeat; the live window changes with each keystroke."""
    bodies = []
    place = 0
    while len(bodies) < keystrokes:
        start = rng.randrange(0, max(1, len(code) - 30_000))
        stable = code[start : start + 14_000]
        window = code[start + 14_000 : start + 21_000]
        cut = len(window) // 2
        typed = ""
        for char in "result = compute(value, options)\n"[: rng.randrange(8, 30)]:
            typed += char
            live = f"{window[:cut]}{typed}<<FILL>>{window[cut:]}"
            bodies.append(
                {
                    "system": [{"type": "text", "text": SYSTEM}],
                    "messages": [
                        {
                            "role": "user",
                            "content": [
                                {"type": "text", "text": stable},
                                {"type": "text", "text": f'<file path="p{place}.py">\n{live}'},
                            ],
                        }
                    ],
                }
            )
        place += 1
    return bodies[:keystrokes]


def costs(code: str, quick: bool) -> list[str]:
    rng = random.Random(5)
    runs = 60 if quick else 300
    prompts = windows(code, 21_000, runs, rng)  # 6,000 tokens at 3.5 characters a token
    cold: list[float] = []
    for prompt in prompts:
        start = time.perf_counter()
        redact(prompt)
        cold.append((time.perf_counter() - start) * 1000)
    bodies = typing_session(code, rng, runs)
    typing: list[float] = []
    for body in bodies:
        start = time.perf_counter()
        redact_body(body)
        typing.append((time.perf_counter() - start) * 1000)
    rows = [
        ("redact a new 6,000-token prompt (cold)", cold),
        ("redact_body per keystroke request (typing session)", typing),
    ]
    out = ["| operation | p50 (ms) | p99 (ms) |", "|---|---:|---:|"]
    out += [f"| {name} | {pct(v, 0.5):.3f} | {pct(v, 0.99):.3f} |" for name, v in rows]
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / ".gitignore").write_text("build/\n*.log\nnode_modules/\n")
        (root / "src" / "pkg").mkdir(parents=True)
        (root / "src" / ".rengaignore").write_text("fixtures/\n")
        (root / "src" / "pkg" / "module.py").write_text("x = 1\n")
        (root / "link.py").symlink_to(root / "src" / "pkg" / "module.py")
        privacy = Privacy([root], Settings())
        path = str(root / "src" / "pkg" / "module.py")
        fresh = (f"{path[:-3]}{i}.py" for i in range(10**9))
        first = measure(lambda: privacy.excluded(next(fresh)), 2000)
        again = measure(lambda: privacy.excluded(path), 2000)
        linked = (str(root / f"link{i}.py") for i in range(10**9))
        out.append(
            f"| excluded(path), 3 folders deep, first time | {first[0]:.3f} | {first[1]:.3f} |"
        )
        out.append(f"| excluded(path), asked again (kept 2 s) | {again[0]:.3f} | {again[1]:.3f} |")
        for i in range(2000):
            (root / f"link{i}.py").symlink_to(root / "src" / "pkg" / "module.py")
        link = measure(lambda: privacy.excluded(next(linked)), 2000)
        out.append(f"| excluded(symlink), first time | {link[0]:.3f} | {link[1]:.3f} |")
    return out + detect_secrets_costs(prompts[: 5 if quick else 20])


def detect_secrets_costs(prompts: list[str]) -> list[str]:
    """The same prompts and corpus through detect-secrets, when it is installed."""
    try:
        from detect_secrets.core.scan import scan_line
        from detect_secrets.settings import default_settings
    except ImportError:
        return ["", "detect-secrets: not installed (pip install detect-secrets to compare)"]
    with default_settings():
        times = []
        for prompt in prompts:
            start = time.perf_counter()
            for line in prompt.splitlines():
                list(scan_line(line))
            times.append((time.perf_counter() - start) * 1000)
        missed = 0
        placements = corpus(1)
        for p in placements:
            found = {s.secret_value or "" for line in p.text.splitlines() for s in scan_line(line)}
            if not any(len(f) >= 8 and (f in p.secret or p.secret in f) for f in found):
                missed += 1
    return [
        "",
        f"detect-secrets (for comparison): {pct(times, 0.5):.1f} ms p50 per cold 6,000-token "
        f"prompt; misses {missed} of {len(placements)} corpus placements (seed 1)",
    ]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="two small packages, fewer runs")
    args = parser.parse_args()
    report = ["# Privacy: leaks, false positives, cost per request", ""]

    leak_lines, leaked = leaks()
    print("\n".join(leak_lines[:2]))
    report += ["## Leaks (generated corpus)", "", *leak_lines, ""]

    with tempfile.TemporaryDirectory() as tmp:
        archives = sdists(QUICK if args.quick else PACKAGES)
        files = list(text_files(archives, Path(tmp)))
    fp_lines, rate, lines = false_positives(files)
    print(fp_lines[0])
    print("\n".join(line for line in fp_lines[2:] if line.startswith("|")))
    report += [f"## False positives ({', '.join(a.name for a in archives)})", "", *fp_lines, ""]

    code = "\n".join(text for name, text in files if name.endswith(".py"))
    cost_lines = costs(code, args.quick)
    print("\n".join(cost_lines))
    report += ["## Cost", "", *cost_lines, ""]

    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "privacy.md").write_text("\n".join(report) + "\n")
    print(f"leaks {leaked}; false positives {rate:.2f} per 10,000 lines of {lines}")
    print(f"report: {out / 'privacy.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
