"""The ``renga`` command as a user runs it: a subprocess, with and without credentials."""

from __future__ import annotations

import json
import os
import re
import shlex
import socket
import subprocess
import sys
from pathlib import Path

from anthropic_server import AnthropicTestServer, Reply

ROOT = Path(__file__).resolve().parents[1]
EXAMPLE = ROOT / "examples" / "stats.py"


def readme_try_it() -> list[str]:
    """The arguments of the README's "Try it" command (``renga complete FILE --line L ...``)."""
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    (command,) = re.findall(r"^\S*renga (complete .*)$", readme, re.M)
    args = shlex.split(command)
    args[1] = str(ROOT / args[1])  # the README runs it from the checkout
    return args


def run(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {
        k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "RENGA_", "AWS_"))
    }
    clean.update(env)
    return subprocess.run(
        [sys.executable, "-m", "renga", *args],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
        check=False,
    )


def test_version() -> None:
    result = run("--version")
    assert result.returncode == 0
    assert result.stdout.startswith("renga ")


def test_complete_prints_the_models_suggestion(anthropic_server: AnthropicTestServer) -> None:
    anthropic_server.enqueue(Reply(text="total = sum((v - m) ** 2 for v in values)"))
    result = run(
        *readme_try_it(),
        ANTHROPIC_API_KEY="test-key",
        ANTHROPIC_BASE_URL=anthropic_server.base_url,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == "total = sum((v - m) ** 2 for v in values)\n"
    prompt = str(anthropic_server.messages_requests()[0].body["messages"][0]["content"])
    assert "def variance" in prompt


def test_the_readmes_example_cursor_is_in_the_line_to_fill(tmp_path: Path) -> None:
    """The README's "Try it" cursor, as `renga context` shows the request: the hole is the blank
    line between `m = mean(values)` and the `return` that needs `total`."""
    (_, file, *position) = readme_try_it()
    result = context_at(tmp_path, Path(file), int(position[1]), int(position[3]))
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    text = "".join(b["text"] for b in body["messages"][0]["content"])
    lines = text.splitlines()
    (hole,) = [
        i for i, line in enumerate(lines) if line.endswith("<<FILL>>") and "Fill" not in line
    ]
    assert lines[hole] == "    <<FILL>>"
    assert lines[hole - 1] == "    m = mean(values)"
    assert lines[hole + 1] == "    return total / (len(values) - 1)"


def test_complete_without_a_key_says_exactly_what_is_missing() -> None:
    result = run(*readme_try_it())
    assert result.returncode == 3
    assert "ANTHROPIC_API_KEY" in result.stderr
    assert result.stdout == ""


def test_complete_without_a_key_answers_before_importing_the_sdk() -> None:
    """The key is checked first: the SDK (most of a second to import) is never loaded."""
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("ANTHROPIC_", "RENGA_"))}
    result = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "renga", *readme_try_it()],
        capture_output=True,
        text=True,
        env=clean,
        timeout=60,
        check=False,
    )
    assert result.returncode == 3, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()}
    assert "renga.cli" in imported or "renga.config" in imported  # -X importtime did report
    assert "anthropic" not in imported and "httpx2" not in imported and "httpx" not in imported


def test_complete_with_an_unreachable_service_names_its_url() -> None:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]  # closed once this block ends: nothing listens there
    url = f"http://127.0.0.1:{port}"
    result = run(*readme_try_it(), ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=url)
    assert result.returncode == 6, result.stderr
    assert url in result.stderr
    assert result.stdout == ""


def test_complete_reports_an_error_answer_with_its_own_exit_code(
    anthropic_server: AnthropicTestServer,
) -> None:
    anthropic_server.enqueue(Reply(status=401))
    result = run(
        *readme_try_it(),
        ANTHROPIC_API_KEY="wrong-key",
        ANTHROPIC_BASE_URL=anthropic_server.base_url,
    )
    assert result.returncode == 4, result.stderr
    assert anthropic_server.base_url in result.stderr and "401" in result.stderr


