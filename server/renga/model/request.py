"""A Messages API request before a model is chosen for it (no SDK needed to build one), and the
one place that shapes it for the model chosen: prefill, thinking, effort and how a structured
answer is asked for follow the model's :class:`~renga.model.catalog.Capabilities`."""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from typing import Any, Literal

from renga.model.catalog import Capabilities, capabilities

Role = Literal["fast", "smart"]

# Tool choices that force a tool call; some models refuse them (a 400).
FORCED = ("tool", "any")


def strict_tool(tool: dict[str, Any]) -> dict[str, Any]:
    """``tool`` marked ``"strict": true``, every object of its schema closed
    (``additionalProperties: false``), as strict tools require."""

    def close(node: Any) -> Any:
        if isinstance(node, dict):
            out = {k: close(v) for k, v in node.items()}
            if out.get("type") == "object":
                out.setdefault("additionalProperties", False)
            return out
        if isinstance(node, list):
            return [close(v) for v in node]
        return node

    out = dict(tool)
    out["input_schema"] = close(tool.get("input_schema", {}))
    out["strict"] = True
    return out


def answer_by_tool(name: str) -> str:
    """What the prompt says when the tool cannot be forced."""
    return (
        f"Answer only by calling the `{name}` tool, exactly once. "
        "An answer without that tool call is discarded."
    )


@dataclass
class ModelRequest:
    """A Messages API request, before a model is chosen for it."""

    role: Role
    feature: str
    system: list[dict[str, Any]]
    messages: list[dict[str, Any]]
    max_tokens: int
    stop_sequences: list[str] = field(default_factory=list)
    tools: list[dict[str, Any]] | None = None
    tool_choice: dict[str, Any] | None = None
    # Text to put in the assistant's mouth when the model accepts prefill; the model continues it.
    prefill: str = ""
    # Interactive requests (inline completions) get no retries and a short timeout.
    interactive: bool = False
    # How hard the model may think. None: the quickest answer (completions, quick actions):
    # thinking off, and effort "low" where thinking off is sent with an effort. "off": thinking
    # off at the model's own effort. A level ("low".."max"): adaptive thinking at that effort,
    # where the model has it. The client fills this in for the smart role (models.smartEffort).
    effort: str | None = None

    def body(
        self,
        model: str,
        *,
        prefill: bool,
        caps: Capabilities | None = None,
        strict_tools: bool = True,
    ) -> dict[str, Any]:
        """The JSON body sent for ``model`` (also what ``renga context`` prints). ``caps``: what
        the model accepts (default: the built-in table); ``strict_tools``: False where the
        provider has no strict tools (Bedrock)."""
        caps = caps or capabilities(model)
        messages = list(self.messages)
        if prefill and self.prefill:
            messages.append({"role": "assistant", "content": self.prefill})
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "messages": messages,
        }
        # Never temperature, top_p or top_k: every current model refuses them (API 2026-10-21).
        if self.stop_sequences:
            body["stop_sequences"] = self.stop_sequences
        thinking, effort = thinking_of(caps, self.effort)
        if thinking is not None:
            body["thinking"] = thinking
        if effort is not None:
            body["output_config"] = {"effort": effort}
        if self.tools:
            body["tools"] = self.tools
        if self.tool_choice:
            body["tool_choice"] = self.tool_choice
            thinks = (thinking or {}).get("type") == "adaptive" or (
                thinking is None and caps.thinks_by_default
            )
            if self.tool_choice.get("type") in FORCED and (not caps.forced_tools or thinks):
                unforce(body, caps.strict_tools and strict_tools)
        return body


def thinking_of(caps: Capabilities, effort: str | None) -> tuple[dict[str, Any] | None, str | None]:
    """The ``thinking`` object and ``output_config.effort`` for a request wanting ``effort``
    (see :attr:`ModelRequest.effort`); None where nothing is to be sent."""
    if effort not in (None, "off"):
        if "adaptive" in caps.thinking_types:
            return {"type": "adaptive"}, effort if effort in caps.efforts else None
        # No adaptive thinking (the 4.5 models): renga asks for none.
        return None, None
    if not caps.thinks_by_default:
        return None, None  # thinking is already off; the 4.x models take nothing more
    if "disabled" in caps.thinking_types:
        # Haiku 5.5 takes "disabled" only at low, medium or high effort; low is the fastest.
        quick = effort is None and "low" in caps.efforts
        return {"type": "disabled"}, "low" if quick else None
    if "between_tools" in caps.thinking_types:
        # Sonnet 5.5 refuses "disabled": "between_tools" is its no-up-front-thinking mode.
        return {"type": "between_tools"}, None
    return None, None


def unforce(body: dict[str, Any], strict: bool) -> None:
    """Ask for the forced tool without forcing it: ``tool_choice: auto``, the tool strict where
    the provider has strict tools, and the prompt saying the answer must be that call."""
    choice = body["tool_choice"]
    name = choice.get("name") or (body["tools"][0]["name"] if body.get("tools") else "")
    body["tool_choice"] = {"type": "auto"}
    if strict and body.get("tools"):
        body["tools"] = [strict_tool(t) if t.get("name") == name else t for t in body["tools"]]
    system = body.get("system")
    note = {"type": "text", "text": answer_by_tool(name)}
    if isinstance(system, list):
        body["system"] = [*copy.copy(system), note]
    elif system:
        body["system"] = [{"type": "text", "text": str(system)}, note]
    else:
        body["system"] = [note]
