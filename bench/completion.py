"""Inline completion benchmark: server overhead, and a typing replay against stand-in models
that are right all the time or only part of the time.

    python bench/completion.py            # both parts, report in bench/out/completion.md
    python bench/completion.py --quick    # fewer requests and a shorter replay
    python bench/completion.py --no-overhead --model perfect --model line:0.6 --model first:30
    python bench/completion.py --no-overhead --models claude-haiku-4-5,claude-haiku-5-5

Everything goes through the real path: ``renga serve`` as a subprocess driven over stdio by a
pygls client, model calls over HTTP through the anthropic SDK to the Anthropic-compatible test
server (tests/anthropic_server.py).

1. Overhead: invoked requests at distinct cursors in files of 1,000 / 10,000 / 50,000 lines, the
   test server answering at once. Overhead = client round trip minus the time the test server
   spent on the model request (from reading it to its last byte).
2. Typing replay: about 300 characters of real function bodies (three of them, chosen with
   ``--seed`` from packages pip downloads at run time into the cache folder) are retyped
   character by character as an editor would (``didChange`` with auto-indent after a line
   break, then an automatic ``inlineCompletion``, cancelling the previous request like VS Code).
   Keystroke gaps average about 8 characters a second: seeded, longer after spaces and
   punctuation, a pause at line ends. The test server takes 500 ms to the first token and
   streams 80 tokens a second, answering as a stand-in model (``--model``, repeatable): the
   true continuation of the file (``perfect``), right line by line with probability P
   (``line:P``), or right for its first K characters (``first:K``); see :class:`Model`. Each
   keystroke's shown suggestion is judged against the file: right as a whole, wrong, and how
   many characters full, line and word accept would take correctly. Unless ``--no-baseline``,
   the perfect replay runs again with ``completion.debounceMs = 0``, ``adaptiveDebounce =
   false``, ``typeThrough = false``, ``cancelStale = false``. ``--models a,b`` replays the first
   stand-in once per fast model (``models.fast``) and prints their cost, cache hit rate and
   latency side by side, costs from renga's model catalog and its own usage ledger.
"""

from __future__ import annotations

import argparse
import ast
import asyncio
import hashlib
import json
import keyword
import os
import random
import re
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lsprotocol import types
from pygls.lsp.client import LanguageClient

from renga.model.catalog import price_of

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply  # noqa: E402

HOLE = "<<FILL>>"
OFF = {"debounceMs": 0, "adaptiveDebounce": False, "typeThrough": False, "cancelStale": False}


def pct(values: list[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))]


# -- a renga session -------------------------------------------------------------------------


