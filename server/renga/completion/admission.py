"""Which documents get completions at all: bad input is refused before any work is done.

Refused, with one log line per document and reason (not one per keystroke):
- documents over ``context.maxFileBytes`` (generated or minified files; their text is kept for
  sync, but they are not parsed, see ``Document.max_bytes``);
- binary content (a NUL byte): no completion could make sense there;
- a language renga has no grammar for, unless ``completion.plainText`` asks for plain-text
  completions (the prompt then shows the text without syntax-aware context).
"""

from __future__ import annotations

import logging
from collections import OrderedDict
from typing import NamedTuple

from renga.config import Settings
from renga.syntax.document import Document

log = logging.getLogger(__name__)

_logged: OrderedDict[tuple[str, str], None] = OrderedDict()
_LOGGED_MAX = 1024


class Refusal(NamedTuple):
    kind: str  # "too_large", "binary", "unsupported_language"
    reason: str


def refusal(doc: Document, settings: Settings) -> Refusal | None:
    """Why ``doc`` gets no completion, or None when it may have one."""
    size = len(doc.source)
    limit = settings.context.max_file_bytes
    if size > limit:
        return Refusal("too_large", f"{size} bytes, over context.maxFileBytes ({limit})")
    if b"\0" in doc.source:
        return Refusal("binary", "binary content (NUL bytes)")
    if doc.language is None and not settings.completion.plain_text:
        return Refusal(
            "unsupported_language",
            f"no grammar for language {doc.language_id or '(none)'!r} "
            "(set completion.plainText to complete it as plain text)",
        )
    return None


def admitted(doc: Document, settings: Settings) -> bool:
    """True when ``doc`` may get completions; logs a refusal once per document and reason."""
    refused = refusal(doc, settings)
    if refused is None:
        return True
    key = (doc.uri, refused.kind)
    if key not in _logged:
        _logged[key] = None
        if len(_logged) > _LOGGED_MAX:
            _logged.popitem(last=False)
        log.info("no completions for %s: %s", doc.uri, refused.reason)
    return False
