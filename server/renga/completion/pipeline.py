"""One inline completion: context -> prompt -> streamed answer -> postprocessed suggestion."""

from __future__ import annotations

import logging
import time
from dataclasses import dataclass

from renga.completion.postprocess import Spot, postprocess
from renga.config import Settings
from renga.context.assemble import build_context
from renga.context.budget import CALIBRATOR
from renga.context.types import ContextSources
from renga.model.client import ModelClient
from renga.prompts.completion import CLOSE, completion_request
from renga.syntax.document import Document

log = logging.getLogger(__name__)


@dataclass
class Suggestion:
    text: str
    # Byte offset in the document where the suggestion's text starts.
    start: int
    model: str
    timings: dict[str, float]


def path_of(uri: str) -> str:
    return uri.removeprefix("file://")


async def complete(
    doc: Document,
    offset: int,
    settings: Settings,
    model: ModelClient,
    sources: ContextSources | None = None,
) -> Suggestion | None:
    t0 = time.monotonic()
    ctx = build_context(doc, offset, settings, sources or ContextSources(), path_of(doc.uri))
    request = completion_request(ctx, max_tokens=settings.completion.max_tokens)
    t1 = time.monotonic()
    chunks: list[str] = []
    async with model.stream(request) as stream:
        async for piece in stream.text():
            chunks.append(piece)
            # Without prefill the close tag is text, not a stop sequence: stop reading there.
            if CLOSE in piece or (len(chunks) > 1 and CLOSE in "".join(chunks[-2:])):
                break
        used_model = stream.model
        first = stream.first_token_at
    CALIBRATOR.observe_usage(request, stream.usage)
    t2 = time.monotonic()
    raw = stream.prefill + "".join(chunks)
    text = postprocess(raw, Spot(prefix=ctx.prefix, suffix=ctx.suffix, multiline=ctx.multiline))
    timings = {
        "context_ms": (t1 - t0) * 1000,
        "first_token_ms": ((first or t2) - t1) * 1000,
        "total_ms": (time.monotonic() - t0) * 1000,
    }
    log.debug("completion timings %s", timings)
    if not text:
        return None
    return Suggestion(text=text, start=offset, model=used_model, timings=timings)