def renga_env(server: AnthropicTestServer, home: Path) -> dict[str, str]:
    """The environment of a benchmarked ``renga serve``: the test server as the API, and its
    own cache, data and config folders (no ledger or index of the user's)."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "RENGA_", "AWS_", "CLOUD_ML_"))
    }
    env.update(
        ANTHROPIC_API_KEY="bench-key",
        ANTHROPIC_BASE_URL=server.base_url,
        XDG_CACHE_HOME=str(home / "cache"),
        XDG_DATA_HOME=str(home / "data"),
        XDG_CONFIG_HOME=str(home / "config"),
    )
    return env


def bench_client() -> LanguageClient:
    """A pygls client that answers what renga may ask or tell an editor."""
    client = LanguageClient("renga-bench", "1")

    @client.feature("renga/status")
    def _status(params: Any) -> None:
        pass

    @client.feature(types.WINDOW_SHOW_MESSAGE)
    def _message(params: Any) -> None:
        pass

    @client.feature(types.WORKSPACE_CONFIGURATION)
    def _configuration(params: Any) -> list[Any]:
        return [None]

    return client


async def start_renga(
    server: AnthropicTestServer, home: Path, options: dict[str, Any] | None = None
) -> LanguageClient:
    env = renga_env(server, home)
    client = bench_client()
    await client.start_io(sys.executable, "-m", "renga", "serve", env=env)
    caps = types.ClientCapabilities(
        workspace=types.WorkspaceClientCapabilities(configuration=True),
        text_document=types.TextDocumentClientCapabilities(
            inline_completion=types.InlineCompletionClientCapabilities()
        ),
    )
    await client.initialize_async(
        types.InitializeParams(capabilities=caps, initialization_options={"renga": options or {}})
    )
    client.initialized(types.InitializedParams())
    # Ready when the warm-up call (a free count_tokens) has opened the pooled connection: the
    # SDK import before it takes seconds on a loaded machine, and would be timed as typing.
    await asyncio.to_thread(server.wait_for_requests, len(server.requests) + 1, 60.0)
    await asyncio.sleep(0.2)
    return client


async def stop_renga(client: LanguageClient) -> None:
    try:
        await asyncio.wait_for(client.shutdown_async(None), 5)
        client.exit(None)
    finally:
        await client.stop()


def open_doc(client: LanguageClient, uri: str, text: str) -> None:
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id="python", version=1, text=text
            )
        )
    )


def request(
    uri: str, line: int, character: int, kind: types.InlineCompletionTriggerKind
) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=kind),
    )


def items(result: Any) -> list[Any]:
    if result is None:
        return []
    return list(result.items if hasattr(result, "items") else result)


def plain(obj: Any) -> Any:
    """pygls hands unknown results over as named tuples: back to dicts."""
    if hasattr(obj, "_asdict"):
        return {k: plain(v) for k, v in obj._asdict().items()}
    if isinstance(obj, list):
        return [plain(v) for v in obj]
    return obj


async def stats(client: LanguageClient, reset: bool = False) -> dict[str, Any]:
    result = await client.protocol.send_request_async("renga/completionStats", {"reset": reset})
    return dict(plain(result))


# -- part 1: overhead ------------------------------------------------------------------------


FUNCTION = '''def scale_{i}(value, factor={i}):
    """Scale value by factor {i}."""
    result = value * factor
    {blank}
    return result

'''


def synthetic(lines: int) -> str:
    per = FUNCTION.count("\n")
    return "".join(
        FUNCTION.format(i=i, blank="") for i in range(lines // per + 1)
    )  # five code lines and a blank one per function


async def overhead(sizes: list[int], per_size: int) -> dict[int, dict[str, float]]:
    results: dict[int, dict[str, float]] = {}
    with AnthropicTestServer() as server, tempfile.TemporaryDirectory() as home:
        server.responder = lambda rec: Reply(text="total = result + 1</fill>")
        client = await start_renga(server, Path(home))
        try:
            for size in sizes:
                text = synthetic(size)
                uri = f"file:///bench/overhead_{size}.py"
                open_doc(client, uri, text)
                per = FUNCTION.count("\n")
                functions = text.count("def scale_")
                rng = random.Random(size)
                samples: list[float] = []
                for n in range(per_size + 5):
                    if n == 5:  # the first requests warm up imports and caches
                        await stats(client, reset=True)
                    f = rng.randrange(functions)
                    line = f * per + 3  # the blank line in the body, at its indentation
                    before = len(server.messages_requests())
                    t0 = time.perf_counter()
                    result = await client.text_document_inline_completion_async(
                        request(uri, line, 4, types.InlineCompletionTriggerKind.Invoked)
                    )
                    elapsed = (time.perf_counter() - t0) * 1000
                    recs = server.messages_requests()[before:]
                    if len(recs) != 1 or not items(result):
                        continue  # served from memory (a repeated cursor) or no answer
                    rec = recs[0]
                    server.wait_for_finish(rec, 2)
                    model_ms = (rec.duration or 0.0) * 1000
                    if n >= 5:  # the first requests warm up imports and caches
                        samples.append(elapsed - model_ms)
                stages = (await stats(client, reset=True)).get("stages", {})
                own = [stages.get(k, {}) for k in ("context_ms", "postprocess_ms")]
                results[size] = {
                    "own_p50": sum(x.get("p50", 0.0) for x in own),
                    "own_p99": sum(x.get("p99", 0.0) for x in own),
                    "n": len(samples),
                    "p50": pct(samples, 0.5),
                    "p90": pct(samples, 0.9),
                    "p99": pct(samples, 0.99),
                    "max": max(samples) if samples else float("nan"),
                }
                print(
                    f"overhead {size:>6} lines: n={len(samples)} p50={results[size]['p50']:.1f} ms "
                    f"p99={results[size]['p99']:.1f} ms",
                    flush=True,
                )
        finally:
            await stop_renga(client)
    return results


# -- part 2: typing replay -------------------------------------------------------------------


@dataclass
class Keystroke:
    at: float
    text: str  # what the change inserts (a line break brings the next line's indentation)
    cursor: int  # character offset after it, in the replayed file
    segment: int = 0
    shown_at: float | None = None
    suggestion: str | None = None
    anchor: int | None = None
    right: bool = False
    accept_full: int = 0
    accept_line: int = 0
    accept_word: int = 0


@dataclass
class Replay:
    name: str
    model: str = ""
    keystrokes: list[Keystroke] = field(default_factory=list)
    requests: list[RecordedRequest] = field(default_factory=list)
    stats: dict[str, Any] = field(default_factory=dict)
    shown_ids: set[str] = field(default_factory=set)
    ledger: dict[str, Any] = field(default_factory=dict)
    duration: float = 0.0


def keystrokes(real: str, start: int, count: int, seed: int = 8) -> list[tuple[float, str, int]]:
    """(gap before it in seconds, inserted text, cursor after) for each keystroke."""
    rng = random.Random(seed)
    out: list[tuple[float, str, int]] = []
    i, prev = start, ""
    while len(out) < count and i < len(real):
        ch = real[i]
        gap = rng.uniform(0.07, 0.13)
        if prev in " ,.:()":
            gap += rng.uniform(0.05, 0.2)
        if prev == "\n":
            gap += rng.uniform(0.4, 0.8)
        if ch == "\n":
            # The editor indents the new line itself, in the same change.
            j = i + 1
            while j < len(real) and real[j] in " \t":
                j += 1
            out.append((gap, real[i:j], j))
            i, prev = j, "\n"
            continue
        out.append((gap, ch, i + 1))
        i, prev = i + 1, ch
    return out


# -- the replayed code: real function bodies from packages downloaded at run time -------------

# Pinned, so every run replays the same code; downloaded (no dependencies) into a cache folder.
CORPUS = ["requests==2.32.3", "click==8.1.7"]
# Keystrokes per replayed function body: ~300 keystrokes are three bodies (each fresh start
# costs a first request and the wait for it; one body gives figures that hang on a few draws).
PER_BODY = 100


@dataclass(frozen=True)
class Segment:
    """Whole lines of a function body, retyped from ``start`` to ``end`` of ``real``."""

    name: str
    real: str
    start: int
    end: int


def corpus_files() -> dict[str, str]:
    """Python files of the pinned packages by ``package/path``, from wheels pip downloads once
    into the user's cache folder."""
    cache = Path(os.environ.get("XDG_CACHE_HOME", Path.home() / ".cache")) / "renga-bench"
    cache.mkdir(parents=True, exist_ok=True)
    wheels = [next(cache.glob(f"{spec.replace('==', '-')}-*.whl"), None) for spec in CORPUS]
    if None in wheels:
        subprocess.run(
            [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(cache), *CORPUS],
            check=True,
        )
        wheels = [next(cache.glob(f"{spec.replace('==', '-')}-*.whl")) for spec in CORPUS]
    files: dict[str, str] = {}
    for wheel in wheels:
        assert wheel is not None
        with zipfile.ZipFile(wheel) as z:
            for name in sorted(z.namelist()):
                if name.endswith(".py") and ".dist-info" not in name:
                    files[name] = z.read(name).decode("utf-8")
    return files


