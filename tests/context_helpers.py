"""Helpers for the context tests (importable from any test: tests/ is on sys.path)."""

from __future__ import annotations

from renga.syntax.document import Document
from renga.syntax.languages import registry


def make_doc(text: str, uri: str = "file:///ws/main.py", language: str = "python") -> Document:
    return Document(uri, text, language=registry().get(language))
