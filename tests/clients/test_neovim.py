"""The Neovim plugin (clients/neovim) in a real Neovim 0.11: ghost text drawn with extmarks from
renga's inline completions, accepted with <Tab> (and the accept command reaching the server),
partial accepts, and stale requests cancelled all the way to the model's HTTP stream."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply
from nvim_driver import SCREENSHOTS, Nvim
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
