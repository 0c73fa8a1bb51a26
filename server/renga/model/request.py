"""A Messages API request before a model is chosen for it (no SDK needed to build one)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

Role = Literal["fast", "smart"]


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

    def body(self, model: str, *, prefill: bool) -> dict[str, Any]:
        """The JSON body sent for ``model`` (also what ``renga context`` prints)."""
        messages = list(self.messages)
        if prefill and self.prefill:
            messages.append({"role": "assistant", "content": self.prefill})
        body: dict[str, Any] = {
            "model": model,
            "max_tokens": self.max_tokens,
            "system": self.system,
            "messages": messages,
        }
        if self.stop_sequences:
            body["stop_sequences"] = self.stop_sequences
        if self.tools:
            body["tools"] = self.tools
        if self.tool_choice:
            body["tool_choice"] = self.tool_choice
        return body