def function_bodies(files: dict[str, str], keystrokes_wanted: int, seed: int) -> list[Segment]:
    """Bodies of seeded, randomly chosen functions (from different files), each retyped from its
    first statement after the docstring for about ``PER_BODY`` keystrokes of whole lines."""
    candidates: list[Segment] = []
    for name, text in files.items():
        try:
            tree = ast.parse(text)
        except SyntaxError:
            continue
        starts = [0]
        for line in text.split("\n"):
            starts.append(starts[-1] + len(line) + 1)
        for node in ast.walk(tree):
            if not isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                continue
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant):
                body = body[1:]  # the docstring stays: the cursor starts below it
            if len(body) < 3 or body[0].lineno <= node.lineno:
                continue
            start = starts[body[0].lineno - 1] + body[0].col_offset
            end = starts[(body[-1].end_lineno or body[-1].lineno)] - 1
            code = text[start:end]
            if "\t" in code or len(code) < 2 * PER_BODY or max(map(len, code.split("\n"))) > 90:
                continue
            candidates.append(Segment(name, text, start, end))
    rng = random.Random(seed)
    rng.shuffle(candidates)
    chosen: list[Segment] = []
    for seg in candidates:
        if len(chosen) * PER_BODY >= keystrokes_wanted:
            break
        if any(c.name == seg.name for c in chosen):
            continue
        want = min(PER_BODY, keystrokes_wanted - len(chosen) * PER_BODY)
        plan = keystrokes(seg.real, seg.start, want)
        # Whole lines are retyped, ending at the line end nearest the wanted count: the text
        # after the cursor starts with the line break that ends the last retyped line, as when
        # a user writes new lines above existing code.
        at = plan[-1][2]
        after, before = seg.real.find("\n", at), seg.real.rfind("\n", seg.start, at)
        end = before if before != -1 and at - before < after - at else after
        chosen.append(Segment(seg.name, seg.real, seg.start, min(end, seg.end)))
    return chosen


# -- the stand-in models ---------------------------------------------------------------------

IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]*")
# Lines of the true continuation a model answers with at most (when a block is asked for).
ANSWER_LINES = 6


