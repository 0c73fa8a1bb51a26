"""A short run of the LSP fuzzer (bench/fuzz.py; the full run is 10,000 operations): random
open/change/close/completion/cancel operations, bad positions, malformed params and malformed
frames against live servers in all three position encodings, with no crash, no deaf server and
no divergence."""

from __future__ import annotations

import sys
from pathlib import Path

BENCH = Path(__file__).resolve().parents[2] / "bench"
if str(BENCH) not in sys.path:
    sys.path.insert(0, str(BENCH))

from fuzz import fuzz  # noqa: E402


async def test_random_lsp_operations_neither_crash_nor_diverge(tmp_path: Path) -> None:
    results = await fuzz(ops=450, seed=7, sessions=3, folder=tmp_path)
    assert [r.encoding for r in results] == ["utf-16", "utf-8", "utf-32"]
    assert sum(r.ops for r in results) == 450
    problems = [p for r in results for p in r.problems]
    assert sum(r.crashes for r in results) == 0, problems
    assert sum(r.deaf for r in results) == 0, problems
    assert sum(r.divergences for r in results) == 0, problems
    # The run did exercise what it claims to.
    assert all(r.checks > 30 and r.completions > 10 and r.frames > 3 for r in results)
