"""The hole-filling prompt for inline completions.

Claude has no fill-in-the-middle endpoint, so the file is shown with a hole marker at the cursor
and the model is asked for the text of the hole only. The stable instructions are the system
prompt; with models that accept prefill the assistant turn starts with ``<fill>`` so the answer
begins with code, not prose, and ``</fill>`` is a stop sequence.

Layout for the prompt cache: the system prompt, then the *stable* block (the file's imports and
outline as they were at the last refresh), which stays byte for byte the same while the user
types in one place and is marked with ``cache_control`` when the fast model caches a prefix that
short (it is never padded to reach a cache minimum); then the *live* block (enclosing scopes,
definitions, outlines of the enclosing class and of types used nearby, imported names' signatures,
recent edits, and the live window with the cursor), which changes on every keystroke.
"""

from __future__ import annotations

from typing import Any

from renga.context.types import CursorContext, Section
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
- If nothing useful fits, reply {OPEN}{CLOSE}.
Context comes in tags: "imports" are the file's imports; "outline" one line per definition of \
the file or of the enclosing class (it may lag the live buffer by a few keystrokes); "scope" the \
headers of the blocks enclosing the cursor; "definition" signatures and docs of names used near \
the cursor; "members" the members of types used near the cursor; "imported" signatures of names \
the file imports; "recent_edit" what the user just changed in another file. The live window in \
<file> is current."""


def _block(sections: list[Section]) -> str:
    return "\n".join(
        f'<context kind="{s.kind}" source="{s.source}">\n{s.text}\n</context>' for s in sections
    )


def completion_request(ctx: CursorContext, *, max_tokens: int) -> ModelRequest:
    system: list[dict[str, Any]] = [{"type": "text", "text": SYSTEM}]
    content: list[dict[str, Any]] = []
    stable = _block([s for s in ctx.sections if s.stable])
    if stable:
        block: dict[str, Any] = {"type": "text", "text": stable}
        if ctx.cache_stable:
            block["cache_control"] = {"type": "ephemeral"}
        content.append(block)
    scope = "the rest of the current line" if not ctx.multiline else "a line or a block"
    live_context = _block([s for s in ctx.sections if not s.stable])
    live = (
        (live_context + "\n" if live_context else "")
        + f'<file path="{ctx.path}" language="{ctx.language}" first_line="{ctx.first_line + 1}">\n'
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
