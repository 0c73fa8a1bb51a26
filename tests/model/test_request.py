"""Request shaping per model: the one place that decides thinking, effort, prefill and tools."""

from __future__ import annotations

from typing import Any

import pytest

from renga.model.catalog import capabilities
from renga.model.request import ModelRequest

EDIT = {
    "name": "propose_edits",
    "input_schema": {
        "type": "object",
        "properties": {
            "edits": {
                "type": "array",
                "items": {"type": "object", "properties": {"path": {"type": "string"}}},
            }
        },
        "required": ["edits"],
    },
}
SAMPLING = ("temperature", "top_p", "top_k")


def quick(**kw: Any) -> ModelRequest:
    fields: dict[str, Any] = {
        "role": "fast",
        "feature": "completion",
        "system": [{"type": "text", "text": "sys"}],
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 64,
        "prefill": "<fill>",
    }
    fields.update(kw)
    return ModelRequest(**fields)


def body(request: ModelRequest, model: str, **kw: Any) -> dict[str, Any]:
    caps = capabilities(model)
    return request.body(model, prefill=caps.prefill, caps=caps, **kw)


@pytest.mark.parametrize(
    ("model", "thinking", "output_config"),
    [
        ("claude-haiku-4-5", None, None),
        ("claude-sonnet-4-5", None, None),
        ("claude-sonnet-4-6", None, None),
        ("claude-haiku-5-5", {"type": "disabled"}, {"effort": "low"}),
        ("claude-sonnet-5-5", {"type": "between_tools"}, None),
        ("global.anthropic.claude-haiku-5-5", {"type": "disabled"}, {"effort": "low"}),
    ],
)
def test_quick_requests_never_think(
    model: str, thinking: dict[str, str] | None, output_config: dict[str, str] | None
) -> None:
    sent = body(quick(), model)
    assert sent.get("thinking") == thinking
    assert sent.get("output_config") == output_config
    assert not any(k in sent for k in SAMPLING)


def test_prefill_only_where_accepted() -> None:
    assert body(quick(), "claude-haiku-4-5")["messages"][-1] == {
        "role": "assistant",
        "content": "<fill>",
    }
    for model in ("claude-haiku-5-5", "claude-sonnet-4-6", "claude-sonnet-5-5"):
        assert body(quick(), model)["messages"][-1]["role"] == "user", model


def test_smart_effort_turns_adaptive_thinking_on_where_the_model_has_it() -> None:
    deep = quick(role="smart", effort="high", prefill="")
    assert body(deep, "claude-sonnet-5-5")["thinking"] == {"type": "adaptive"}
    assert body(deep, "claude-sonnet-5-5")["output_config"] == {"effort": "high"}
    assert body(deep, "claude-sonnet-4-6")["thinking"] == {"type": "adaptive"}
    # The 4.5 models have no adaptive thinking: nothing is sent.
    assert "thinking" not in body(deep, "claude-haiku-4-5")
    # "off": no thinking, at the model's own effort (not lowered to "low").
    off = body(quick(role="smart", effort="off"), "claude-haiku-5-5")
    assert off["thinking"] == {"type": "disabled"} and "output_config" not in off


def test_forced_tool_is_kept_where_accepted() -> None:
    request = quick(prefill="", tools=[EDIT], tool_choice={"type": "tool", "name": "propose_edits"})
    for model in ("claude-haiku-4-5", "claude-haiku-5-5", "claude-sonnet-4-6"):
        sent = body(request, model)
        assert sent["tool_choice"] == {"type": "tool", "name": "propose_edits"}, model
        assert sent["tools"] == [EDIT] and sent["system"] == request.system


def test_forced_tool_becomes_a_strict_auto_tool_where_refused() -> None:
    request = quick(prefill="", tools=[EDIT], tool_choice={"type": "tool", "name": "propose_edits"})
    sent = body(request, "claude-sonnet-5-5")
    assert sent["tool_choice"] == {"type": "auto"}
    (tool,) = sent["tools"]
    assert tool["strict"] is True
    schema = tool["input_schema"]
    assert schema["additionalProperties"] is False
    assert schema["properties"]["edits"]["items"]["additionalProperties"] is False
    assert "propose_edits" in sent["system"][-1]["text"] and sent["system"][0]["text"] == "sys"
    assert EDIT["input_schema"].get("additionalProperties") is None  # the original is untouched
    # Bedrock has no strict tools: auto, the prompt, and renga's own checks.
    bedrock = body(request, "claude-sonnet-5-5", strict_tools=False)
    assert bedrock["tool_choice"] == {"type": "auto"} and "strict" not in bedrock["tools"][0]


def test_thinking_on_unforces_the_tool_too() -> None:
    request = quick(
        role="smart",
        effort="medium",
        prefill="",
        tools=[EDIT],
        tool_choice={"type": "tool", "name": "propose_edits"},
    )
    assert body(request, "claude-haiku-5-5")["tool_choice"] == {"type": "auto"}
