"""What privacy and the ledger add to each completion: redaction of a whole prompt, the
exclusion check of a path, and one ledger record (a committed SQLite transaction).

    python bench/privacy.py

Prints median and p99 per operation and writes bench/out/privacy.md.
"""

from __future__ import annotations

import statistics
import sys
import sysconfig
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "server"))

from renga.config import Settings  # noqa: E402
from renga.model.catalog import Usage  # noqa: E402
from renga.privacy import Privacy, redact, redact_body  # noqa: E402
from renga.usage import Ledger  # noqa: E402


def measure(fn: Callable[[], object], runs: int) -> tuple[float, float]:
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        fn()
        samples.append((time.perf_counter() - start) * 1000)
    samples.sort()
    return statistics.median(samples), samples[int(len(samples) * 0.99) - 1]


def prompt_text(chars: int) -> str:
    """Real code (the installed anthropic SDK's sources), cut to ``chars`` characters."""
    site = Path(sysconfig.get_paths()["purelib"])
    text = ""
    for path in sorted((site / "anthropic" / "resources").rglob("*.py")):
        text += path.read_text("utf-8")
        if len(text) >= chars:
            break
    return text[:chars]


def main() -> int:
    rows = []
    for tokens in (2000, 6000, 20000):
        text = prompt_text(int(tokens * 3.5))
        median, p99 = measure(lambda text=text: redact(text), 200)
        rows.append((f"redact a {tokens}-token prompt ({len(text)} chars)", median, p99))
    text = prompt_text(21000)
    system = [{"type": "text", "text": prompt_text(7000)}]
    counter = iter(range(10**9))

    def keystroke() -> int:
        # A new user message on every keystroke; the system block repeats (and is cached).
        user = text + str(next(counter))
        body = {"system": system, "messages": [{"role": "user", "content": user}]}
        return redact_body(body)

    median, p99 = measure(keystroke, 200)
    rows.append(("redact_body: 2000-token system + 6000-token new message", median, p99))

    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        (root / ".git").mkdir()
        (root / ".gitignore").write_text("build/\n*.log\nnode_modules/\n")
        (root / "src" / "pkg").mkdir(parents=True)
        (root / "src" / ".rengaignore").write_text("fixtures/\n")
        privacy = Privacy([root], Settings())
        path = str(root / "src" / "pkg" / "module.py")
        fresh = (f"{path[:-3]}{i}.py" for i in range(10**9))
        median, p99 = measure(lambda: privacy.excluded(next(fresh)), 2000)
        rows.append(("excluded(path), 3 folders deep, first time", median, p99))
        median, p99 = measure(lambda: privacy.excluded(path), 2000)
        rows.append(("excluded(path), asked again (cached 2 s)", median, p99))

        ledger = Ledger(root / "usage.sqlite3")
        usage = Usage("claude-haiku-4-5", input_tokens=3000, output_tokens=40)
        median, p99 = measure(lambda: ledger.record("completion", usage), 500)
        rows.append(("ledger.record (one committed transaction)", median, p99))
        median, p99 = measure(ledger.spend_today, 500)
        rows.append(("ledger.spend_today (the cap's check)", median, p99))
        ledger.close()

    lines = ["# Privacy and ledger overhead", "", "| operation | median (ms) | p99 (ms) |"]
    lines.append("|---|---:|---:|")
    for name, median, p99 in rows:
        print(f"{name:55s} median {median:7.3f} ms   p99 {p99:7.3f} ms")
        lines.append(f"| {name} | {median:.3f} | {p99:.3f} |")
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "privacy.md").write_text("\n".join(lines) + "\n")
    print(f"report: {out / 'privacy.md'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
