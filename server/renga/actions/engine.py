"""One model-made edit: a forced-tool request, the checks, one retry with the errors, the cost.

A model answer that fails the checks (or does not fit the tool's schema) is sent back once with
what was wrong; a second failure is an :class:`Outcome` with an error, and nothing is applied.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from renga.actions.files import Files
from renga.actions.proposal import EDIT_SCHEMA, AnswerError, forced, read_edits
from renga.actions.validate import CheckedFile, Excluded, check, nothing_excluded
from renga.context.types import estimate_tokens
from renga.model.catalog import Usage, price_of, tokenizer_ratio
from renga.model.request import ModelRequest, Role
from renga.prompts.actions import retry_text

if TYPE_CHECKING:
    from renga.model.client import ModelClient, Reply

log = logging.getLogger(__name__)


@dataclass
class Job:
    """An edit to ask for: who answers, what they see, which files they may change."""

    title: str
    role: Role
    feature: str
    system: str
    prompt: str
    files: Files
    # The files this job may change; None: any file inside the workspace.
    allowed: set[Path] | None
    max_tokens: int = 8192
    # What the answer is expected to hold (tokens), for the cost estimate.
    expected_output: int = 1000


@dataclass
class Cost:
    usages: list[Usage] = field(default_factory=list)

    @property
    def input_tokens(self) -> int:
        return sum(
            u.input_tokens + u.cache_creation_input_tokens + u.cache_read_input_tokens
            for u in self.usages
        )

    @property
    def output_tokens(self) -> int:
        return sum(u.output_tokens for u in self.usages)

    @property
    def usd(self) -> float:
        return sum(u.cost_usd for u in self.usages)

    def add(self, other: Cost) -> None:
        self.usages += other.usages

    def words(self) -> str:
        return f"{self.input_tokens + self.output_tokens} tokens, ${self.usd:.4f}"


@dataclass
class Outcome:
    checked: list[CheckedFile]
    summary: str
    cost: Cost
    error: str | None = None


def estimate_usd(model: str, *texts: str, output_tokens: int) -> float:
    """What a request will cost, from a local token estimate (an upper guess for output)."""
    price = price_of(model)
    # The 5.x tokenizer counts about 30% more tokens for the same text.
    input_tokens = int(sum(estimate_tokens(t) for t in texts) * tokenizer_ratio(model))
    return (input_tokens * price.input + output_tokens * price.output) / 1_000_000


def request_for(job: Job, messages: list[dict[str, Any]], tool: dict[str, Any]) -> ModelRequest:
    return ModelRequest(
        role=job.role,
        feature=job.feature,
        system=[{"type": "text", "text": job.system}],
        messages=messages,
        max_tokens=job.max_tokens,
        tools=[tool],
        tool_choice=forced(tool),
    )


def answer_turns(reply: Reply, errors: list[str]) -> list[dict[str, Any]]:
    """The model's answer and the checks' verdict on it, as the next two turns."""
    content: list[dict[str, Any]] = [{"type": "text", "text": reply.text}] if reply.text else []
    content += [
        {"type": "tool_use", "id": c["id"], "name": c["name"], "input": c["input"]}
        for c in reply.tool_calls
    ]
    if not reply.tool_calls:
        return [
            {"role": "assistant", "content": content or [{"type": "text", "text": "(nothing)"}]},
            {"role": "user", "content": retry_text(errors)},
        ]
    # A thinking model's tool calls go back with the thinking that preceded them.
    content = [*reply.thinking, *content]
    results = [
        {
            "type": "tool_result",
            "tool_use_id": c["id"],
            "is_error": True,
            "content": retry_text(errors),
        }
        for c in reply.tool_calls
    ]
    return [{"role": "assistant", "content": content}, {"role": "user", "content": results}]


async def run(model: ModelClient, job: Job, excluded: Excluded = nothing_excluded) -> Outcome:
    """Ask for the edit, check it, retry once with the errors; ModelError propagates."""
    messages: list[dict[str, Any]] = [{"role": "user", "content": job.prompt}]
    cost = Cost()
    errors: list[str] = []
    for attempt in (1, 2):
        reply = await model.create(request_for(job, messages, EDIT_SCHEMA))
        cost.usages.append(reply.usage)
        try:
            answer = read_edits(reply.tool_calls)
            checked, errors = check(answer.edits, job.files, allowed=job.allowed, excluded=excluded)
        except AnswerError as exc:
            errors = [f"the answer does not fit the tool: {exc}"]
        if not errors:
            log.info("%s: %s (%s)", job.feature, job.title, cost.words())
            return Outcome(checked, answer.summary, cost)
        log.info("%s: answer %d failed the checks: %s", job.feature, attempt, "; ".join(errors))
        messages = [*messages, *answer_turns(reply, errors)]
    log.info("%s: %s failed (%s)", job.feature, job.title, cost.words())
    return Outcome([], "", cost, error="; ".join(errors))
