"""One inline completion: context -> prompt -> streamed answer -> postprocessed suggestion."""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from renga.completion.postprocess import (
    Snapshot,
    Spot,
    adds_syntax_errors,
    known_complete,
    meets_code_below,
    postprocess,
    strip_markers,
)
from renga.completion.shape import shape_at
from renga.config import Settings
from renga.context.assemble import build_context
from renga.context.budget import CALIBRATOR
from renga.context.types import ContextSources
from renga.prompts.completion import completion_request
from renga.syntax.document import Document

if TYPE_CHECKING:
    from renga.model.client import ModelClient

log = logging.getLogger(__name__)


@dataclass
class Suggestion:
    text: str
    # Byte offset in the document where the suggestion's text starts.
    start: int
    model: str
    timings: dict[str, float]


@dataclass
class Outcome:
    """What one model call gave, also when nothing is shown (for statistics and tests)."""

    suggestion: Suggestion | None = None
    raw: str = ""
    # Why nothing is shown: "empty", "syntax".
    rejected: str = ""
    stopped_early: bool = False
    # The answer is whole: known complete, or the stream ended normally (not cut, not at the
    # token cap). Only a whole answer may be remembered and revealed part by part.
    finished: bool = False
    # Where the answer ends, the code after the cursor takes over (nothing more to ask there).
    meets_code: bool = False
    timings: dict[str, float] = field(default_factory=dict)


def path_of(uri: str) -> str:
    return uri.removeprefix("file://")


async def complete(
    doc: Document,
    offset: int,
    settings: Settings,
    model: ModelClient,
    sources: ContextSources | None = None,
) -> Suggestion | None:
    """The suggestion at byte ``offset`` of ``doc``, or None (``renga complete`` uses this)."""
    return (await generate(doc, offset, settings, model, sources)).suggestion


async def generate(
    doc: Document,
    offset: int,
    settings: Settings,
    model: ModelClient,
    sources: ContextSources | None = None,
    on_text: Callable[[str], None] | None = None,
) -> Outcome:
    """Ask the model for the text at byte ``offset`` of ``doc``. ``on_text`` sees the answer
    (markers stripped) as it grows, so a caller can tell whether it still fits what the user
    typed meanwhile. The stream is closed as soon as the answer is known to be complete.

    ``completion.timeoutMs`` bounds the whole of it, from here to the answer's last token: past
    that, the call fails with ``ModelError(TIMEOUT)`` and nothing is shown."""
    t0 = time.monotonic()
    deadline = asyncio.get_running_loop().time() + settings.completion.timeout_ms / 1000
    snap = Snapshot.of(doc, offset)
    shape = shape_at(doc, offset)
    ctx = build_context(doc, offset, settings, sources or ContextSources(), path_of(doc.uri))
    # The syntax decides whether a line or a block is wanted; the prompt says which.
    ctx.multiline = shape.multiline
    spot = Spot(
        prefix=ctx.prefix, suffix=ctx.suffix, multiline=shape.multiline, min_indent=shape.min_indent
    )
    request = completion_request(ctx, max_tokens=settings.completion.max_tokens)
    t1 = time.monotonic()
    raw = ""
    stopped_early = complete = False
    async with model.stream(request, deadline=deadline) as stream:
        raw = stream.prefill
        async for piece in stream.text():
            raw += piece
            if on_text is not None:
                on_text(strip_markers(raw, spot))
            if known_complete(raw, spot):
                # Leaving the stream context closes the HTTP response: no more tokens are paid.
                stopped_early = not stream.finished
                complete = True
                break
        used_model = stream.model
        first = stream.first_token_at
    CALIBRATOR.observe_usage(request, stream.usage)
    t2 = time.monotonic()
    text = postprocess(raw, spot)
    outcome = Outcome(
        raw=raw,
        stopped_early=stopped_early,
        finished=complete or (stream.finished and stream.stop_reason != "max_tokens"),
    )
    if not text:
        outcome.rejected = "empty"
    elif adds_syntax_errors(snap, text):
        log.debug("completion rejected: it adds syntax errors")
        outcome.rejected = "syntax"
    t3 = time.monotonic()
    outcome.timings = {
        "context_ms": (t1 - t0) * 1000,
        "first_token_ms": ((first or t2) - t1) * 1000,
        "model_ms": (t2 - t1) * 1000,
        "postprocess_ms": (t3 - t2) * 1000,
        "total_ms": (t3 - t0) * 1000,
    }
    if not outcome.rejected:
        outcome.meets_code = meets_code_below(raw, text, spot)
        outcome.suggestion = Suggestion(
            text=text, start=offset, model=used_model, timings=outcome.timings
        )
    return outcome
