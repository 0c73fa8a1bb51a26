"""Inline completions through the LSP as an editor drives them: a real ``renga serve``, VS Code's
and Neovim's capabilities, the model answered by the Anthropic-compatible test server."""

from __future__ import annotations

import asyncio
import time
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply
from lsp_support import inline_params, items_of, open_document, server_env, start_session

AUTOMATIC = types.InlineCompletionTriggerKind.Automatic


def type_text(
    client: LanguageClient, uri: str, version: int, line: int, character: int, text: str
) -> None:
    """One keystroke (or paste) as an editor sends it: an incremental change at the cursor."""
    at = types.Position(line, character)
    client.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=version),
            content_changes=[
                types.TextDocumentContentChangePartial(range=types.Range(at, at), text=text)
            ],
        )
    )


def wait_until(predicate: Any, timeout: float = 15.0) -> None:
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise TimeoutError("condition not met")
        time.sleep(0.005)


def user_text(request: RecordedRequest) -> str:
    return "".join(block["text"] for block in request.body["messages"][0]["content"])


async def stats(client: LanguageClient) -> Any:
    return await client.protocol.send_request_async("renga/completionStats", {})


async def test_a_keystroke_that_contradicts_the_stream_closes_it(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return a + b  # " + "slow " * 60, tokens_per_second=10))
    uri = open_document(renga, workspace / "add.py", "def add(a, b):\n    \n")
    pending = asyncio.ensure_future(
        renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    )
    await asyncio.to_thread(lambda: wait_until(lambda: anthropic_server.messages_requests()))
    recorded = anthropic_server.messages_requests()[0]
    await asyncio.to_thread(wait_until, lambda: recorded.deltas_sent >= 1)
    typed_at = time.monotonic()
    type_text(renga, uri, 2, 1, 4, "x")  # the answer starts with "retu": "x" does not fit
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, recorded, 2.0)
    assert time.monotonic() - typed_at < 0.5
    assert not items_of(await asyncio.wait_for(pending, 5))  # nothing stale is shown
    assert recorded.client_disconnected and not recorded.completed


async def test_a_newer_request_elsewhere_closes_the_older_stream(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return 1", ttft=5.0), Reply(text="return 2"))
    uri = open_document(renga, workspace / "two.py", "def f():\n    \n\ndef g():\n    \n")
    first = asyncio.ensure_future(
        renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    )
    await asyncio.to_thread(lambda: wait_until(lambda: anthropic_server.messages_requests()))
    older = anthropic_server.messages_requests()[0]
    second = await renga.text_document_inline_completion_async(inline_params(uri, 4, 4))
    assert [i.insert_text for i in items_of(second)] == ["return 2"]
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, older, 2.0)
    assert not items_of(await asyncio.wait_for(first, 5))


async def test_typing_through_a_suggestion_is_answered_without_the_model(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return math.pi * r * r"))
    uri = open_document(renga, workspace / "area.py", "import math\n\ndef area(r):\n    \n")
    shown = items_of(await renga.text_document_inline_completion_async(inline_params(uri, 3, 4)))
    assert [i.insert_text for i in shown] == ["return math.pi * r * r"]
    assert len(anthropic_server.messages_requests()) == 1
    # The user types the first characters of the suggestion, one keystroke at a time; each
    # keystroke is answered with the whole suggestion anchored where it started.
    for n, ch in enumerate("return m", start=1):
        type_text(renga, uri, 1 + n, 3, 3 + n, ch)
        result = await renga.text_document_inline_completion_async(
            inline_params(uri, 3, 4 + n, AUTOMATIC)
        )
        (item,) = items_of(result)
        assert item.insert_text == "return math.pi * r * r"
        assert item.range == types.Range(types.Position(3, 4), types.Position(3, 4 + n))
    # Backspacing over two characters is served from memory too.
    renga.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=20),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(3, 10), types.Position(3, 12)), text=""
                )
            ],
        )
    )
    (item,) = items_of(
        await renga.text_document_inline_completion_async(inline_params(uri, 3, 10, AUTOMATIC))
    )
    assert item.range == types.Range(types.Position(3, 4), types.Position(3, 10))
    assert len(anthropic_server.messages_requests()) == 1  # no request reached the test server
    counters = await stats(renga)
    assert counters.from_memory == 9 and counters.model_calls == 1
    # One suggestion, shown once, however many keystrokes it served.
    usage = await renga.workspace_execute_command_async(
        types.ExecuteCommandParams(command="renga.usage")
    )
    assert usage["acceptance"]["python"]["shown"] == 1


