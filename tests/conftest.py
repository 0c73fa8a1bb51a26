"""Shared fixtures. Puts this folder on sys.path so any test (also in subfolders such as
tests/e2e/) can ``from anthropic_server import AnthropicTestServer, Reply``."""

from __future__ import annotations

import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

_TESTS = str(Path(__file__).resolve().parent)
if _TESTS not in sys.path:
    sys.path.insert(0, _TESTS)

from anthropic_server import AnthropicTestServer  # noqa: E402


@pytest.fixture
def anthropic_server() -> Iterator[AnthropicTestServer]:
    """An Anthropic-compatible server on 127.0.0.1, started; stopped after the test."""
    with AnthropicTestServer() as server:
        yield server


@pytest.fixture(autouse=True)
def _private_user_data(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every test (and every `renga` subprocess it starts) writes its usage ledger (and its cached
    model list) to a folder of its own, never to the user's real data or cache directory."""
    monkeypatch.setenv("XDG_DATA_HOME", str(tmp_path_factory.mktemp("xdg-data")))
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path_factory.mktemp("xdg-cache")))
