"""``renga context``: the exact request an inline completion would send at a cursor, offline.

Users trust what they can inspect: this builds the context with the same code the server uses
(the workspace index over the folder, the file as the one open document) and prints the Messages
API body for the configured fast model, with no key and no network.
"""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path
from typing import Any

from renga.config import Settings
from renga.context import assemble
from renga.context.budget import estimate_request
from renga.context.types import ContextSources, CursorContext, estimate_tokens
from renga.model.catalog import accepts_prefill, provider_model_id
from renga.model.request import ModelRequest
from renga.privacy import Privacy, redact_body


def find_root(path: Path) -> Path:
    """The nearest folder above ``path`` holding a ``.git``; the file's folder when none does."""
    for folder in [path.parent, *path.parent.parents]:
        if (folder / ".git").exists():
            return folder
    return path.parent


def request_body(settings: Settings, request: ModelRequest) -> dict[str, Any]:
    """The body sent for the fast role's first model (what ``ModelClient`` would send)."""
    model = settings.models.fast
    mode = settings.models.prefill
    prefill = mode == "on" or (mode == "auto" and accepts_prefill(model))
    return request.body(provider_model_id(model, settings.provider), prefill=prefill)


def meta(ctx: CursorContext, request: ModelRequest) -> dict[str, Any]:
    sections = [{"kind": s.kind, "source": s.source, "tokens": s.tokens} for s in ctx.sections]
    sections.append(
        {"kind": "window", "source": ctx.path, "tokens": estimate_tokens(ctx.prefix + ctx.suffix)}
    )
    return {
        "language": ctx.language,
        "sections": sections,
        "estimated_input_tokens": estimate_request(request),
        "cached_prefix": ctx.cache_stable,
        "timings_ms": {k: round(v, 2) for k, v in assemble.LAST.timings_ms.items()},
        "late": assemble.LAST.late,
    }


def run(file: str, line: int, character: int, as_json: bool, root_arg: str | None) -> int:
    from renga.config import from_env
    from renga.context.index import WorkspaceIndex
    from renga.prompts.completion import completion_request
    from renga.syntax.document import Document
    from renga.syntax.languages import registry

    settings, errors = from_env()
    for error in errors:
        print(f"renga: ignoring invalid environment setting: {error}", file=sys.stderr)
    path = Path(file).resolve()
    try:
        text = path.read_text("utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        print(f"renga: cannot read {path}: {exc}", file=sys.stderr)
        return 2
    # Judged by the name given as well as the file it is (a link to a .env file, or out of the
    # workspace, is excluded): renga.privacy resolves it.
    given = Path(os.path.abspath(file))
    root = Path(root_arg).resolve() if root_arg else find_root(given)
    privacy = Privacy([str(root)], settings)
    excluded = privacy.excluded
    if excluded(str(given)):
        # Nothing from an excluded file is ever sent, so nothing from it is shown either.
        print(
            f"renga: {path} is excluded by the privacy settings (default exclusions, .gitignore, "
            ".rengaignore or privacy.exclude): no completion is requested there and it never "
            "contributes context.",
            file=sys.stderr,
        )
        return 5
    index = WorkspaceIndex(
        [str(root)], excluded=excluded, max_file_bytes=settings.context.max_file_bytes
    )
    try:
        index.build()
        language = registry().for_document(None, path)
        doc = Document(path.as_uri(), text, language=language, encoding="utf-16")
        if line < 0 or line >= doc.index.line_count():
            print(
                f"renga: line {line} is outside the file (0-{doc.index.line_count() - 1})",
                file=sys.stderr,
            )
            return 2
        offset = doc.offset_at(line, character)
        sources = ContextSources(
            documents={doc.uri: doc}, index=index, excluded=excluded, root=str(root)
        )
        ctx = assemble.build_context(doc, offset, settings, sources, str(path))
        request = completion_request(ctx, max_tokens=settings.completion.max_tokens)
        body = request_body(settings, request)
        if settings.privacy.redact_secrets:
            # What is printed is what would leave the machine: secrets redacted.
            redact_body(body)
    finally:
        index.close()
    if as_json:
        print(
            json.dumps({"request": body, "meta": meta(ctx, request)}, indent=2, ensure_ascii=False)
        )
    else:
        print(json.dumps(body, indent=2, ensure_ascii=False))
    return 0
