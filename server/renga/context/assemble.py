"""The context engine's entry point: everything the model sees for one cursor."""

from __future__ import annotations

from renga.config import Settings
from renga.context.types import ContextSources, CursorContext
from renga.context.window import cursor_context
from renga.syntax.document import Document


def build_context(
    doc: Document, offset: int, settings: Settings, sources: ContextSources, path: str
) -> CursorContext:
    """The context for a cursor at byte ``offset`` of ``doc``, under the configured budget."""
    return cursor_context(doc, offset, path, settings.context.token_budget)