@dataclass(frozen=True)
class Model:
    """A stand-in for the model: the true continuation of the file, right as a whole (perfect),
    right line by line with probability ``line_p``, or right for its first ``first_k``
    characters. Where it goes wrong it writes plausible code: the true line with a name swapped
    for another name of the corpus (the line's first name, so the line is wrong from there on;
    with ``anywhere`` a name chosen at random, so a wrong line often starts right), and every
    later line likewise. Wrong answers still parse, so the syntax gate does not catch them.
    Deterministic per cursor: the draws are seeded with ``--seed``, the file and the offset."""

    label: str
    line_p: float = 1.0
    first_k: int | None = None
    anywhere: bool = False

    def answer(self, truth: str, key: str, names: list[str]) -> str:
        rng = random.Random(hashlib.sha256(key.encode()).digest())
        if self.first_k is not None:
            if len(truth) <= self.first_k:
                return truth
            head, tail = truth[: self.first_k], truth[self.first_k :].split("\n")
            # Wrong from the first name after the K characters on.
            return head + "\n".join(swap_name(t, rng, names, i > 0) for i, t in enumerate(tail))
        out: list[str] = []
        first_wrong = -1
        for i, line in enumerate(truth.split("\n")):
            # A line without a name to swap stays right (")" and the like).
            named = bool(line.strip() and IDENTIFIER.search(line))
            if first_wrong < 0 and named and rng.random() >= self.line_p:
                first_wrong = i
            if first_wrong < 0:
                out.append(line)
            else:
                out.append(swap_name(line, rng, names, self.anywhere or i > first_wrong))
        return "\n".join(out)


def swap_name(line: str, rng: random.Random, names: list[str], anywhere: bool) -> str:
    """``line`` with its first name, or one chosen at random, replaced (keywords left alone)."""
    spots = [m for m in IDENTIFIER.finditer(line) if not keyword.iskeyword(m.group())]
    if not spots:
        return line
    m = rng.choice(spots) if anywhere else spots[0]
    other = m.group()
    while other == m.group():
        other = rng.choice(names)
    return line[: m.start()] + other + line[m.end() :]


PERFECT = Model("perfect")


def parse_model(spec: str) -> Model:
    """``perfect``, ``line:0.6``, ``line:0.6:anywhere`` or ``first:40``."""
    if spec == "perfect":
        return PERFECT
    kind, _, value = spec.partition(":")
    if kind == "line":
        value, _, where = value.partition(":")
        anywhere = where == "anywhere"
        label = f"right per line p={float(value):g}" + (", wrong from any name" if anywhere else "")
        return Model(label, line_p=float(value), anywhere=anywhere)
    if kind == "first":
        return Model(f"right for the first {int(value)} chars", first_k=int(value))
    raise ValueError(f"unknown model {spec!r}: perfect, line:P or first:K")


def true_continuation(real: str, p: int, line_only: bool) -> str:
    """The next part of the real file after offset ``p``: the rest of the line when code
    follows the cursor on it (the prompt shows it), else the next ``ANSWER_LINES`` lines, blank
    ones included, as a model asked for a block writes on (renga's rules cut it at the end of the
    enclosing block)."""
    if line_only:
        end = real.find("\n", p)
        return real[p : end if end != -1 else len(real)]
    end = p
    for _ in range(ANSWER_LINES):
        nl = real.find("\n", end + 1)
        if nl == -1:
            return real[p:]
        end = nl
    return real[p:end]


def responder(model: Model, segments: list[Segment], names: list[str], seed: int) -> Any:
    """The test server's answer to a completion request: find the cursor in the replayed files
    from the text the prompt shows before its hole, and answer as ``model`` would there."""

    def reply(rec: RecordedRequest) -> Reply:
        content = rec.body["messages"][0]["content"]
        prompt = "".join(block.get("text", "") for block in content)
        if HOLE not in prompt:
            return Reply(text="</fill>", ttft=0.5, tokens_per_second=80)
        before, after = prompt.split(HOLE, 1)
        tail = before[-200:]
        for seg in segments:
            at = seg.real.find(tail)
            if at != -1:
                p = at + len(tail)
                truth = true_continuation(seg.real, p, bool(after.split("\n", 1)[0].strip()))
                text = model.answer(truth, f"{seed}:{seg.name}:{p}", names)
                return Reply(text=text + "</fill>", ttft=0.5, tokens_per_second=80)
        return Reply(text="</fill>", ttft=0.5, tokens_per_second=80)

    return reply


def offset_of(text: str, line: int, character: int) -> int:
    lines = text.split("\n")
    return sum(len(x) + 1 for x in lines[:line]) + character


def ledger_totals(home: Path) -> dict[str, Any]:
    """What ``renga usage`` would show for the replay, read from the session's own ledger."""
    from renga.usage import Ledger

    found = sorted(home.glob("data/**/usage.sqlite3"))
    if not found:
        return {}
    ledger = Ledger(found[0])
    try:
        return dict(ledger.periods()["today"]["byModel"])
    finally:
        ledger.close()


