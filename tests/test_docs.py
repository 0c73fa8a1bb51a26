"""The install path the guides give, as a new user runs it: every guide has the same commands,
none installs from the package index (renga is not there), and the commands, run word for word
from a ``git clone`` of this repository into a fresh home folder, give a working ``renga``."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from anthropic_server import AnthropicTestServer, Reply

REPO = Path(__file__).resolve().parents[1]
# The root README and every editor guide this repository ships, except VS Code's, whose
# extension installs the server itself (its own tests cover that).
GUIDES = ["README.md", "clients/neovim/README.md", "clients/jetbrains/README.md"]
CLONE_URL = "<this repository's URL>"
INSTALLED = ".local/share/renga/venv/bin/renga"


def sh_blocks(markdown: str) -> list[str]:
    """The ``sh`` fenced blocks of a Markdown text (also indented ones, in list items)."""
    blocks = []
    for match in re.finditer(r"^( *)```sh\n(.*?)^\1```", markdown, re.M | re.S):
        indent = len(match.group(1))
        blocks.append("".join(line[indent:] for line in match.group(2).splitlines(True)))
    return blocks


def install_blocks(guide: str) -> list[str]:
    text = (REPO / guide).read_text(encoding="utf-8")
    return [block for block in sh_blocks(text) if "pip install" in block]


def test_every_guide_installs_with_the_same_commands() -> None:
    reference = install_blocks("README.md")[0]
    assert reference.startswith(f"git clone {CLONE_URL} ")
    assert "bin/pip install .\n" in reference
    for guide in GUIDES:
        blocks = install_blocks(guide)
        assert blocks, f"{guide} has no install commands"
        for block in blocks:
            assert block == reference, f"{guide} installs differently:\n{block}"


def test_nothing_tells_users_to_install_from_the_package_index() -> None:
    tracked = subprocess.run(
        ["git", "ls-files"], cwd=REPO, capture_output=True, text=True, check=False
    ).stdout.split()
    if not tracked:
        pytest.skip("not a git checkout")
    offenders = []
    for name in tracked:
        if name == "pyproject.toml":
            continue
        path = REPO / name
        if path.suffix not in {".md", ".py", ".lua", ".json", ".ts", ".sh", ""}:
            continue
        try:
            text = path.read_text(encoding="utf-8")
        except (UnicodeDecodeError, IsADirectoryError, FileNotFoundError):
            continue
        if re.search(r"pip install[^\n`]*renga-lsp", text) and name != "tests/test_docs.py":
            offenders.append(name)
    assert offenders == []


def test_the_install_commands_work_from_a_fresh_clone(
    tmp_path: Path, anthropic_server: AnthropicTestServer
) -> None:
    """The README's install block, run by bash in a home folder of its own; then the README's
    "Try it" command, without a key (a clear message) and with one (the model's suggestion)."""
    if not (REPO / ".git").exists() or shutil.which("git") is None:
        pytest.skip("needs a git checkout and git")
    home = tmp_path / "home"
    home.mkdir()
    cache = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "RENGA_", "VIRTUAL_"))
    }
    env.update(
        HOME=str(home),
        # The pip cache of the user running the tests: the install resolves the same wheels.
        PIP_CACHE_DIR=os.environ.get("PIP_CACHE_DIR") or str(cache / "pip"),
        PIP_DISABLE_PIP_VERSION_CHECK="1",
        XDG_DATA_HOME=str(home / ".local" / "share"),
    )
    # Not this virtual environment's bin/: the commands must not lean on an activated venv.
    env["PATH"] = (
        os.pathsep.join(
            p
            for p in env.get("PATH", "").split(os.pathsep)
            if p and not Path(p).parent.joinpath("pyvenv.cfg").exists()
        )
        or "/usr/bin:/bin"
    )
    (install,) = install_blocks("README.md")[:1]
    script = install.replace(CLONE_URL, str(REPO))
    result = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", script],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert result.returncode == 0, result.stderr[-3000:]
    renga = home / INSTALLED
    assert renga.exists(), f"the install did not put renga at ~/{INSTALLED}"

    readme = (REPO / "README.md").read_text(encoding="utf-8")
    (try_it,) = [b for b in sh_blocks(readme) if "renga complete" in b]
    assert try_it.startswith(f"~/{INSTALLED} complete ")
    command = ["bash", "-c", try_it]
    checkout = home / ".local/share/renga/src"
    without_key = subprocess.run(
        command, cwd=checkout, env=env, capture_output=True, text=True, timeout=60, check=False
    )
    assert without_key.returncode == 3, without_key.stderr
    assert "ANTHROPIC_API_KEY" in without_key.stderr and without_key.stdout == ""

    anthropic_server.default_reply = Reply(text="total = sum((v - m) ** 2 for v in values)")
    with_key = subprocess.run(
        command,
        cwd=checkout,
        env={
            **env,
            "ANTHROPIC_API_KEY": "test-key",
            "ANTHROPIC_BASE_URL": anthropic_server.base_url,
        },
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert with_key.returncode == 0, with_key.stderr
    assert with_key.stdout == "total = sum((v - m) ** 2 for v in values)\n"
    (request,) = anthropic_server.messages_requests()
    assert request.api_key == "test-key"
