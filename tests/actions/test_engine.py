"""One model-made edit through the real SDK and the test server: forced tool, checks, one retry."""

from __future__ import annotations

from pathlib import Path

from anthropic_server import AnthropicTestServer, Reply
from renga.actions.engine import Job, estimate_usd, run
from renga.actions.files import Files
from renga.config import ModelSettings, Settings
from renga.model.catalog import Usage
from renga.model.client import ModelClient


def client(server: AnthropicTestServer) -> tuple[ModelClient, list[tuple[str, Usage]]]:
    usages: list[tuple[str, Usage]] = []
    model = ModelClient(
        Settings(base_url=server.base_url),
        environ={"ANTHROPIC_API_KEY": "sk-test"},
        on_usage=lambda feature, usage: usages.append((feature, usage)),
    )
    return model, usages


def job(ws: Path) -> Job:
    return Job(
        title="t",
        role="smart",
        feature="refactor",
        system="sys",
        prompt="rename x",
        files=Files([ws], {}, "utf-16"),
        allowed={ws / "m.py"},
    )


def edit(old: str, new: str) -> Reply:
    return Reply(
        text="",
        tool_calls=[
            {
                "name": "propose_edits",
                "input": {
                    "summary": "s",
                    "edits": [{"path": "m.py", "old_text": old, "new_text": new}],
                },
            }
        ],
        input_tokens=1000,
    )


async def test_a_failed_answer_is_sent_back_once_and_the_second_is_taken(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    anthropic_server.enqueue(edit("y = 1", "z = 1"), edit("x = 1", "z = 1"))
    model, usages = client(anthropic_server)
    outcome = await run(model, job(tmp_path))
    await model.aclose()
    assert outcome.error is None
    assert outcome.checked[0].new_text == "z = 1\n"
    first, second = anthropic_server.messages_requests()
    # Sonnet 5.5 (the smart default) refuses forced tools: a strict tool, asked for in words.
    assert first.body["tool_choice"] == {"type": "auto"}
    assert first.body["tools"][0]["strict"] is True
    assert "propose_edits" in first.body["system"][-1]["text"]
    assert first.body["model"] == "claude-sonnet-5-5"
    turns = second.body["messages"]
    assert [t["role"] for t in turns] == ["user", "assistant", "user"]
    assert "does not occur" in turns[2]["content"][0]["content"]
    assert [f for f, _ in usages] == ["refactor", "refactor"]
    assert outcome.cost.input_tokens == 2000
    assert outcome.cost.usd == sum(u.cost_usd for _, u in usages)


async def test_two_failed_answers_are_an_error_and_nothing_is_offered(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    anthropic_server.enqueue(edit("x = 1", "x = (1"), edit("x = 1", "x = (1"))
    model, _ = client(anthropic_server)
    outcome = await run(model, job(tmp_path))
    await model.aclose()
    assert outcome.checked == [] and outcome.error is not None
    assert "does not parse" in outcome.error
    assert len(anthropic_server.messages_requests()) == 2


async def test_an_answer_without_the_tool_is_retried_once_then_reported(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    anthropic_server.enqueue(Reply(text="Here is the change: z = 1"), Reply(text="z = 1"))
    model, _ = client(anthropic_server)
    outcome = await run(model, job(tmp_path))
    await model.aclose()
    assert outcome.checked == []
    assert outcome.error == (
        "the answer does not fit the tool: the model answered without calling the "
        "propose_edits tool"
    )
    assert [r.status for r in anthropic_server.messages_requests()] == [200, 200]


def test_estimates_price_the_model() -> None:
    cheap = estimate_usd("claude-haiku-4-5", "x" * 3500, output_tokens=1000)
    dear = estimate_usd("claude-sonnet-4-5", "x" * 3500, output_tokens=1000)
    assert round(dear / cheap, 6) == 3.0
    assert round(cheap, 6) == round((1000 * 1 + 1000 * 5) / 1e6, 6)


async def test_a_retry_sends_the_thinking_back_before_the_tool_call(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    (tmp_path / "m.py").write_text("x = 1\n")
    first = edit("y = 1", "z = 1")
    first.thinking = "Rename x."
    anthropic_server.enqueue(first, edit("x = 1", "z = 1"))
    model = ModelClient(
        Settings(base_url=anthropic_server.base_url, models=ModelSettings(smart_effort="medium")),
        environ={"ANTHROPIC_API_KEY": "sk-test"},
    )
    outcome = await run(model, job(tmp_path))
    await model.aclose()
    assert outcome.error is None
    _, second = anthropic_server.messages_requests()
    answer = second.body["messages"][1]["content"]
    assert [b["type"] for b in answer] == ["thinking", "tool_use"]
    assert answer[0]["thinking"] == "Rename x." and answer[0]["signature"]