def test_help_describes_each_command_and_the_exit_codes() -> None:
    top = run("--help")
    assert top.returncode == 0
    assert "(later)" not in top.stdout
    for command in ("serve", "complete", "context", "doctor", "usage"):
        assert command in top.stdout
    complete = run("complete", "--help").stdout
    assert "Print the inline suggestion" in complete
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    codes = re.findall(r"^  (\d)  (.+)$", complete, re.M)
    assert [c for c, _ in codes] == ["0", "1", "2", "3", "4", "5", "6"]
    for code, meaning in codes:
        # The README's exit code table says the same, word for word.
        assert f"| {code} | {meaning} |" in readme, code


def test_complete_on_a_missing_file_is_a_clear_error(tmp_path: Path) -> None:
    result = run("complete", str(tmp_path / "nope.py"), "--line", "0", "--character", "0")
    assert result.returncode != 0
    assert "cannot read" in result.stderr


def test_doctor_without_a_key_reports_and_fails() -> None:
    result = run("doctor")
    assert result.returncode != 0
    for expected in (
        "ANTHROPIC_API_KEY",
        "bedrock",
        "vertex",
        "claude-haiku-4-5",
        "python: installed",
    ):
        assert expected in result.stdout


def test_doctor_with_a_key_checks_the_api_and_redacts_the_key(
    anthropic_server: AnthropicTestServer,
) -> None:
    key = "sk-ant-api03-SECRETSECRETSECRET-abcd"
    result = run("doctor", ANTHROPIC_API_KEY=key, ANTHROPIC_BASE_URL=anthropic_server.base_url)
    assert result.returncode == 0, result.stdout
    assert "count_tokens" in result.stdout
    assert "SECRETSECRETSECRET" not in result.stdout + result.stderr
    assert anthropic_server.requests[-1].path.startswith("/v1/messages/count_tokens")


def test_doctor_shows_each_roles_model_and_why_and_what_each_fast_model_would_cost(
    anthropic_server: AnthropicTestServer,
) -> None:
    from renga.model.catalog import Usage
    from renga.usage import Ledger

    ledger = Ledger()  # the user's ledger (XDG_DATA_HOME is the test's own)
    for _ in range(4):
        ledger.record("completion", Usage("claude-haiku-4-5", input_tokens=3000, output_tokens=40))
    ledger.close()
    result = run(
        "doctor",
        ANTHROPIC_API_KEY="sk-test",
        ANTHROPIC_BASE_URL=anthropic_server.base_url,
        RENGA_SMART_MODEL="claude-sonnet-4-5",
    )
    assert result.returncode == 0, result.stdout
    out = result.stdout
    assert "smart role: claude-sonnet-5-5  [successor]" in out
    assert "claude-sonnet-4-5: skipped: retired on 2026-11-30" in out
    assert "claude-sonnet-4-6: usable; deprecated, retires 2027-02-17" in out
    reach = out.split("Models this key can reach (Models API):")[1]
    assert "claude-haiku-5-5 (active): $0.1 in / $0.5 out" in reach
    assert "claude-sonnet-4-5" not in reach.split("\n\n")[0]  # retired: not reachable
    # 4 calls of 3,000 + 40 tokens: $0.0128 on Haiku 4.5; on Haiku 5.5 a tenth of the price
    # for 1.3 times the tokens.
    assert "claude-haiku-4-5: $0.0128 for your 4 calls" in out
    assert "claude-haiku-5-5: $0.0017 for your 4 calls" in out


