"""The hole-filling prompt for inline completions.

Claude has no fill-in-the-middle endpoint, so the file is shown with a hole marker at the cursor
and the model is asked for the text of the hole only. The stable instructions are the system
prompt; with models that accept prefill the assistant turn starts with ``<fill>`` so the answer
begins with code, not prose, and ``</fill>`` is a stop sequence.
"""

from __future__ import annotations

from typing import Any

from renga.context.types import CursorContext
from renga.model.request import ModelRequest

HOLE = "<<FILL>>"
OPEN, CLOSE = "<fill>", "</fill>"

SYSTEM = f"""You are the inline code completion engine of a code editor.
You are shown a file with the marker {HOLE} at the user's cursor, and sometimes related code from \
the project. Reply with exactly the text to insert at {HOLE}, between {OPEN} and {CLOSE}: \
no explanation, no Markdown fences, no repetition of the code before or after the marker.
Rules:
- Continue the code naturally from the cursor; match the file's style and indentation.
- Write only what belongs at the cursor: if the cursor is in the middle of a line, finish that \
line; if it starts an empty block or follows a header, write the block body, and stop at the end \
of the enclosing block.
- Never repeat text that already follows the marker.
- If nothing useful fits, reply {OPEN}{CLOSE}."""


def _context_block(ctx: CursorContext) -> str:
    parts = []
    for section in ctx.sections:
        parts.append(
            f'<context kind="{section.kind}" source="{section.source}">\n{section.text}\n</context>'
        )
    return "\n".join(parts)


def completion_request(ctx: CursorContext, *, max_tokens: int) -> ModelRequest:
    system: list[dict[str, Any]] = [{"type": "text", "text": SYSTEM}]
    content: list[dict[str, Any]] = []
    stable = _context_block(ctx)
    if stable:
        content.append({"type": "text", "text": stable})
    scope = "the rest of the current line" if not ctx.multiline else "a line or a block"
    live = (
        f'<file path="{ctx.path}" language="{ctx.language}">\n'
        f"{ctx.prefix}{HOLE}{ctx.suffix}\n</file>\n"
        f"Fill {HOLE} with {scope}."
    )
    content.append({"type": "text", "text": live})
    return ModelRequest(
        role="fast",
        feature="completion",
        system=system,
        messages=[{"role": "user", "content": content}],
        max_tokens=max_tokens,
        stop_sequences=[CLOSE],
        prefill=OPEN,
        interactive=True,
    )
