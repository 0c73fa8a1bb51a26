"""Startup benchmark: how soon an editor that starts ``renga serve`` gets its ``initialize``
answered (target: well under half a second), and how soon after the process starts the first
inline completion is shown (target: within 1.0 s, median of 20, with an instant model).

    python bench/startup.py              # 20 starts
    python bench/startup.py --runs 50

Each run starts ``renga serve`` as a subprocess over stdio, as an editor does, with the tests'
Anthropic-compatible server standing in for the API (answering at once, so what is measured is
renga's own start: imports, the SDK, the connection). Right after ``initialized`` the editor
opens a file and asks for an inline completion at a cursor, as a user who starts typing at
once would; an empty answer is asked again 50 ms later (the next keystroke), until one shows.

The machine is shared, so each run also times a bare ``python -c "import anthropic"`` under the
same load: the least any start that waits for the SDK before its first completion would take.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

from lsprotocol import types

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from anthropic_server import AnthropicTestServer, Reply  # noqa: E402
from completion import bench_client, renga_env  # noqa: E402

SOURCE = "def add(a, b):\n    \n"
REPLY = "return a + b"


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def first_completion(client: object, uri: str) -> tuple[float, int]:
    """Ask until an inline completion comes back; the time it came and how many asks it took."""
    asks = 0
    deadline = time.perf_counter() + 60
    while time.perf_counter() < deadline:
        asks += 1
        result = await client.text_document_inline_completion_async(  # type: ignore[attr-defined]
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=uri),
                position=types.Position(line=1, character=4),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Automatic
                ),
            )
        )
        items = result.items if isinstance(result, types.InlineCompletionList) else result
        if items:
            text = items[0].insert_text
            assert REPLY in (text if isinstance(text, str) else text.value), items[0]
            return time.perf_counter(), asks
        await asyncio.sleep(0.05)
    raise TimeoutError("no completion within 60 s")


async def sdk_import_ms() -> float:
    """A fresh interpreter importing the anthropic SDK, nothing else."""
    t0 = time.perf_counter()
    proc = await asyncio.create_subprocess_exec(sys.executable, "-c", "import anthropic")
    await proc.wait()
    return (time.perf_counter() - t0) * 1000


def make_workspace(tmp: Path) -> Path:
    workspace = tmp / "project"
    workspace.mkdir()
    (workspace / "calc.py").write_text(SOURCE)
    return workspace


async def one_start(server: AnthropicTestServer, home: Path, workspace: Path) -> dict[str, float]:
    env = renga_env(server, home)
    client = bench_client()
    file = workspace / "calc.py"
    t0 = time.perf_counter()
    await client.start_io(sys.executable, "-m", "renga", "serve", env=env)
    t1 = time.perf_counter()
    caps = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(configuration=True),
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
    )
    await client.initialize_async(
        types.InitializeParams(
            capabilities=caps, process_id=os.getpid(), root_uri=workspace.as_uri()
        )
    )
    t2 = time.perf_counter()
    client.initialized(types.InitializedParams())
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=file.as_uri(), language_id="python", version=1, text=SOURCE
            )
        )
    )
    before = len(server.requests)
    t3, asks = await first_completion(client, file.as_uri())
    # Sent before the SDK had loaded (renga.model.direct) or through it (its user agent).
    first = next(r for r in server.requests[before:] if r.stream)
    direct = not first.headers.get("user-agent", "").startswith("AsyncAnthropic")
    try:
        await asyncio.wait_for(client.shutdown_async(None), 5)
        client.exit(None)
    finally:
        await client.stop()
    return {
        "spawn_to_initialize_ms": (t2 - t0) * 1000,
        "initialize_rtt_ms": (t2 - t1) * 1000,
        "spawn_to_first_completion_ms": (t3 - t0) * 1000,
        "asks": asks,
        "direct": float(direct),
    }


async def main(runs: int) -> None:
    samples: dict[str, list[float]] = {}
    with (
        AnthropicTestServer(default_reply=Reply(text=REPLY)) as server,
        tempfile.TemporaryDirectory() as tmp,
    ):
        workspace = make_workspace(Path(tmp))
        for _ in range(runs + 1):
            result = await one_start(server, Path(tmp, "home"), workspace)
            result["sdk_import_ms"] = await sdk_import_ms()
            for key, value in result.items():
                samples.setdefault(key, []).append(value)
    # The first start compiles bytecode and fills the OS page cache: not what a user sees twice.
    samples = {k: v[1:] for k, v in samples.items()}
    report = render(samples, runs)
    print(report)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "startup.md").write_text(report + "\n", "utf-8")


def render(samples: dict[str, list[float]], runs: int) -> str:
    lines = [
        "# Startup benchmark\n",
        f"Command: `python bench/startup.py --runs {runs}`. "
        f"Load average {os.getloadavg()[0]:.1f}.\n",
        "| from | to | p50 (ms) | p99 (ms) | max (ms) |",
        "|---|---|---:|---:|---:|",
    ]
    labels = {
        "spawn_to_initialize_ms": ("process start", "`initialize` answered"),
        "initialize_rtt_ms": ("`initialize` sent", "`initialize` answered"),
        "spawn_to_first_completion_ms": ("process start", "first inline completion shown"),
        "sdk_import_ms": ("process start", "`import anthropic` done (bare interpreter, yardstick)"),
    }
    for key, (a, b) in labels.items():
        v = samples[key]
        lines.append(
            f"| {a} | {b} | {statistics.median(v):.0f} | {pct(v, 0.99):.0f} | {max(v):.0f} |"
        )
    asks, direct = samples["asks"], sum(samples["direct"])
    first = statistics.median(samples["spawn_to_first_completion_ms"])
    ratio = first / statistics.median(samples["sdk_import_ms"])
    lines += [
        f"\nFirst completions sent before the SDK had loaded: {direct:.0f} of {len(asks)}.",
        f"Requests until the first completion came back: median {statistics.median(asks):.0f}, "
        f"max {max(asks):.0f}.",
        f"First completion / bare SDK import (medians, same run): {ratio:.2f}.",
        f"First completion within 1.0 s of process start (median): "
        f"{'yes' if first <= 1000 else 'NO'}.",
    ]
    return "\n".join(lines)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args().runs))