def _project(tmp_path: Path) -> tuple[Path, Path]:
    project = tmp_path / "proj"
    (project / ".git").mkdir(parents=True)
    (project / "pkg").mkdir()
    (project / "pkg" / "shapes.py").write_text(
        'def area_of(shape: "Shape") -> float:\n    """The area in square units."""\n'
        "    return shape.w * shape.h\n",
        encoding="utf-8",
    )
    methods = "".join(f"    def m{i}(self, v):\n        return v + {i}\n\n" for i in range(500))
    main = project / "pkg" / "main.py"
    main.write_text(
        "import math\n\n\nclass Renderer(object):\n"
        + methods
        + "    def paint(self, shape):\n        a = area_of(shape)\n        \n",
        encoding="utf-8",
    )
    return project, main


def context_at(
    tmp_path: Path, path: Path, line: int, character: int, *extra: str
) -> subprocess.CompletedProcess[str]:
    """``renga context`` at a cursor, with a cache folder of the test's own."""
    return run(
        "context",
        str(path),
        "--line",
        str(line),
        "--character",
        str(character),
        *extra,
        XDG_CACHE_HOME=str(tmp_path / "cache"),
    )


def test_context_prints_the_request_body_offline(tmp_path: Path) -> None:
    _, main = _project(tmp_path)
    last = main.read_text("utf-8").count("\n") - 1
    result = context_at(tmp_path, main, last, 8)
    assert result.returncode == 0, result.stderr
    body = json.loads(result.stdout)
    assert body["model"] == "claude-haiku-4-5"
    assert body["stop_sequences"] == ["</fill>"] and body["max_tokens"] == 256
    assert body["messages"][-1] == {"role": "assistant", "content": "<fill>"}
    text = "\n".join(b["text"] for b in body["messages"][0]["content"])
    assert "<<FILL>>" in text


def test_context_json_shows_scopes_imports_and_cross_file_definitions(tmp_path: Path) -> None:
    project, main = _project(tmp_path)
    last = main.read_text("utf-8").count("\n") - 1
    result = context_at(tmp_path, main, last, 8, "--json", "--root", str(project))
    assert result.returncode == 0, result.stderr
    out = json.loads(result.stdout)
    meta = out["meta"]
    assert meta["language"] == "python"
    by_kind = {s["kind"]: s for s in meta["sections"]}
    assert {"scope", "imports", "definition", "window"} <= set(by_kind)
    assert by_kind["definition"]["source"] == "pkg/shapes.py:1"
    assert all(s["tokens"] > 0 for s in meta["sections"])
    assert meta["estimated_input_tokens"] >= sum(s["tokens"] for s in meta["sections"])
    text = "\n".join(b["text"] for b in out["request"]["messages"][0]["content"])
    assert "class Renderer(object):\n    def paint(self, shape):" in text
    assert 'def area_of(shape: "Shape") -> float:\n    """The area in square units."""' in text


def test_context_on_a_line_outside_the_file_is_a_clear_error(tmp_path: Path) -> None:
    _, main = _project(tmp_path)
    result = context_at(tmp_path, main, 99999, 0)
    assert result.returncode == 2
    assert "outside the file" in result.stderr


def test_context_of_an_excluded_file_says_so_and_prints_nothing_from_it(tmp_path: Path) -> None:
    project, _ = _project(tmp_path)
    secret = project / ".env"
    secret.write_text("DATABASE_URL=postgres://admin:hunter2@db/prod\nAPI=\n", "utf-8")
    result = context_at(tmp_path, secret, 1, 4, "--json")
    assert result.returncode == 5
    assert "excluded" in result.stderr
    assert "hunter2" not in result.stdout + result.stderr
    assert result.stdout == ""


def test_context_shows_secrets_redacted_as_they_would_be_sent(tmp_path: Path) -> None:
    _, main = _project(tmp_path)
    key = "sk-ant-api03-" + "Q" * 93 + "AA"
    main.write_text(main.read_text("utf-8") + f'TOKEN = "{key}"\n', "utf-8")
    last = main.read_text("utf-8").count("\n") - 1
    result = context_at(tmp_path, main, last, 0)
    assert result.returncode == 0, result.stderr
    assert key not in result.stdout
    assert "[REDACTED:" in result.stdout