async def replay(
    name: str,
    options: dict[str, Any],
    segments: list[Segment],
    model: Model,
    names: list[str],
    seed: int = 15,
) -> Replay:
    out = Replay(name, model=model.label)
    with AnthropicTestServer() as server, tempfile.TemporaryDirectory() as home:
        server.responder = responder(model, segments, names, seed)
        client = await start_renga(server, Path(home), options)
        n = 0
        pending: tuple[str, asyncio.Future[Any], Keystroke] | None = None
        done: list[asyncio.Future[Any]] = []
        try:
            t_begin = time.monotonic()
            for s, seg in enumerate(segments):
                uri = f"file:///bench/{seg.name}"
                plan = keystrokes(seg.real, seg.start, 10**9)
                plan = [
                    k
                    for k in plan
                    if k[2] <= seg.end and not (k[1].startswith("\n") and k[2] > seg.end)
                ]
                open_doc(client, uri, seg.real[: seg.start] + seg.real[seg.end :])
                cursor_text = seg.real[: seg.start]
                await asyncio.sleep(0.5)  # the user moves to the next function
                for gap, typed, cursor in plan:
                    n += 1
                    await asyncio.sleep(gap)
                    lines = cursor_text.split("\n")
                    at = types.Position(len(lines) - 1, len(lines[-1]))
                    key = Keystroke(time.monotonic(), typed, cursor, segment=s)
                    out.keystrokes.append(key)
                    client.text_document_did_change(
                        types.DidChangeTextDocumentParams(
                            text_document=types.VersionedTextDocumentIdentifier(
                                uri=uri, version=n + 2
                            ),
                            content_changes=[
                                types.TextDocumentContentChangePartial(
                                    range=types.Range(at, at), text=typed
                                )
                            ],
                        )
                    )
                    if pending is not None and not pending[1].done():
                        # VS Code cancels the request of the previous keystroke.
                        client.protocol.notify(
                            types.CANCEL_REQUEST, types.CancelParams(id=pending[0])
                        )
                    cursor_text += typed
                    lines = cursor_text.split("\n")
                    msg_id = f"{name}-{n}"
                    future = client.protocol.send_request_async(
                        types.TEXT_DOCUMENT_INLINE_COMPLETION,
                        request(
                            uri,
                            len(lines) - 1,
                            len(lines[-1]),
                            types.InlineCompletionTriggerKind.Automatic,
                        ),
                        msg_id=msg_id,
                    )
                    snapshot = cursor_text

                    def landed(
                        f: asyncio.Future[Any], key: Keystroke = key, text: str = snapshot
                    ) -> None:
                        if f.cancelled() or f.exception() is not None:
                            return
                        found = items(f.result())
                        if not found:
                            return
                        item = found[0]
                        key.shown_at = time.monotonic()
                        key.suggestion = item.insert_text
                        r = item.range
                        key.anchor = offset_of(text, r.start.line, r.start.character)
                        if item.command and item.command.arguments:
                            out.shown_ids.add(str(item.command.arguments[0]))

                    future.add_done_callback(landed)
                    pending = (msg_id, future, key)
                    done.append(future)
            await asyncio.sleep(1.5)  # the last answers land
            out.duration = time.monotonic() - t_begin
            await asyncio.gather(*done, return_exceptions=True)
            out.stats = await stats(client)
        finally:
            await stop_renga(client)
        for rec in server.messages_requests():
            server.wait_for_finish(rec, 3)
        out.requests = server.messages_requests()
        out.ledger = ledger_totals(Path(home))
    for key in out.keystrokes:
        judge(key, segments[key.segment].real)
    return out


WORD = re.compile(r"\s*(?:\w+|[^\w\s]+)|\s+")


def judge(key: Keystroke, real: str) -> None:
    """Whether the suggestion shown after the keystroke is right as a whole, and how many of the
    characters it offers past the cursor a user could accept correctly with full, line (up to and
    with the next line break) and word accept (as VS Code's Ctrl+Right)."""
    if key.suggestion is None or key.anchor is None:
        return
    offered = key.suggestion[key.cursor - key.anchor :]
    if not offered:  # nothing left to show past the cursor: not shown
        key.shown_at = key.suggestion = None
        return
    truth = real[key.cursor :]
    typed_ok = real[key.anchor : key.cursor] == key.suggestion[: key.cursor - key.anchor]
    key.right = typed_ok and truth.startswith(offered)
    if not typed_ok:
        return
    key.accept_full = len(offered) if key.right else 0
    for unit, pieces in (
        ("line", re.findall(r"[^\n]*\n|[^\n]+", offered)),
        ("word", WORD.findall(offered)),
    ):
        got = 0
        for piece in pieces:
            if not truth.startswith(piece, got):
                break
            got += len(piece)
        setattr(key, f"accept_{unit}", got)


