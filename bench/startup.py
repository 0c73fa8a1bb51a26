"""Startup benchmark: how soon an editor that starts ``renga serve`` gets its ``initialize``
answered (target: well under half a second), and how long until the server is ready to complete
(the SDK imported and the pooled connection opened by the warm-up call, in the background).

    python bench/startup.py              # 20 starts
    python bench/startup.py --runs 50

Each run starts ``renga serve`` as a subprocess over stdio, as an editor does, with the tests'
Anthropic-compatible server standing in for the API.
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

from anthropic_server import AnthropicTestServer  # noqa: E402
from completion import bench_client, renga_env  # noqa: E402


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


async def one_start(server: AnthropicTestServer, home: Path) -> dict[str, float]:
    env = renga_env(server, home)
    client = bench_client()

    before = len(server.requests)
    t0 = time.perf_counter()
    await client.start_io(sys.executable, "-m", "renga", "serve", env=env)
    t1 = time.perf_counter()
    await client.initialize_async(
        types.InitializeParams(capabilities=types.ClientCapabilities(), process_id=os.getpid())
    )
    t2 = time.perf_counter()
    client.initialized(types.InitializedParams())
    # Ready: the warm-up count_tokens call reached the API (the SDK is imported by then).
    await asyncio.to_thread(server.wait_for_requests, before + 1, 30.0)
    t3 = time.perf_counter()
    try:
        await asyncio.wait_for(client.shutdown_async(None), 5)
        client.exit(None)
    finally:
        await client.stop()
    return {
        "spawn_to_initialize_ms": (t2 - t0) * 1000,
        "initialize_rtt_ms": (t2 - t1) * 1000,
        "spawn_to_ready_ms": (t3 - t0) * 1000,
    }


async def main(runs: int) -> None:
    samples: dict[str, list[float]] = {}
    with AnthropicTestServer() as server, tempfile.TemporaryDirectory() as home:
        for _ in range(runs + 1):
            result = await one_start(server, Path(home))
            for key, value in result.items():
                samples.setdefault(key, []).append(value)
    # The first start compiles bytecode and fills the OS page cache: not what a user sees twice.
    samples = {k: v[1:] for k, v in samples.items()}
    print("# Startup benchmark\n")
    print(
        f"Command: `python bench/startup.py --runs {runs}`. Load average {os.getloadavg()[0]:.1f}.\n"
    )
    print("| from | to | p50 (ms) | p99 (ms) | max (ms) |")
    print("|---|---|---:|---:|---:|")
    labels = {
        "spawn_to_initialize_ms": ("process start", "`initialize` answered"),
        "initialize_rtt_ms": ("`initialize` sent", "`initialize` answered"),
        "spawn_to_ready_ms": ("process start", "first API call (SDK loaded, connection warm)"),
    }
    for key, (a, b) in labels.items():
        v = samples[key]
        print(f"| {a} | {b} | {statistics.median(v):.0f} | {pct(v, 0.99):.0f} | {max(v):.0f} |")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--runs", type=int, default=20)
    asyncio.run(main(parser.parse_args().runs))
