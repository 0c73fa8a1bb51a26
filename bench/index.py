"""Workspace index benchmark: a real ``renga serve`` indexes 5,000 real source files.

The workspace is copied from real code on this machine: the Python standard library and the
packages installed in this virtualenv, C headers from /usr/include and JavaScript from the global
node_modules (whatever of those exists). Then, each with a real server driven over stdio by a
pygls client:

- cold build: an empty cache; time from ``initialized`` to the end of the ``$/progress`` report;
- warm restart: a second server on the same cache; the same time;
- peak memory: VmHWM of the server process, read from /proc after its build, and of the process
  it starts to parse a big build (sampled while it runs);
- responsiveness: round trips of a cheap request sent every 50 ms during the cold build (a
  completion waits for the event loop the same way).

Prints the figures and writes bench/out/index.md. Run: ``python bench/index.py [--files N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import re
import shutil
import statistics
import sys
import sysconfig
import tempfile
import time
from collections import Counter
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

OUT = Path(__file__).resolve().parent / "out"
MAX_FILE = 256 * 1024  # the corpus leaves out minified bundles and generated tables


def sources() -> dict[str, list[Path]]:
    """Real source files on this machine, by language, in a stable order."""
    stdlib = Path(sysconfig.get_paths()["stdlib"])
    purelib = Path(sysconfig.get_paths()["purelib"])
    found: dict[str, list[Path]] = {"python": [], "c": [], "javascript": []}
    for base in (stdlib, purelib):
        for p in sorted(base.rglob("*.py")):
            if "site-packages" in p.parts and base == stdlib:
                continue
            found["python"].append(p)
    if Path("/usr/include").is_dir():
        found["c"] = sorted(Path("/usr/include").rglob("*.h"))
    for modules in (Path("/usr/lib/node_modules"), Path("/usr/local/lib/node_modules")):
        if modules.is_dir():
            found["javascript"] += sorted(modules.rglob("*.js"))
    for language, paths in found.items():
        found[language] = [
            p for p in paths if p.is_file() and not p.is_symlink() and p.stat().st_size <= MAX_FILE
        ]
    return found


def spread(paths: list[Path], n: int) -> list[Path]:
    """``n`` files spread evenly over ``paths`` (not the first n of one package)."""
    if len(paths) <= n:
        return paths
    step = len(paths) / n
    return [paths[int(i * step)] for i in range(n)]


def make_workspace(root: Path, total: int) -> Counter[str]:
    found = sources()
    # Mostly Python, with the other languages this machine has: at most a fifth each.
    shares = {
        lang: min(len(paths), total // 5) for lang, paths in found.items() if lang != "python"
    }
    shares["python"] = total - sum(shares.values())
    counts: Counter[str] = Counter()
    for language, n in shares.items():
        for i, src in enumerate(spread(found[language], n)):
            # Flattened a little so names never collide; folders kept for a realistic tree.
            dest = root / language / f"d{i // 100:03}" / f"{i:05}_{src.name}"
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dest)
            counts[language] += 1
    return counts


def vm_hwm_mb(pid: int) -> float:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) / 1024
    return float("nan")


def children(pid: int) -> list[int]:
    found = []
    for task in Path(f"/proc/{pid}/task").iterdir():
        try:
            found += [int(c) for c in (task / "children").read_text().split()]
        except OSError:
            continue
    return found


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


async def run_server(workspace: Path, cache: Path, probe: bool) -> dict[str, Any]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "RENGA_"))}
    env["XDG_CACHE_HOME"] = str(cache)
    env["XDG_DATA_HOME"] = str(cache / "data")
    client = LanguageClient("renga-bench", "1")
    begun = asyncio.Event()
    ended = asyncio.Event()
    end_message: list[str] = []
    marks: dict[str, float] = {}

    @client.feature(types.WINDOW_WORK_DONE_PROGRESS_CREATE)
    def create(params: types.WorkDoneProgressCreateParams) -> None:
        return None

    @client.feature(types.PROGRESS)
    def progress(params: Any) -> None:
        value = params.value if hasattr(params, "value") else params["value"]
        kind = getattr(value, "kind", None) or (
            value.get("kind") if isinstance(value, dict) else None
        )
        if kind == "begin":
            marks["begin"] = time.perf_counter()
            begun.set()
        if kind == "end":
            marks["end"] = time.perf_counter()
            message = getattr(value, "message", None) or value.get("message", "")
            end_message.append(str(message))
            ended.set()

    @client.feature("renga/status")
    def status(params: Any) -> None:
        return None

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def show(params: Any) -> None:
        return None

    @client.feature(types.WINDOW_LOG_MESSAGE)
    def log(params: Any) -> None:
        return None

    await client.start_io(sys.executable, "-m", "renga", "serve", env=env)
    server_process = client._server  # the asyncio subprocess pygls started
    assert server_process is not None
    pid = server_process.pid
    capabilities = types.ClientCapabilities(
        window=types.WindowClientCapabilities(work_done_progress=True),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="bench")],
        )
    )
    cpu_before = cpu_seconds(pid)
    began = time.perf_counter()
    client.initialized(types.InitializedParams())
    round_trips: list[float] = []
    # Probing starts with the build: what the server does at `initialized` before it (importing
    # the model SDK, on the event loop) is not the index's doing.
    await asyncio.wait_for(begun.wait(), timeout=900)
    child_hwm: dict[int, float] = {}
    child_cpu: dict[int, float] = {}
    if probe:
        while not ended.is_set():
            for child in children(pid):
                with contextlib.suppress(OSError, ValueError):
                    child_hwm[child] = max(child_hwm.get(child, 0.0), vm_hwm_mb(child))
                    child_cpu[child] = cpu_seconds(child)
            sent = time.perf_counter()
            await client.protocol.send_request_async("renga/documentState", {"uri": "file:///none"})
            round_trips.append((time.perf_counter() - sent) * 1000)
            if os.environ.get("BENCH_TRACE") and round_trips[-1] > 100:
                print(f"  t={sent - began:.2f}s rt={round_trips[-1]:.1f}ms")
            await asyncio.sleep(0.05)
    await asyncio.wait_for(ended.wait(), timeout=900)
    seconds = time.perf_counter() - began
    # The same probe with the index idle: what the shared machine's load alone costs.
    idle_trips: list[float] = []
    if probe:
        for _ in range(100):
            sent = time.perf_counter()
            await client.protocol.send_request_async("renga/documentState", {"uri": "file:///none"})
            idle_trips.append((time.perf_counter() - sent) * 1000)
            await asyncio.sleep(0.05)
    result = {
        "seconds": seconds,
        # The build's own time, as the server measured it on its worker thread.
        "build": float(re.search(r"in ([0-9.]+) s", end_message[0]).group(1))
        if end_message
        else float("nan"),
        "cpu": cpu_seconds(pid) - cpu_before,
        "hwm_mb": vm_hwm_mb(pid),
        "message": end_message[0] if end_message else "",
        "round_trips": round_trips,
        "idle_trips": idle_trips,
        "child_hwm_mb": max(child_hwm.values(), default=0.0),
        # Sampled every 50 ms while it runs: the last sample falls short by at most that.
        "child_cpu": sum(child_cpu.values()),
    }
    symbols = await client.workspace_symbol_async(types.WorkspaceSymbolParams(query="OrderedDict"))
    result["symbols"] = len(symbols or [])
    await client.shutdown_async(None)
    client.exit(None)
    await client.stop()
    return result


def percentile(values: list[float], p: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=5000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="renga-bench-index-") as tmp:
        workspace = Path(tmp) / "ws"
        counts = make_workspace(workspace, args.files)
        size_mb = sum(p.stat().st_size for p in workspace.rglob("*") if p.is_file()) / 1e6
        total = sum(counts.values())
        print(f"workspace: {total} files, {size_mb:.1f} MB ({dict(counts)})")
        cache = Path(tmp) / "cache"
        load_before = os.getloadavg()[0]
        cold = await run_server(workspace, cache, probe=True)
        warm = await run_server(workspace, cache, probe=False)
        # The same server on an empty folder: what the index adds to its memory.
        empty = Path(tmp) / "empty"
        (empty / "notes").mkdir(parents=True)
        baseline = await run_server(empty, Path(tmp) / "cache-empty", probe=False)
        load_after = os.getloadavg()[0]

    trips = cold["round_trips"]
    idle = cold["idle_trips"]
    rows = [
        (
            "cold build: scan, parse and store (wall, server-side)",
            f"{cold['build']:.1f} s",
            "<= 30 s",
        ),
        ("cold build: initialized to progress end (wall)", f"{cold['seconds']:.1f} s", ""),
        ("cold build: server CPU time", f"{cold['cpu']:.1f} s", ""),
        ("cold build: parsing process CPU time", f"{cold['child_cpu']:.1f} s", ""),
        (
            "warm restart: scan and load the cache (wall, server-side)",
            f"{warm['build']:.2f} s",
            "<= 2 s",
        ),
        ("warm restart: initialized to progress end (wall)", f"{warm['seconds']:.2f} s", ""),
        ("warm restart: server CPU time", f"{warm['cpu']:.2f} s", ""),
        ("peak memory, cold (VmHWM)", f"{cold['hwm_mb']:.0f} MB", "<= 300 MB"),
        ("peak memory, warm (VmHWM)", f"{warm['hwm_mb']:.0f} MB", "<= 300 MB"),
        ("peak memory of the parsing process, cold (VmHWM)", f"{cold['child_hwm_mb']:.0f} MB", ""),
        ("peak memory, same server on an empty folder (VmHWM)", f"{baseline['hwm_mb']:.0f} MB", ""),
        (
            "request round trip during the build: median / p99 / max",
            f"{statistics.median(trips) if trips else float('nan'):.1f} / "
            f"{percentile(trips, 99):.1f} / {max(trips, default=float('nan')):.1f} ms "
            f"({len(trips)} requests)",
            "",
        ),
        (
            "the same round trip after the build: median / p99 / max",
            f"{statistics.median(idle) if idle else float('nan'):.1f} / "
            f"{percentile(idle, 99):.1f} / {max(idle, default=float('nan')):.1f} ms "
            f"({len(idle)} requests)",
            "",
        ),
    ]
    for name, value, target in rows:
        print(f"{name:58} {value:>28} {target}")
    print(f"cold: {cold['message']}")
    print(f"warm: {warm['message']}")
    print(
        f"load average (1 min) before/after: {load_before:.1f} / {load_after:.1f} on {os.cpu_count()} cores"
    )

    OUT.mkdir(exist_ok=True)
    lines = [
        "# Workspace index benchmark",
        "",
        f"`python bench/index.py --files {args.files}`: a real `renga serve` over stdio indexes "
        f"{total} real source files ({size_mb:.1f} MB: {', '.join(f'{n} {k}' for k, n in counts.items())}; "
        f"files over {MAX_FILE // 1024} KB left out of the corpus).",
        "",
        "| figure | value | target |",
        "|---|---|---|",
        *[f"| {name} | {value} | {target} |" for name, value, target in rows],
        "",
        f"- cold: {cold['message']}",
        f"- warm: {warm['message']}",
        f"- load average (1 min) before/after: {load_before:.1f} / {load_after:.1f} on "
        f"{os.cpu_count()} cores (the machine is shared: wall times stretch with the load, CPU "
        "times do not).",
        f"- `workspace/symbol` for `OrderedDict` after the warm restart: {warm['symbols']} symbols.",
        "",
    ]
    (OUT / "index.md").write_text("\n".join(lines), encoding="utf-8")
    print(f"wrote {OUT / 'index.md'}")


if __name__ == "__main__":
    asyncio.run(main())
