"""The VS Code extension (clients/vscode) in a real VS Code: code-server from npm, driven by
headless Chromium through playwright-core (tests/clients/vscode_driver.mjs). The extension is
built and installed by the shell commands of the VS Code guide (clients/vscode/README.md,
*Install*), run word for word in a copy of the checkout, with ``code`` being code-server; then
the guide's steps are followed in VS Code from a machine with no renga on PATH and no key in the
environment. The extension offers to install the server, creates its private environment with
the machine's python3 and pip-installs the wheel shipped in the .vsix (dependencies from the
package index, through pip's usual cache); the key is set with "Renga: Set API Key". The server
reaches the in-process Anthropic-compatible server through the ``renga.baseUrl`` setting, which
answers 401 to any other key.

Needs ``clients/vscode/scripts/setup-e2e.sh`` (``bash scripts/test`` runs it); without it the test
skips, except under CI where a missing editor is a failure.
"""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from anthropic_server import AnthropicTestServer, RecordedRequest, Reply
from lsp_support import server_env

REPO = Path(__file__).resolve().parents[2]
E2E = REPO / ".e2e"
NODE = E2E / "node-24.9.0" / "bin" / "node"
CODE_SERVER = E2E / "tools" / "node_modules" / "code-server" / "out" / "node" / "entry.js"
PLAYWRIGHT = E2E / "tools" / "node_modules" / "playwright-core"
GUIDE = REPO / "clients" / "vscode" / "README.md"
CHROMIUM = shutil.which("chromium") or "/usr/bin/chromium"
DRIVER = Path(__file__).with_name("vscode_driver.mjs")
SCREENSHOTS = E2E / "screenshots"


def _missing() -> list[str]:
    return [str(p) for p in (NODE, CODE_SERVER, PLAYWRIGHT, Path(CHROMIUM)) if not p.exists()]


@pytest.fixture(scope="module", autouse=True)
def editor_installed() -> None:
    missing = _missing()
    if missing:
        message = (
            f"VS Code e2e not set up (run clients/vscode/scripts/setup-e2e.sh): missing {missing}"
        )
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class CodeServer:
    def __init__(self, root: Path, env: dict[str, str]) -> None:
        self.root = root
        self.env = env
        self.port = _free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.user_data = root / "user-data"
        self.extensions = root / "extensions"
        self.log = root / "code-server.log"
        self.proc: subprocess.Popen[bytes] | None = None

    def base_args(self) -> list[str]:
        return [
            str(NODE),
            str(CODE_SERVER),
            "--user-data-dir",
            str(self.user_data),
            "--extensions-dir",
            str(self.extensions),
        ]

    def code_command(self, bin_dir: Path) -> None:
        """A ``code`` on PATH for the guide's ``code --install-extension``: code-server, with
        this test's profile and extensions folders."""
        bin_dir.mkdir(parents=True, exist_ok=True)
        code = bin_dir / "code"
        code.write_text(
            "#!/bin/sh\nexec " + " ".join(map(shlex.quote, self.base_args())) + ' "$@"\n'
        )
        code.chmod(0o755)

    def settings(self, values: dict[str, Any]) -> None:
        user = self.user_data / "User"
        user.mkdir(parents=True, exist_ok=True)
        (user / "settings.json").write_text(json.dumps(values, indent=2))

    def start(self, folder: Path) -> None:
        config = self.root / "config.yaml"
        config.write_text("auth: none\n")
        args = [
            *self.base_args(),
            "--bind-addr",
            f"127.0.0.1:{self.port}",
            "--auth",
            "none",
            "--disable-telemetry",
            "--disable-update-check",
            "--disable-workspace-trust",
            "--ignore-last-opened",
            "--config",
            str(config),
            str(folder),
        ]
        # Its own process group: the extension host, renga and file watchers are its children.
        self.proc = subprocess.Popen(
            args,
            env=self.env,
            stdout=self.log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while True:
            try:
                with urllib.request.urlopen(f"{self.url}/healthz", timeout=2) as response:
                    if response.status == 200:
                        return
            except OSError:
                pass
            assert self.proc.poll() is None, f"code-server exited: {self.log.read_text()[-2000:]}"
            assert time.monotonic() < deadline, "code-server did not answer /healthz"
            time.sleep(0.25)

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)