def replay_figures(r: Replay) -> dict[str, Any]:
    typed = len(r.keystrokes)
    shown = [k for k in r.keystrokes if k.shown_at is not None]
    right = [k for k in shown if k.right]
    latency = [((k.shown_at or 0) - k.at) * 1000 for k in shown]
    inputs = [
        (rec.usage or {}).get("input_tokens", 0)
        + (rec.usage or {}).get("cache_creation_input_tokens", 0)
        + (rec.usage or {}).get("cache_read_input_tokens", 0)
        for rec in r.requests
    ]
    cached = sum((rec.usage or {}).get("cache_read_input_tokens", 0) for rec in r.requests)
    cost = 0.0
    for rec in r.requests:
        u = rec.usage or {}
        price = price_of(str(rec.body.get("model", "")))
        cost += (
            u.get("input_tokens", 0) * price.input
            + u.get("cache_creation_input_tokens", 0) * price.cache_write
            + u.get("cache_read_input_tokens", 0) * price.cache_read
            + rec.deltas_sent * price.output
        ) / 1e6
    ledger_cost = sum(float(v.get("cost_usd") or 0.0) for v in r.ledger.values())
    distinct = len(r.shown_ids)
    return {
        "model": r.model,
        "keystrokes": typed,
        "chars_per_second": typed / r.duration if r.duration else 0.0,
        "model_requests": len(r.requests),
        "requests_per_100": 100 * len(r.requests) / typed if typed else 0.0,
        "from_memory": r.stats.get("from_memory", 0),
        "joined_stream": r.stats.get("joined_stream", 0),
        "streams_hung_up": sum(1 for rec in r.requests if rec.client_disconnected),
        "aborted": r.stats.get("aborted", 0),
        "stopped_early": r.stats.get("stopped_early", 0),
        "debounced": r.stats.get("debounced", 0),
        "keystrokes_shown": len(shown),
        "keystrokes_right": len(right),
        "keystrokes_wrong": len(shown) - len(right),
        # Replays retype whole lines, so they run a little over or under 300 keystrokes.
        "right_per_300": 300 * len(right) / typed if typed else 0.0,
        "wrong_per_300": 300 * (len(shown) - len(right)) / typed if typed else 0.0,
        "accept_full": sum(k.accept_full for k in r.keystrokes) / typed if typed else 0.0,
        "accept_line": sum(k.accept_line for k in r.keystrokes) / typed if typed else 0.0,
        "accept_word": sum(k.accept_word for k in r.keystrokes) / typed if typed else 0.0,
        "distinct_suggestions": distinct,
        "latency_p50": pct(latency, 0.5),
        "latency_p90": pct(latency, 0.9),
        "input_tokens_per_request": statistics.mean(inputs) if inputs else 0.0,
        "cache_hit_rate": cached / sum(inputs) if sum(inputs) else 0.0,
        "output_tokens": sum(rec.deltas_sent for rec in r.requests),
        "cost_usd": cost,
        "ledger_cost_usd": ledger_cost,
        "cost_per_1000_right": 1000 * cost / len(right) if right else float("nan"),
        "cost_per_1000_suggestions": 1000 * cost / distinct if distinct else float("nan"),
    }


# -- report ----------------------------------------------------------------------------------


ROWS = [
    ("keystrokes typed", "keystrokes", "{:.0f}"),
    ("typing rate (chars/s, pauses included)", "chars_per_second", "{:.1f}"),
    ("model requests", "model_requests", "{:.0f}"),
    ("**model requests per 100 typed characters**", "requests_per_100", "{:.1f}"),
    ("answers served from memory (type-through, no model call)", "from_memory", "{:.0f}"),
    ("answers served by joining a running stream", "joined_stream", "{:.0f}"),
    ("streams the test server saw hung up (aborted or stopped early)", "streams_hung_up", "{:.0f}"),
    ("  of which aborted by renga as stale", "aborted", "{:.0f}"),
    ("  of which stopped early (answer complete)", "stopped_early", "{:.0f}"),
    ("requests given way to a newer one while debouncing", "debounced", "{:.0f}"),
    ("keystrokes answered with a suggestion", "keystrokes_shown", "{:.0f}"),
    ("each replay: right / wrong / requests per 100 chars", "per_seed", "{}"),
    ("**keystrokes showing a suggestion right as a whole**", "keystrokes_right", "{:.0f}"),
    ("**keystrokes showing a wrong suggestion**", "keystrokes_wrong", "{:.0f}"),
    ("  right / wrong per 300 keystrokes", "per_300", "{}"),
    (
        "characters a user could accept correctly per keystroke: full accept",
        "accept_full",
        "{:.1f}",
    ),
    ("  line by line", "accept_line", "{:.1f}"),
    ("  word by word", "accept_word", "{:.1f}"),
    ("distinct suggestions shown", "distinct_suggestions", "{:.0f}"),
    ("keystroke to shown suggestion, median (ms)", "latency_p50", "{:.0f}"),
    ("keystroke to shown suggestion, p90 (ms)", "latency_p90", "{:.0f}"),
    ("input tokens per model request", "input_tokens_per_request", "{:.0f}"),
    ("cache hit rate (cache reads / input tokens)", "cache_hit_rate", "{:.0%}"),
    ("output tokens streamed", "output_tokens", "{:.0f}"),
    ("cost of the replay (USD)", "cost_usd", "{:.4f}"),
    ("  as renga's ledger counted it (USD)", "ledger_cost_usd", "{:.4f}"),
    (
        "**cost per 1,000 keystrokes showing a right suggestion (USD)**",
        "cost_per_1000_right",
        "{:.2f}",
    ),
    ("cost per 1,000 distinct suggestions shown (USD)", "cost_per_1000_suggestions", "{:.2f}"),
]


