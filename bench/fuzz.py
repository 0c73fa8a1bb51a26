"""Fuzz a live ``renga serve`` with random LSP operations and compare its documents with a
locally kept model after every change.

    python bench/fuzz.py [--ops 10000] [--seed 1] [--sessions 3]

Operations: open, incremental change (1-3 changes, some with positions past the end of a line or
file or inside a character), whole-text change, close, completion (valid, clamped and unknown
URIs), completion cancelled at once, requests with malformed params, and malformed frames
written raw to the server's stdin (a Content-Length too short or too long, a body cut short or
not JSON, junk headers, binary junk, a length that is not a number). One session per
position encoding (UTF-16, UTF-8, UTF-32 as the client offers them). About one model answer in
ten is a fault (429, 529, an error event, a reset), so completions fail too.

Checked: the server never exits (a crash) and answers the request after every malformed frame
(else it is deaf); after every change the server's
text, version and syntax tree (``renga/documentState``) equal the model's text and a fresh
parse of it, and a completion's range ends at the clamped cursor (a divergence otherwise).
Prints ops done, crashes, deaf servers and divergences; writes bench/out/fuzz.md; exits non-zero
on any.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import random
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from lsprotocol import types  # noqa: E402
from pygls.exceptions import JsonRpcException, JsonRpcRequestCancelled  # noqa: E402
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities  # noqa: E402

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply  # noqa: E402
from renga.syntax.languages import registry  # noqa: E402
from text_model import apply_change, offset_of, position_of  # noqa: E402

SERVER_COMMAND = [sys.executable, "-m", "renga", "serve"]
PIECES = [
    "def ", "f", "(x)", ":", " ", "    ", "\t", "\n", "\r\n", "return ", "x", " + ", "1",
    "'", '"', "#", "日本", "語", "😀", "👍🏽", "é", "e\u0301", "{", "}", "[", "]", "=", "\\",
    "class C", "if x:", "pass", "//", "/*", "*/", ";", "fn main() {", "func f() {", "\x00",
]  # fmt: skip
# (language id, extension): grammar-backed ones, and one renga has no grammar for.
LANGUAGES = [
    ("python", ".py"),
    ("javascript", ".js"),
    ("rust", ".rs"),
    ("go", ".go"),
    ("plaintext", ".txt"),
]
ENCODINGS = {
    "utf-16": [types.PositionEncodingKind.Utf16],
    "utf-8": [types.PositionEncodingKind.Utf8, types.PositionEncodingKind.Utf16],
    "utf-32": [types.PositionEncodingKind.Utf32, types.PositionEncodingKind.Utf16],
}
FAULTS = [
    Reply(status=429),
    Reply(status=529),
    Reply(text="x = 1", midstream_error="overloaded_error", error_after_deltas=1),
    Reply(reset=True),
]
REQUEST_TIMEOUT = 15.0
FRAMES = [
    "length too short",
    "length too long",
    "body not JSON",
    "body cut short",
    "extra headers",
    "junk in the header block",
    "binary junk",
    "length not a number",
]


@dataclass
class Result:
    encoding: str = ""
    ops: int = 0
    crashes: int = 0
    deaf: int = 0
    divergences: int = 0
    frames: int = 0  # malformed frames sent
    checks: int = 0
    completions: int = 0
    cancelled: int = 0
    by_op: dict[str, int] = field(default_factory=dict)
    by_frame: dict[str, int] = field(default_factory=dict)
    seconds_by_op: dict[str, float] = field(default_factory=dict)
    problems: list[str] = field(default_factory=list)


@dataclass
class Doc:
    uri: str
    language_id: str
    text: str
    version: int


def random_text(rng: random.Random, pieces: int) -> str:
    return "".join(rng.choice(PIECES) for _ in range(rng.randint(0, pieces)))


def random_position(rng: random.Random, text: str, encoding: str) -> tuple[int, int]:
    if rng.random() < 0.7:  # on a character boundary, as an editor sends
        boundaries = [i for i in range(len(text) + 1) if text[i - 1 : i + 1] != "\r\n"]
        return position_of(text, rng.choice(boundaries), encoding)
    # Anything: past the end of a line or the file, inside a character.
    return rng.randint(0, text.count("\n") + 3), rng.randint(0, 40)


def fresh_tree(language_id: str, text: str) -> str | None:
    language = registry().for_document(language_id, None)
    if language is None:
        return None
    return str(language.parser().parse(text.encode("utf-8", "surrogatepass")).root_node)


class Fuzzer:
    def __init__(
        self, client: LanguageClient, encoding: str, rng: random.Random, folder: Path
    ) -> None:
        self.client = client
        self.encoding = encoding
        self.rng = rng
        self.folder = folder
        self.docs: dict[str, Doc] = {}
        self.result = Result(encoding=encoding)
        self.serial = 0

    def problem(self, kind: str, message: str) -> None:
        if kind == "crash":
            self.result.crashes += 1
        elif kind == "deaf":
            self.result.deaf += 1
        else:
            self.result.divergences += 1
        if len(self.result.problems) < 20:
            self.result.problems.append(f"[{self.encoding} op {self.result.ops}] {kind}: {message}")

    async def request(self, method: str, params: Any, msg_id: str | None = None) -> Any:
        return await asyncio.wait_for(
            self.client.protocol.send_request_async(method, params, msg_id=msg_id),
            REQUEST_TIMEOUT,
        )

    # -- operations --------------------------------------------------------------------------

    async def op_open(self) -> None:
        language_id, ext = self.rng.choice(LANGUAGES)
        self.serial += 1
        uri = (self.folder / f"doc{self.serial}{ext}").as_uri()
        doc = Doc(uri, language_id, random_text(self.rng, 60), 1)
        self.docs[uri] = doc
        self.client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=uri, language_id=language_id, version=1, text=doc.text
                )
            )
        )
        await self.check(doc)

    async def op_change(self) -> None:
        doc = self.rng.choice(list(self.docs.values()))
        changes: list[types.TextDocumentContentChangeEvent] = []
        for _ in range(self.rng.randint(1, 3)):
            new = random_text(self.rng, 6)
            if self.rng.random() < 0.05:
                changes.append(types.TextDocumentContentChangeWholeDocument(text=new))
                doc.text = new
                continue
            start = random_position(self.rng, doc.text, self.encoding)
            end = random_position(self.rng, doc.text, self.encoding)
            if self.rng.random() < 0.8:  # editors send ordered ranges; some do not
                start, end = sorted([start, end])
            changes.append(
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(*start), types.Position(*end)), text=new
                )
            )
            doc.text = apply_change(doc.text, start, end, new, self.encoding)
        doc.version += 1
        self.client.text_document_did_change(
            types.DidChangeTextDocumentParams(
                text_document=types.VersionedTextDocumentIdentifier(
                    uri=doc.uri, version=doc.version
                ),
                content_changes=changes,
            )
        )
        await self.check(doc)

    async def op_close(self) -> None:
        doc = self.docs.pop(self.rng.choice(list(self.docs)))
        self.client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(doc.uri))
        )
        state = await self.request("renga/documentState", {"uri": doc.uri})
        if state is not None:
            self.problem("divergence", f"{doc.uri} still open after didClose")

    def completion_params(self) -> tuple[types.InlineCompletionParams, Doc | None, tuple[int, int]]:
        if self.docs and self.rng.random() < 0.9:
            doc: Doc | None = self.rng.choice(list(self.docs.values()))
            assert doc is not None
            uri = doc.uri
            line, character = random_position(self.rng, doc.text, self.encoding)
        else:
            doc, uri = None, (self.folder / "never-opened.py").as_uri()
            line, character = self.rng.randint(0, 5), self.rng.randint(0, 5)
        params = types.InlineCompletionParams(
            text_document=types.TextDocumentIdentifier(uri=uri),
            position=types.Position(line, character),
            context=types.InlineCompletionContext(
                trigger_kind=types.InlineCompletionTriggerKind.Automatic
            ),
        )
        return params, doc, (line, character)

    async def op_complete(self) -> None:
        params, doc, (line, character) = self.completion_params()
        result = await self.request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params)
        self.result.completions += 1
        items = getattr(result, "items", result) or []
        if doc is None or not items:
            return
        cursor = offset_of(doc.text, line, character, self.encoding)
        expected = position_of(doc.text, cursor, self.encoding)
        end = items[0].range.end
        if (end.line, end.character) != expected:
            self.problem(
                "divergence",
                f"completion at {(line, character)} answered at {(end.line, end.character)}, "
                f"expected the clamped cursor {expected}",
            )

    async def op_cancel(self) -> None:
        params, _, _ = self.completion_params()
        self.serial += 1
        msg_id = f"fuzz-{self.serial}"
        pending = asyncio.ensure_future(
            self.request(types.TEXT_DOCUMENT_INLINE_COMPLETION, params, msg_id=msg_id)
        )
        await asyncio.sleep(self.rng.choice([0, 0, 0.001, 0.005]))
        self.client.protocol.notify(types.CANCEL_REQUEST, types.CancelParams(id=msg_id))
        try:
            await pending
        except JsonRpcRequestCancelled:
            self.result.cancelled += 1

    async def op_malformed(self) -> None:
        # The typed client cannot send wrong types: ask for a document state with a bad uri
        # type instead (a custom method, so the params go out as given).
        await self.request("renga/documentState", {"uri": self.rng.choice([5, None, [], "x"])})

    def malformed_frame(self, kind: str) -> bytes:
        """A frame of ``kind`` carrying a request without side effects (so the model of the
        documents stays right whether or not the server can read it)."""
        self.serial += 1
        uri = self.rng.choice([*self.docs, (self.folder / "never-opened.py").as_uri()])
        message = {
            "jsonrpc": "2.0",
            "id": f"raw-{self.serial}",
            "method": "renga/documentState",
            "params": {"uri": uri},
        }
        body = json.dumps(message).encode()
        rng = self.rng

        def framed(payload: bytes, length: int | None = None) -> bytes:
            n = len(payload) if length is None else length
            return b"Content-Length: %d\r\n\r\n%s" % (n, payload)

        if kind == "length too short":
            return framed(body, rng.randint(1, len(body) - 1))
        if kind == "length too long":
            return framed(body, len(body) + rng.choice([1, 2, 15, 200, 5000]))
        if kind == "body not JSON":
            broken = body.replace(b'"', b"", rng.randint(1, 3))
            return framed(broken)
        if kind == "body cut short":  # the rest never comes
            return framed(body)[: -rng.randint(1, len(body) - 1)]
        if kind == "extra headers":
            return b"X-Fuzz: %d\r\nContent-Type: application/vscode-jsonrpc\r\n" % rng.randint(
                0, 9
            ) + framed(body)
        if kind == "junk in the header block":
            return b"Content-Length: %d\r\n%s\r\n\r\n%s" % (len(body), b"%%junk%%", body)
        if kind == "binary junk":
            return bytes(rng.randrange(256) for _ in range(rng.randint(1, 300)))
        return b"Content-Length: %s\r\n\r\n%s" % (rng.choice([b"-5", b"abc", b""]), body)

    async def op_frame(self) -> None:
        """A malformed frame, then a request the server must still answer."""
        kind = self.rng.choice(FRAMES)
        self.result.frames += 1
        self.result.by_frame[kind] = self.result.by_frame.get(kind, 0) + 1
        server = self.client._server
        assert server is not None and server.stdin is not None
        server.stdin.write(self.malformed_frame(kind))
        try:
            if self.docs:
                await self.check(self.rng.choice(list(self.docs.values())))
            else:
                await self.request("renga/documentState", {"uri": "file:///nowhere.py"})
        except TimeoutError:
            self.problem("deaf", f"no answer within {REQUEST_TIMEOUT} s after a frame: {kind}")

    async def check(self, doc: Doc) -> None:
        self.result.checks += 1
        state = await self.request("renga/documentState", {"uri": doc.uri})
        if state is None:
            self.problem("divergence", f"{doc.uri} unknown to the server")
            return
        if state.text != doc.text:
            self.problem("divergence", f"text of {doc.uri}: {state.text!r} != {doc.text!r}")
        elif state.version != doc.version:
            self.problem("divergence", f"version of {doc.uri}: {state.version} != {doc.version}")
        elif state.tree != fresh_tree(doc.language_id, doc.text):
            self.problem("divergence", f"tree of {doc.uri} differs from a fresh parse")

    async def step(self) -> None:
        choices: list[tuple[str, float]] = [
            ("open", 0.08 if len(self.docs) < 6 else 0.0),
            ("change", 0.45 if self.docs else 0.0),
            ("close", 0.04 if self.docs else 0.0),
            ("complete", 0.25),
            ("cancel", 0.13),
            ("malformed", 0.05),
            ("frame", 0.05),
        ]
        names = [name for name, _ in choices]
        weights = [weight for _, weight in choices]
        name = self.rng.choices(names, weights)[0]
        self.result.by_op[name] = self.result.by_op.get(name, 0) + 1
        started = time.monotonic()
        try:
            await getattr(self, f"op_{name}")()
        except JsonRpcRequestCancelled:
            pass
        except JsonRpcException as exc:
            if name != "malformed":
                self.problem("crash", f"{name}: error response {exc!r}")
        except TimeoutError:
            self.problem("crash", f"{name}: no answer within {REQUEST_TIMEOUT} s")
        spent = self.result.seconds_by_op.get(name, 0.0) + time.monotonic() - started
        self.result.seconds_by_op[name] = spent
        self.result.ops += 1


def responder(rng: random.Random) -> Any:
    def answer(request: RecordedRequest) -> Reply:
        if rng.random() < 0.1:
            return rng.choice(FAULTS)
        # Some answers take a while, so that cancellations land while the model streams.
        return Reply(
            text=rng.choice(["x = 1", "return x", "pass", "foo()\n", "日本 😀"]),
            ttft=rng.choice([0.0, 0.0, 0.0, 0.02, 0.1]),
        )

    return answer


async def run_session(encoding: str, ops: int, seed: int, base_url: str, folder: Path) -> Result:
    env = {
        "ANTHROPIC_API_KEY": "fuzz-key",
        "ANTHROPIC_BASE_URL": base_url,
        "XDG_DATA_HOME": str(folder / "data"),
        "XDG_CACHE_HOME": str(folder / "cache"),
        "PATH": "/usr/bin:/bin",
    }
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    assert isinstance(client, LanguageClient)

    @client.feature("renga/status")
    def on_status(params: Any) -> None:
        pass  # only the server's answers are checked here

    capabilities = client_capabilities("visual_studio_code")
    capabilities.general = types.GeneralClientCapabilities(position_encodings=ENCODINGS[encoding])
    init = await client.initialize_session(
        types.InitializeParams(
            capabilities=capabilities,
            root_uri=folder.as_uri(),
            initialization_options={
                "renga": {
                    "completion": {"timeoutMs": 2000, "plainText": True},
                    "reliability": {"breakerPauseMs": 200},
                }
            },
        )
    )
    offered = init.capabilities.position_encoding
    negotiated = str(getattr(offered, "value", offered) or "utf-16")
    fuzzer = Fuzzer(client, negotiated, random.Random(seed), folder)
    try:
        # Not counted: the first completion pays for importing the SDK (seconds).
        warm = (folder / "warm.py").as_uri()
        client.text_document_did_open(
            types.DidOpenTextDocumentParams(
                text_document=types.TextDocumentItem(
                    uri=warm, language_id="python", version=1, text="x = "
                )
            )
        )
        await fuzzer.request(
            types.TEXT_DOCUMENT_INLINE_COMPLETION,
            types.InlineCompletionParams(
                text_document=types.TextDocumentIdentifier(uri=warm),
                position=types.Position(0, 4),
                context=types.InlineCompletionContext(
                    trigger_kind=types.InlineCompletionTriggerKind.Invoked
                ),
            ),
        )
        client.text_document_did_close(
            types.DidCloseTextDocumentParams(text_document=types.TextDocumentIdentifier(warm))
        )
        for _ in range(ops):
            if client._server is not None and client._server.returncode is not None:
                fuzzer.problem("crash", f"server exited with {client._server.returncode}")
                break
            await fuzzer.step()
            if fuzzer.result.deaf:  # every later request would wait out its timeout
                break
    finally:
        try:
            await asyncio.wait_for(client.shutdown_session(), REQUEST_TIMEOUT)
        except TimeoutError:  # a deaf server never answers shutdown either
            if not fuzzer.result.deaf:
                fuzzer.problem("deaf", f"no answer to shutdown within {REQUEST_TIMEOUT} s")
            if client._server is not None and client._server.returncode is None:
                client._server.kill()
                await client._server.wait()
    return fuzzer.result


async def fuzz(ops: int, seed: int, sessions: int, folder: Path) -> list[Result]:
    """``ops`` operations spread over ``sessions`` servers, one per position encoding."""
    rng = random.Random(seed)
    results = []
    with AnthropicTestServer() as server:
        server.responder = responder(rng)
        encodings = list(ENCODINGS)[:sessions]
        for i, encoding in enumerate(encodings):
            share = ops // len(encodings) + (1 if i < ops % len(encodings) else 0)
            sub = folder / encoding
            sub.mkdir(parents=True, exist_ok=True)
            results.append(await run_session(encoding, share, seed + i, server.base_url, sub))
    return results


def report(results: list[Result], seconds: float, seed: int) -> str:
    lines = [
        "# renga fuzz run",
        "",
        f"seed {seed}, {seconds:.0f} s",
        "",
        "| encoding | ops | crashes | deaf | divergences | state checks | completions "
        "| cancelled | malformed frames |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in results:
        lines.append(
            f"| {r.encoding} | {r.ops} | {r.crashes} | {r.deaf} | {r.divergences} | {r.checks} "
            f"| {r.completions} | {r.cancelled} | {r.frames} |"
        )
    total = Result(
        ops=sum(r.ops for r in results),
        crashes=sum(r.crashes for r in results),
        deaf=sum(1 for r in results if r.deaf),
        divergences=sum(r.divergences for r in results),
        frames=sum(r.frames for r in results),
    )
    lines.append(
        f"| **total** | {total.ops} | {total.crashes} | {total.deaf} servers "
        f"| {total.divergences} | | | | {total.frames} |"
    )
    frames: dict[str, int] = {}
    for r in results:
        for kind, n in r.by_frame.items():
            frames[kind] = frames.get(kind, 0) + n
    if frames:
        lines += ["", "Malformed frames, each followed by a request that must be answered:", ""]
        lines += [f"- {kind}: {n}" for kind, n in sorted(frames.items())]
    problems = [p for r in results for p in r.problems]
    if problems:
        lines += ["", "## Problems", "", *[f"- {p}" for p in problems]]
    return "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--ops", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--sessions", type=int, default=3, choices=[1, 2, 3])
    args = parser.parse_args(argv)
    out = ROOT / "bench" / "out"
    out.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    results = asyncio.run(fuzz(args.ops, args.seed, args.sessions, out / "fuzz-workspace"))
    seconds = time.monotonic() - started
    text = report(results, seconds, args.seed)
    (out / "fuzz.md").write_text(text, encoding="utf-8")
    ops = sum(r.ops for r in results)
    crashes = sum(r.crashes for r in results)
    deaf = sum(1 for r in results if r.deaf)
    divergences = sum(r.divergences for r in results)
    frames = sum(r.frames for r in results)
    for r in results:
        mean_ms = {k: 1000 * v / r.by_op[k] for k, v in r.seconds_by_op.items()}
        print(f"  mean ms per op: {', '.join(f'{k} {v:.1f}' for k, v in sorted(mean_ms.items()))}")
        print(
            f"{r.encoding}: {r.ops} ops ({', '.join(f'{k} {v}' for k, v in sorted(r.by_op.items()))}), "
            f"{r.crashes} crashes, {'deaf' if r.deaf else 'never deaf'}, "
            f"{r.divergences} divergences"
        )
        for p in r.problems:
            print("  " + p)
    print(
        f"ops done: {ops} ({frames} malformed frames), crashes: {crashes}, deaf servers: {deaf}, "
        f"divergences: {divergences} ({seconds:.0f} s)"
    )
    print(f"report: {out / 'fuzz.md'}")
    return 1 if crashes or deaf or divergences else 0


if __name__ == "__main__":
    sys.exit(main())