async def test_a_stream_that_fits_the_typing_is_joined_not_restarted(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return total / count", ttft=0.3, tokens_per_second=20))
    uri = open_document(renga, workspace / "avg.py", "def avg(total, count):\n    \n")
    first = asyncio.ensure_future(
        renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    )
    await asyncio.to_thread(lambda: wait_until(lambda: anthropic_server.messages_requests()))
    recorded = anthropic_server.messages_requests()[0]
    await asyncio.to_thread(wait_until, lambda: recorded.deltas_sent >= 1)
    type_text(renga, uri, 2, 1, 4, "re")
    second = await renga.text_document_inline_completion_async(inline_params(uri, 1, 6, AUTOMATIC))
    (item,) = items_of(second)
    assert item.insert_text == "return total / count"
    assert item.range == types.Range(types.Position(1, 4), types.Position(1, 6))
    await asyncio.wait_for(first, 5)
    assert len(anthropic_server.messages_requests()) == 1
    assert not recorded.client_disconnected


async def test_a_joined_stream_that_turns_out_wrong_is_replaced_not_left_empty(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    # The first stream is silent when the user types "e", so the newer request joins it (its
    # answer may yet start with "e"); its first words, "aise", contradict "re". The user is
    # still at the cursor: they get a fresh answer, not nothing.
    anthropic_server.enqueue(
        Reply(text="aise ValueError()", ttft=1.0, tokens_per_second=2),
        Reply(text="turn a + b"),
    )
    uri = open_document(renga, workspace / "join.py", "def f(a, b):\n    r\n")
    first = asyncio.ensure_future(
        renga.text_document_inline_completion_async(inline_params(uri, 1, 5))
    )
    await asyncio.to_thread(lambda: wait_until(lambda: anthropic_server.messages_requests()))
    older = anthropic_server.messages_requests()[0]
    type_text(renga, uri, 2, 1, 5, "e")
    second = await asyncio.wait_for(
        renga.text_document_inline_completion_async(inline_params(uri, 1, 6)), 15
    )
    (item,) = items_of(second)
    assert item.insert_text == "turn a + b"  # asked at "re": the line reads "return a + b"
    assert item.range is not None and item.range.start == types.Position(1, 6)
    assert items_of(await asyncio.wait_for(first, 5)) == []
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, older, 2.0)
    assert len(anthropic_server.messages_requests()) == 2


async def test_a_completion_that_breaks_the_syntax_is_not_shown(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return (a + b"), Reply(text="return a + b"))
    uri = open_document(renga, workspace / "bad.py", "def add(a, b):\n    \n\nprint(add(1, 2))\n")
    result = await renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    assert not items_of(result)
    assert len(anthropic_server.messages_requests()) == 1  # the model did answer
    assert (await stats(renga)).rejected_syntax == 1
    good = await renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    assert [i.insert_text for i in items_of(good)] == ["return a + b"]


async def test_mid_line_the_completion_finishes_the_line_only(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    # The model goes on past the line and closes the call the editor already closed.
    anthropic_server.enqueue(
        Reply(text='"total:", total)\nprint("done")\n' + "x = 1\n" * 40, tokens_per_second=200)
    )
    uri = open_document(renga, workspace / "p.py", "total = 3\nprint()\n")
    result = await renga.text_document_inline_completion_async(inline_params(uri, 1, 6))
    assert [i.insert_text for i in items_of(result)] == ['"total:", total']
    recorded = anthropic_server.messages_requests()[0]
    assert "the rest of the current line" in user_text(recorded)
    # Reading stopped at the end of the line: the client hung up before the answer's end.
    assert await asyncio.to_thread(anthropic_server.wait_for_finish, recorded, 2.0)
    assert recorded.client_disconnected and not recorded.completed


async def test_a_block_stops_at_the_end_of_the_enclosing_block(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    answer = "total = sum(xs)\n    return total / len(xs)\n\ndef median(xs):\n    pass\n"
    anthropic_server.enqueue(Reply(text=answer + "# more\n" * 50, tokens_per_second=100))
    uri = open_document(renga, workspace / "m.py", "def mean(xs):\n    \n")
    result = await renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    assert [i.insert_text for i in items_of(result)] == [
        "total = sum(xs)\n    return total / len(xs)"
    ]
    recorded = anthropic_server.messages_requests()[0]
    assert "a line or a block" in user_text(recorded)
    assert await asyncio.to_thread(anthropic_server.wait_for_finish, recorded, 2.0)
    assert recorded.client_disconnected and not recorded.completed


async def test_debounce_collapses_a_burst_of_automatic_requests_into_one_call(
    anthropic_server: AnthropicTestServer, profile: str, workspace: Path, tmp_path: Path
) -> None:
    env = server_env(tmp_path, ANTHROPIC_API_KEY="k", ANTHROPIC_BASE_URL=anthropic_server.base_url)
    options = {"completion": {"debounceMs": 400, "adaptiveDebounce": False}}
    client = await start_session(env, profile, workspace, initialization_options=options)
    anthropic_server.responder = lambda request: "10"
    try:
        # The burst is timed from the client: start it once the server is up and warm.
        await asyncio.to_thread(anthropic_server.wait_for_requests, 1, 15.0)
        uri = open_document(client, workspace / "burst.py", "\n")
        pending = []
        for n, ch in enumerate("limit = ", start=1):
            type_text(client, uri, 1 + n, 0, n - 1, ch)
            pending.append(
                asyncio.ensure_future(
                    client.text_document_inline_completion_async(
                        inline_params(uri, 0, n, AUTOMATIC)
                    )
                )
            )
            await asyncio.sleep(0.02)
        results = await asyncio.wait_for(asyncio.gather(*pending), 20)
        assert [items_of(r) for r in results[:-1]] == [[]] * 7
        assert [i.insert_text for i in items_of(results[-1])] == ["10"]
        assert len(anthropic_server.messages_requests()) == 1
    finally:
        await client.shutdown_session()


async def test_show_and_partial_accept_notifications_are_recorded(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return x * 2"))
    uri = open_document(renga, workspace / "d.py", "def double(x):\n    \n")
    (item,) = items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 4)))
    wire = {
        "insertText": item.insert_text,
        "command": {
            "title": "Accepted",
            "command": item.command.command,
            "arguments": item.command.arguments,
        },  # type: ignore[union-attr]
    }
    renga.protocol.notify("textDocument/didShowCompletion", {"item": wire})
    renga.protocol.notify(
        "textDocument/didPartiallyAcceptCompletion", {"item": wire, "acceptedLength": 6}
    )
    renga.protocol.notify("textDocument/didShowCompletion", {"item": {"bogus": True}})
    usage = await renga.workspace_execute_command_async(
        types.ExecuteCommandParams(command="renga.usage")
    )
    assert usage["acceptance"]["python"] == {"shown": 1, "accepted": 1}
    assert (await stats(renga)).partial_accepts == 1


def messages_api(server: AnthropicTestServer) -> list[RecordedRequest]:
    """Requests to the Messages API (not the one-off read of the Models API after start)."""
    return [r for r in server.requests if r.path.startswith("/v1/messages")]


async def test_completions_reuse_the_warm_pooled_connection(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.responder = lambda request: "return 0"
    await asyncio.to_thread(anthropic_server.wait_for_requests, 1, 15.0)  # the warm-up call
    uri = open_document(renga, workspace / "z.py", "def f():\n    \n\ndef g():\n    \n")
    for line in (1, 4):
        result = await renga.text_document_inline_completion_async(inline_params(uri, line, 4))
        assert [i.insert_text for i in items_of(result)] == ["return 0"]
    warm, *calls = messages_api(anthropic_server)
    assert warm.path.startswith("/v1/messages/count_tokens")
    assert [r.client_port for r in calls] == [warm.client_port] * 2  # one kept-alive connection


async def test_after_an_aborted_stream_a_new_connection_is_opened_before_it_is_needed(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return 1", ttft=5.0))
    anthropic_server.responder = lambda request: "return 2"
    await asyncio.to_thread(anthropic_server.wait_for_requests, 1, 15.0)
    uri = open_document(renga, workspace / "w.py", "def f():\n    \n\ndef g():\n    \n")
    first = asyncio.ensure_future(
        renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    )
    await asyncio.to_thread(lambda: wait_until(lambda: anthropic_server.messages_requests()))
    aborted = anthropic_server.messages_requests()[0]
    type_text(renga, uri, 2, 3, 0, "#")  # an edit elsewhere: the stream cannot be used
    assert await asyncio.to_thread(anthropic_server.wait_for_disconnect, aborted, 2.0)
    await asyncio.to_thread(lambda: wait_until(lambda: len(messages_api(anthropic_server)) >= 3))
    rewarm = messages_api(anthropic_server)[2]
    assert rewarm.path.startswith("/v1/messages/count_tokens")
    await asyncio.wait_for(first, 5)
    result = await renga.text_document_inline_completion_async(inline_params(uri, 4, 4))
    assert [i.insert_text for i in items_of(result)] == ["return 2"]
    assert anthropic_server.messages_requests()[-1].client_port == rewarm.client_port


async def usage_of(client: LanguageClient) -> Any:
    return await client.workspace_execute_command_async(
        types.ExecuteCommandParams(command="renga.usage")
    )


async def test_typing_a_suggestion_through_to_its_end_counts_as_accepted_once(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return x * 2"))
    uri = open_document(renga, workspace / "t.py", "def double(x):\n    \n")
    (item,) = items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 4)))
    assert item.insert_text == "return x * 2"
    for n, ch in enumerate("return x * ", start=1):
        type_text(renga, uri, 1 + n, 1, 3 + n, ch)
    assert (await usage_of(renga))["acceptance"]["python"] == {"shown": 1, "accepted": 0}
    type_text(renga, uri, 20, 1, 15, "2")  # the last character of the suggestion
    assert (await usage_of(renga))["acceptance"]["python"] == {"shown": 1, "accepted": 1}
    # Typing on, or the accept command of a client that also sends it: still once.
    type_text(renga, uri, 21, 1, 16, " ")
    await renga.workspace_execute_command_async(
        types.ExecuteCommandParams(command=item.command.command, arguments=item.command.arguments)  # type: ignore[union-attr]
    )
    assert (await usage_of(renga))["acceptance"]["python"] == {"shown": 1, "accepted": 1}
    assert (await stats(renga)).typed_through == 1


async def test_a_long_answer_is_shown_a_statement_at_a_time_and_revealed_from_memory(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(
        Reply(text="\n    total = sum(xs)\n    count = len(xs)\n    return total / count")
    )
    text = "def mean(xs):\n    xs = list(xs)\n"
    uri = open_document(renga, workspace / "mean.py", text)
    # At the end of a line of code, not where a block is expected: one statement.
    (item,) = items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 17)))
    assert item.insert_text == "\n    total = sum(xs)"
    # Typing it through: each keystroke shows what is left of it; its end reveals the next one.
    typed = "\n    total = sum(xs)"
    line, character = 1, 17
    for n, ch in enumerate(["\n    ", *"total = sum(xs)"], start=2):
        type_text(renga, uri, n, line, character, ch)
        line, character = (2, 4) if ch.startswith("\n") else (line, character + 1)
        (item,) = items_of(
            await renga.text_document_inline_completion_async(
                inline_params(uri, line, character, AUTOMATIC)
            )
        )
    assert item.insert_text == typed + "\n    count = len(xs)"
    assert item.range.start == types.Position(1, 17)
    assert len(anthropic_server.messages_requests()) == 1  # all from memory


async def test_typing_that_contradicts_the_answer_drops_it_and_asks_again(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return total"), Reply(text="eturn None"))
    uri = open_document(renga, workspace / "r.py", "def f(total):\n    \n")
    (item,) = items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 4)))
    assert item.insert_text == "return total"
    type_text(renga, uri, 2, 1, 4, "r")
    type_text(renga, uri, 3, 1, 5, "x")  # not what the answer says
    renga.text_document_did_change(
        types.DidChangeTextDocumentParams(
            text_document=types.VersionedTextDocumentIdentifier(uri=uri, version=4),
            content_changes=[
                types.TextDocumentContentChangePartial(
                    range=types.Range(types.Position(1, 5), types.Position(1, 6)), text=""
                )
            ],
        )
    )
    # Back where the old answer fitted: it was dropped, so the model is asked again.
    (item,) = items_of(
        await renga.text_document_inline_completion_async(inline_params(uri, 1, 5, AUTOMATIC))
    )
    assert item.insert_text == "eturn None"
    assert len(anthropic_server.messages_requests()) == 2


async def test_a_cut_stream_is_never_shown_nor_remembered(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    # The connection drops after two tokens: no message_stop, half an answer.
    anthropic_server.enqueue(
        Reply(text="return a + b  # the whole answer", truncate_after_deltas=2),
        Reply(text="turn a - b"),
    )
    uri = open_document(renga, workspace / "cut.py", "def sub(a, b):\n    \n")
    result = await renga.text_document_inline_completion_async(inline_params(uri, 1, 4))
    assert not items_of(result)
    # Typing what the cut answer began with finds nothing remembered: the model is asked.
    type_text(renga, uri, 2, 1, 4, "r")
    type_text(renga, uri, 3, 1, 5, "e")
    (item,) = items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 6)))
    assert item.insert_text == "turn a - b"
    assert len(anthropic_server.messages_requests()) == 2


async def test_an_answer_cut_at_the_token_cap_is_not_shown_as_a_whole(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="total = a + b\n    return tot", stop_reason="max_tokens"))
    uri = open_document(renga, workspace / "cap.py", "def add(a, b):\n    \n")
    assert not items_of(await renga.text_document_inline_completion_async(inline_params(uri, 1, 4)))
