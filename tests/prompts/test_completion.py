"""The completion prompt's layout: stable block first (cache-marked where the fast model caches a
prefix that short), live last, so consecutive requests in one file read the prompt cache of the
test server; never padded to reach a cache minimum."""

from __future__ import annotations

import pytest

from anthropic_server import AnthropicTestServer, Reply
from context_helpers import make_doc
from renga.completion.pipeline import complete
from renga.config import ModelSettings, Settings
from renga.context.assemble import build_context
from renga.context.budget import CALIBRATOR, estimate_request
from renga.context.stable import STABLE
from renga.context.tagcache import TAGS
from renga.context.types import ContextSources
from renga.model.client import ModelClient
from renga.prompts.completion import HOLE, completion_request
from renga.syntax.document import Edit


@pytest.fixture(autouse=True)
def fresh_state() -> None:
    for uri in list(TAGS._entries):
        TAGS.forget(uri)
    for uri in list(STABLE._entries):
        STABLE.forget(uri)
    CALIBRATOR._ratio, CALIBRATOR.samples = 1.0, 0


# Haiku 5.5 caches a prefix from 512 tokens; Haiku 4.5 (the default) only from 4,096.
SHORT_CACHE = Settings(models=ModelSettings(fast="claude-haiku-5-5"))


def long_module(functions: int = 1200) -> str:
    return "".join(
        f'def step_{i}(state, value):\n    """Step {i}."""\n    state.total += value * {i}\n'
        f"    return state\n\n\n"
        for i in range(functions)
    )


def test_stable_block_comes_first_marked_and_the_live_window_last() -> None:
    text = long_module()
    doc = make_doc(text)
    offset = text.encode().index(b"state.total += value * 600")
    ctx = build_context(doc, offset, SHORT_CACHE, ContextSources(), "/ws/main.py")
    body = completion_request(ctx, max_tokens=64).body("claude-haiku-5-5", prefill=False)
    first, last = body["messages"][0]["content"]
    assert first["cache_control"] == {"type": "ephemeral"}
    assert HOLE not in first["text"] and HOLE in last["text"]
    # The stable block outlines the file around the cursor: signatures, never bodies.
    assert "def step_600(state, value):" in first["text"]
    assert "state.total += value * 599" not in first["text"]
    assert "cache_control" not in last


def test_no_padding_to_reach_a_cache_minimum_the_model_is_far_from() -> None:
    text = long_module()
    doc = make_doc(text)
    offset = text.encode().index(b"state.total += value * 600")
    ctx = build_context(doc, offset, Settings(), ContextSources(), "/ws/main.py")
    request = completion_request(ctx, max_tokens=64)
    body = request.body("claude-haiku-4-5", prefill=True)
    assert all("cache_control" not in block for block in body["messages"][0]["content"])
    # Haiku 4.5 caches from 4,096 tokens: the prompt stays far below rather than padded to it.
    assert estimate_request(request) < 3000


def test_a_small_file_is_not_marked_for_caching() -> None:
    text = long_module(10)
    doc = make_doc(text)
    ctx = build_context(doc, len(text.encode()) // 2, SHORT_CACHE, ContextSources(), "/ws/m.py")
    body = completion_request(ctx, max_tokens=64).body("claude-haiku-5-5", prefill=False)
    assert all("cache_control" not in block for block in body["messages"][0]["content"])


def test_typing_keeps_the_stable_block_byte_for_byte_until_the_cursor_leaves() -> None:
    text = long_module()
    doc = make_doc(text)
    line = text[: text.index("state.total += value * 600")].count("\n")
    blocks = []
    for i, ch in enumerate("x = 1"):
        doc.apply([Edit(ch, (line, 4 + i), (line, 4 + i))], i + 1)
        offset = doc.offset_at(line, 5 + i)
        ctx = build_context(doc, offset, Settings(), ContextSources(), "/ws/main.py")
        blocks.append(completion_request(ctx, max_tokens=64).messages[0]["content"][0]["text"])
        assert "x = 1"[: i + 1] in ctx.prefix
    assert len(set(blocks)) == 1
    far = doc.offset_at(line + 3000, 0)
    ctx = build_context(doc, far, Settings(), ContextSources(), "/ws/main.py")
    assert completion_request(ctx, max_tokens=64).messages[0]["content"][0]["text"] != blocks[0]


async def test_consecutive_completions_in_one_file_read_the_cache() -> None:
    with AnthropicTestServer(cache_min_tokens=512) as server:
        await _five_keystrokes(server)


async def _five_keystrokes(anthropic_server: AnthropicTestServer) -> None:
    text = long_module()
    doc = make_doc(text)
    settings = Settings(
        base_url=anthropic_server.base_url, models=ModelSettings(fast="claude-haiku-5-5")
    )
    model = ModelClient(settings, environ={"ANTHROPIC_API_KEY": "sk-test"})
    line = text[: text.index("state.total += value * 600")].count("\n")
    try:
        for i, ch in enumerate("y = 2"):
            anthropic_server.enqueue(Reply(text="<fill>pass</fill>"))
            doc.apply([Edit(ch, (line, 4 + i), (line, 4 + i))], i + 1)
            await complete(doc, doc.offset_at(line, 5 + i), settings, model, ContextSources())
    finally:
        await model.aclose()
    usages = [r.usage for r in anthropic_server.messages_requests()]
    assert usages[0] is not None and usages[0]["cache_creation_input_tokens"] > 0
    reads = [u["cache_read_input_tokens"] for u in usages[1:] if u is not None]
    assert len(reads) == 4 and all(r >= 512 for r in reads)
    # The pipeline fed the calibrator with what the server reported.
    assert CALIBRATOR.samples == 5