@pytest.fixture
def code_server(tmp_path: Path) -> Iterator[CodeServer]:
    # Unix socket paths are limited to 107 bytes: a short TMPDIR of its own.
    short_tmp = Path("/tmp") / f"rvs{os.getpid()}{tmp_path.name[-6:]}"
    short_tmp.mkdir(exist_ok=True)
    env = server_env(tmp_path)  # no ANTHROPIC_API_KEY: the user sets it inside the editor
    # A fresh machine: no renga anywhere on PATH (this test's own virtual environment is often
    # on it), so the extension has to install its own.
    path = [
        d for d in env.get("PATH", "").split(os.pathsep) if d and not (Path(d) / "renga").exists()
    ]
    env.update(TMPDIR=str(short_tmp), PATH=os.pathsep.join([str(NODE.parent), *path]))
    # server_env moved XDG_CACHE_HOME into the test folder, which would leave pip's cache empty
    # and download every dependency on every run; a user's pip has its cache.
    env["PIP_CACHE_DIR"] = os.environ.get("PIP_CACHE_DIR") or str(Path.home() / ".cache" / "pip")
    server = CodeServer(tmp_path / "code-server", env)
    server.root.mkdir()
    yield server
    server.stop()
    shutil.rmtree(short_tmp, ignore_errors=True)


def guide_install_commands() -> str:
    """The shell block of the guide's *Install* section."""
    text = GUIDE.read_text()
    block = re.search(r"```sh\n(.*?)```", text[text.index("## Install") :], re.S)
    assert block, "the VS Code guide's Install section has no sh block"
    return block.group(1)


def fresh_checkout(dest: Path) -> Path:
    """The files a clone of this checkout would have (tracked and new, nothing ignored: no
    node_modules, no build output), copied from the working tree so uncommitted work is tested."""
    listed = subprocess.run(
        ["git", "ls-files", "-z", "--cached", "--others", "--exclude-standard"],
        cwd=REPO,
        capture_output=True,
        check=True,
    ).stdout.decode()
    for name in filter(None, listed.split("\0")):
        source = REPO / name
        if source.is_file() and not source.is_symlink():
            target = dest / name
            target.parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(source, target)
    return dest


def run_driver(
    server: CodeServer, folder: Path, file: str, shots: Path, **options: str | bool
) -> dict[str, Any]:
    args = [
        str(NODE),
        str(DRIVER),
        "--url",
        server.url,
        "--folder",
        str(folder),
        "--file",
        file,
        "--shots",
        str(shots),
        "--playwright",
        str(PLAYWRIGHT),
        "--chromium",
        CHROMIUM,
    ]
    for key, value in options.items():
        flag = f"--{key.replace('_', '-')}"
        args += [flag] if value is True else [] if value is False else [flag, value]
    done = subprocess.run(args, capture_output=True, text=True, timeout=600, env=server.env)
    assert done.stdout.strip(), f"driver printed nothing: {done.stderr[-3000:]}"
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    if not result.get("ok"):
        raise AssertionError(
            f"{result.get('error')}\nsteps: {result.get('steps')}\ndriver log: {done.stderr[-2000:]}"
            f"\ncode-server log: {server.log.read_text()[-3000:]}"
        )
    return result


def completion_prompts(server: AnthropicTestServer) -> list[str]:
    return [
        "".join(
            block["text"]
            for message in r.body["messages"]
            if message["role"] == "user"
            for block in message["content"]
        )
        for r in server.messages_requests()
        if r.stream
    ]


KEY = "sk-ant-e2e-0123456789abcdef"


def model(request: RecordedRequest) -> Reply:
    """The model as the test needs it: refuses any key but KEY; completes "ret" to
    "return a + b" (and has nothing to add once it is there); asked to refactor with tools,
    proposes renaming add to plus."""
    if request.api_key != KEY:
        return Reply(status=401)
    body = json.dumps(request.body)
    if isinstance(request.body, dict) and request.body.get("tools"):
        edit = {"path": "calc.py", "old_text": "def add(a, b):", "new_text": "def plus(a, b):"}
        return Reply(
            text="",
            tool_calls=[
                {
                    "name": "propose_edits",
                    "input": {"summary": "rename add to plus", "edits": [edit]},
                }
            ],
        )
    return Reply(text="urn a + b" if "ret<<FILL>>" in body else "")


