"""End-to-end fixtures (helpers live in tests/lsp_support.py, importable from any test)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
import pytest_asyncio
from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer
from lsp_support import PROFILES, server_env, start_session


@pytest.fixture(params=PROFILES)
def profile(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    folder = tmp_path / "ws"
    folder.mkdir()
    return folder


@pytest_asyncio.fixture
async def renga(
    anthropic_server: AnthropicTestServer, profile: str, workspace: Path, tmp_path: Path
) -> AsyncIterator[LanguageClient]:
    """A live renga server with a key, pointed at the test server, under a real client profile."""
    env = server_env(
        tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=anthropic_server.base_url
    )
    client = await start_session(env, profile, workspace)
    yield client
    await client.shutdown_session()
