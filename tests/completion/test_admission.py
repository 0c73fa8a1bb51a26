"""Which documents get completions: oversized, binary and grammar-less ones are refused."""

from __future__ import annotations

import dataclasses
import logging

import pytest

from renga.completion.admission import admitted, refusal
from renga.config import CompletionSettings, ContextSettings, Settings
from renga.syntax.document import Document
from renga.syntax.languages import registry


def doc(text: str, language_id: str = "python", uri: str = "file:///a.py") -> Document:
    return Document(
        uri, text, language_id=language_id, language=registry().for_document(language_id, uri)
    )


def test_an_ordinary_document_is_admitted() -> None:
    assert refusal(doc("x = 1\n"), Settings()) is None


def test_an_oversized_document_is_refused() -> None:
    settings = Settings(context=ContextSettings(max_file_bytes=1024))
    refused = refusal(doc("x = 1\n" * 200), settings)
    assert refused is not None and refused.kind == "too_large"
    assert "maxFileBytes" in refused.reason


def test_a_binary_document_is_refused() -> None:
    refused = refusal(doc("x = 1\n\x00\x01"), Settings())
    assert refused is not None and refused.kind == "binary"


def test_a_grammarless_document_needs_plain_text_on() -> None:
    text = doc("hello ", language_id="xyz", uri="file:///notes.xyz")
    assert refusal(text, Settings()) is not None
    plain = dataclasses.replace(Settings(), completion=CompletionSettings(plain_text=True))
    assert refusal(text, plain) is None


def test_a_refusal_is_logged_once_per_document_and_reason(
    caplog: pytest.LogCaptureFixture,
) -> None:
    settings = Settings(context=ContextSettings(max_file_bytes=1024))
    big = doc("x = 1\n" * 200, uri="file:///big-once.py")
    with caplog.at_level(logging.INFO, logger="renga.completion.admission"):
        for _ in range(5):
            assert not admitted(big, settings)
            big.source += b"y"  # keystrokes change the size, not the reason
    assert len([r for r in caplog.records if "big-once.py" in r.getMessage()]) == 1