def test_fresh_install_key_ghost_text_tab_and_a_refactor(
    code_server: CodeServer, anthropic_server: AnthropicTestServer, tmp_path: Path
) -> None:
    anthropic_server.responder = model
    folder = tmp_path / "ws"
    folder.mkdir()
    (folder / "calc.py").write_text("def add(a, b):\n    ")
    # The guide's commands, in a fresh copy of the checkout, with code-server as `code`.
    checkout = fresh_checkout(tmp_path / "renga")
    code_server.code_command(tmp_path / "bin")
    env = {**code_server.env, "PATH": f"{tmp_path / 'bin'}{os.pathsep}{code_server.env['PATH']}"}
    built = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", guide_install_commands()],
        cwd=checkout,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert built.returncode == 0, f"{built.stdout[-3000:]}\n{built.stderr[-3000:]}"
    assert "EBADENGINE" not in built.stdout + built.stderr  # Node 22+ as the guide says
    code_server.settings(
        {
            "workbench.startupEditor": "none",
            "workbench.tips.enabled": False,
            "workbench.secondarySideBar.defaultVisibility": "hidden",  # the chat view
            "telemetry.telemetryLevel": "off",
            "extensions.autoCheckUpdates": False,
            "editor.quickSuggestions": {"other": False, "comments": False, "strings": False},
            "editor.fontFamily": "DejaVu Sans Mono",
            "renga.baseUrl": anthropic_server.base_url,
            "renga.completion.debounceMs": 20,
            "renga.logLevel": "debug",
            "renga.trace.server": "verbose",
        }
    )
    code_server.start(folder)
    shots = tmp_path / "shots"
    try:
        result = run_driver(
            code_server,
            folder,
            "calc.py",
            shots,
            type="ret",
            expect="return a + b",
            refactor="rename add to plus",
            refactor_expect="def plus(a, b):",
            install=True,
            key=KEY,
        )
    except AssertionError as exc:
        seen = [(r.path, r.status, r.text_sent) for r in anthropic_server.requests]
        raise AssertionError(f"{exc}\nmodel requests: {seen}") from None

    # Installed by the extension into its own environment, from the wheel in the .vsix.
    assert "not found" in result["notFoundMessage"]
    # code-server is a remote window: the message says where the server settings go there.
    assert "Remote settings" in result["notFoundMessage"], result["notFoundMessage"]
    venv = code_server.user_data / "User" / "globalStorage" / "renga.renga" / "server" / "venv"
    assert (venv / "bin" / "renga").is_file()
    # No key at first: the server said so, with a button to set one; then the key set through
    # the command reached the model service, on every request.
    assert result["keyButtonShown"]
    assert anthropic_server.messages_requests()
    assert {r.api_key for r in anthropic_server.requests} == {KEY}
    # Never written to the settings or a log (the renga output channel's file among them).
    written = [*code_server.user_data.rglob("logs/**/*"), *code_server.user_data.rglob("*.json")]
    assert any(f.name.endswith("renga.log") for f in written)
    leaked = [str(f) for f in written if f.is_file() and KEY.encode() in f.read_bytes()]
    assert leaked == [], f"the API key was written to {leaked}"
    # The renga log: server records at their own level with one timestamp (the channel's),
    # renga.logLevel debug shows debug records, renga.trace.server verbose shows the LSP
    # messages with their parameters, and no line per message from the transport.
    log = next(f for f in written if f.name.endswith("renga.log")).read_text()
    assert re.search(r"^\S+ \S+ \[info\] renga\.context\.index: index: ", log, re.M), log[-3000:]
    assert re.search(r"\[(debug|info)\] (\(debug\) )?renga[.\w]*: ", log), log[-3000:]
    assert not re.search(r"\d\d:\d\d:\d\d[.,]\d+ .*\d\d:\d\d:\d\d,\d{3} renga", log)
    assert re.search(
        r"Sending request 'textDocument/inlineCompletion - \(\d+\)'\.\nParams: \{", log
    )
    assert "Content length" not in log

    assert result["ghostText"] == "urn a + b"
    assert result["cursorBeforeAccept"] == "Ln 2, Col 8"
    # Tab inserted it: the line reads whole, the cursor is at its end, no ghost text is left.
    assert "def add(a, b):\n    return a + b" in result["textAfterAccept"]
    assert result["cursorAfterAccept"] == "Ln 2, Col 17"
    assert result["ghostAfterAccept"] == 0
    # The suggestion came from renga's model call, with the cursor's hole in the file.
    assert any("def add(a, b):\n    ret<<FILL>>" in p for p in completion_prompts(anthropic_server))
    # The refactor command asked for an instruction, renga's edit went through the preview.
    assert "def plus(a, b):\n    return a + b" in result["textAfterRefactor"]
    assert any(
        "rename add to plus" in json.dumps(r.body) for r in anthropic_server.messages_requests()
    )
    # The status bar item shows the server's state and today's spend, which followed the calls.
    assert result["statusReady"].endswith("renga $0.00")
    assert result["statusBar"] and result["statusBar"] != result["statusReady"], result["statusBar"]
    assert "renga <$0.01" in result["statusBar"] or "renga $0.0" in result["statusBar"]
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    for shot in shots.glob("*.png"):
        shutil.copy(shot, SCREENSHOTS / shot.name)