def replay_table(columns: list[tuple[str, dict[str, Any]]]) -> list[str]:
    lines = [
        "| | " + " | ".join(title for title, _ in columns) + " |",
        "|---|" + "---:|" * len(columns),
    ]
    for label, key, fmt in ROWS:
        lines.append(f"| {label} | " + " | ".join(fmt.format(f[key]) for _, f in columns) + " |")
    return lines


def report(
    over: dict[int, dict[str, float]],
    columns: list[tuple[str, dict[str, Any]]],
    segments: list[Segment],
    command: str,
) -> str:
    lines = [
        "# Inline completion benchmark",
        "",
        f"Command: `{command}`. Machine: {os.cpu_count()} CPUs, Python {sys.version.split()[0]}, "
        f"load average {os.getloadavg()[0]:.1f} at the end of the run (other jobs share the CPUs).",
        "",
    ]
    if over:
        lines += [
            "## Overhead (test server answering at once)",
            "",
            "Client round trip of an invoked `textDocument/inlineCompletion` minus the time the "
            "test server spent on the model request. Targets at 10,000 lines: p50 <= 3 ms, "
            "p99 <= 15 ms.",
            "",
            "The last two columns are renga's own stages as the server timed them (syntax, "
            "context, prompt, postprocessing rules and the syntax gate); the rest of the overhead "
            "is the anthropic SDK's streaming, HTTP on loopback and the JSON-RPC round trip.",
            "",
            "| file lines | requests | p50 (ms) | p90 (ms) | p99 (ms) | max (ms) | renga stages p50 (ms) | renga stages p99 (ms) |",
            "|---:|---:|---:|---:|---:|---:|---:|---:|",
        ]
        for size, f in over.items():
            lines.append(
                f"| {size:,} | {f['n']:.0f} | {f['p50']:.1f} | {f['p90']:.1f} | {f['p99']:.1f} "
                f"| {f['max']:.1f} | {f['own_p50']:.2f} | {f['own_p99']:.2f} |"
            )
        lines.append("")
    lines += [
        "## Typing replay",
        "",
        "Function bodies of "
        + ", ".join(f"`{s.name}`" for s in segments)
        + f" (from {', '.join(CORPUS)}, downloaded at run time) retyped from their first "
        "statement, about 8 characters a second, as an editor would (didChange, auto-indent "
        "after a line break, automatic inlineCompletion, the previous request cancelled). Test "
        "server: 500 ms to first token, 80 tokens/s. Its model answers with the true "
        "continuation (the rest of the line when code follows the cursor, else the next "
        f"{ANSWER_LINES} lines), right as a whole (perfect), right line "
        "by line with a probability (a wrong line is the true one with its first name swapped "
        "for another name of the corpus, or with `anywhere` a random one, and every line after "
        "it is swapped too), or right for its first characters. A keystroke shows a "
        "suggestion *right as a whole* when what the item would insert is exactly the file's "
        "next text. Costs at the catalog's price of the model asked for; output counted as the "
        "tokens the test server actually sent before the client hung up. With `--repeat N` "
        "each column is the mean of N replays (seeds from `--seed` on: other bodies, other "
        "draws of the model); the row *each replay* shows the deciding figures of each.",
        "",
    ]
    lines += replay_table(columns)
    lines += [
        "",
        "Switched off (the baseline column) with the settings "
        + ", ".join(f"`completion.{k} = {str(v).lower()}`" for k, v in OFF.items())
        + ".",
        "",
    ]
    return "\n".join(lines)


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="fewer requests, shorter replay")
    parser.add_argument("--chars", type=int, default=0, help="keystrokes in the replay")
    parser.add_argument(
        "--model",
        action="append",
        default=[],
        help="stand-in models to replay with: perfect, line:P (right per line with probability "
        "P; line:P:anywhere: a wrong line may start right), first:K (right for the first K "
        "characters); default perfect and line:0.6",
    )
    parser.add_argument(
        "--seed",
        type=int,
        default=15,
        help="which function bodies are replayed, and the model's draws",
    )
    parser.add_argument(
        "--dump", action="store_true", help="write every keystroke's suggestion to bench/out"
    )
    parser.add_argument(
        "--repeat", type=int, default=1, help="replay with this many seeds and average"
    )
    parser.add_argument("--no-overhead", action="store_true", help="skip the overhead part")
    parser.add_argument("--no-baseline", action="store_true", help="skip the replay with all off")
    parser.add_argument(
        "--models",
        default="",
        help="comma-separated fast models (models.fast) to replay side by side with the first "
        "--model, e.g. claude-haiku-4-5,claude-haiku-5-5",
    )
    args = parser.parse_args()
    per_size = 40 if args.quick else 200
    count = args.chars or (120 if args.quick else 300)
    command = " ".join(["python bench/completion.py", *sys.argv[1:]])
    stand_ins = [parse_model(m) for m in (args.model or ["perfect", "line:0.6"])]
    files = corpus_files()
    names = sorted(
        {m.group() for text in files.values() for m in IDENTIFIER.finditer(text)}
        - set(keyword.kwlist)
    )
    seeds = [args.seed + i for i in range(args.repeat)]
    bodies = {seed: function_bodies(files, count, seed) for seed in seeds}
    segments = [seg for seed in seeds for seg in bodies[seed]]
    over = {} if args.no_overhead else await overhead([1_000, 10_000, 50_000], per_size)

    async def runs(name: str, options: dict[str, Any], model: Model) -> dict[str, Any]:
        """The replay once per seed (other bodies, other draws), figures averaged."""
        figures = []
        for seed in seeds:
            r = await replay(name, options, bodies[seed], model, names, seed)
            if args.dump:
                dump(r, seed)
            figures.append(replay_figures(r))
            print(name, model.label, seed, {k: v for k, v in figures[-1].items() if k != "model"})
        return averaged(figures)

    columns: list[tuple[str, dict[str, Any]]] = []
    if args.models:
        for fast in args.models.split(","):
            f = await runs(fast, {"models": {"fast": fast}}, stand_ins[0])
            columns.append((f"{fast}, {stand_ins[0].label}", f))
        print("\n".join(models_table(columns)))
    else:
        for model in stand_ins:
            columns.append((f"{model.label}, renga defaults", await runs("defaults", {}, model)))
        if not args.no_baseline:
            columns.append(
                (f"{PERFECT.label}, all off", await runs("off", {"completion": OFF}, PERFECT))
            )
    text = report(over, columns, segments, command)
    if args.models:
        text += "\n" + "\n".join(models_table(columns)) + "\n"
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    (out / "completion.md").write_text(text, "utf-8")
    print(text)


def averaged(figures: list[dict[str, Any]]) -> dict[str, Any]:
    """The mean of each figure over replays, and the three that decide, replay by replay."""
    out: dict[str, Any] = {"model": figures[0]["model"]}
    for key, value in figures[0].items():
        if isinstance(value, int | float):
            out[key] = statistics.mean(f[key] for f in figures)
    right = sum(f["keystrokes_right"] for f in figures)
    cost = sum(f["cost_usd"] for f in figures)
    out["cost_per_1000_right"] = 1000 * cost / right if right else float("nan")
    out["per_300"] = f"{out['right_per_300']:.0f} / {out['wrong_per_300']:.0f}"
    out["per_seed"] = ", ".join(
        f"{f['keystrokes_right']}/{f['keystrokes_wrong']}/{f['requests_per_100']:.1f}"
        for f in figures
    )
    return out


def dump(r: Replay, seed: int) -> None:
    """Each keystroke of a replay with the suggestion it showed, to read what a policy does."""
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    rows = [
        {"typed": k.text, "cursor": k.cursor, "shown": k.suggestion, "anchor": k.anchor}
        | {"right": k.right}
        for k in r.keystrokes
    ]
    name = re.sub(r"\W+", "-", r.model).strip("-")
    (out / f"keystrokes-{name}-{seed}.json").write_text(json.dumps(rows, indent=1), "utf-8")


def models_table(columns: list[tuple[str, dict[str, Any]]]) -> list[str]:
    """The fast models side by side: what a thousand shown completions cost, how much of the
    input the cache served, and how long a suggestion took to show."""
    lines = [
        "| fast model | cost per 1,000 right suggestions shown (USD) | cost per 1,000 distinct "
        "suggestions shown (USD) | cache hit rate | latency p50 (ms) | latency p90 (ms) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for title, f in columns:
        lines.append(
            f"| {title} | {f['cost_per_1000_right']:.2f} | {f['cost_per_1000_suggestions']:.2f} "
            f"| {f['cache_hit_rate']:.0%} | {f['latency_p50']:.0f} | {f['latency_p90']:.0f} |"
        )
    return lines


if __name__ == "__main__":
    asyncio.run(main())
