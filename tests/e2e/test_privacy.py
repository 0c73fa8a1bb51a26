"""Privacy and cost control end to end: a live ``renga serve``, a client with an editor's
capabilities, and the test server recording exactly what would have reached the model service."""

from __future__ import annotations

import asyncio
import json
import shlex
import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
import pytest_asyncio
from lsprotocol import types
from pytest_lsp import LanguageClient

import lsp_support
from anthropic_server import AnthropicTestServer, Reply
from lsp_support import inline_params, items_of, open_document, server_env, start_session

PROFILE = "visual_studio_code"
OPENAI_KEY = "sk-proj-" + "Q7vXk2Lm9PzR4tYw" * 5 + "T3BlbkFJ" + "bN3cD8eF1gH6jK0m" * 4
DB_PASSWORD = "pg-Pr0d-Passw0rd-77"
ENV_TEXT = f"OPENAI_API_KEY={OPENAI_KEY}\nDATABASE_URL=postgres://app:{DB_PASSWORD}@db:5432/app\n"


def sent_text(server: AnthropicTestServer) -> str:
    """Everything the server was sent, bodies and headers, as one string to search."""
    return "\n".join(
        json.dumps(r.body) + json.dumps(r.headers) for r in server.requests if r.body is not None
    )


async def start(
    server: AnthropicTestServer,
    workspace: Path,
    tmp_path: Path,
    options: dict[str, Any] | None = None,
    **env: str,
) -> LanguageClient:
    environment = server_env(
        tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL=server.base_url, **env
    )
    return await start_session(environment, PROFILE, workspace, initialization_options=options)


@pytest_asyncio.fixture
async def client(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> AsyncIterator[LanguageClient]:
    (workspace / ".gitignore").write_text("build/\n")
    (workspace / ".rengaignore").write_text("notes/\n")
    options = {"privacy": {"exclude": ["*.secret.py"]}}
    session = await start(anthropic_server, workspace, tmp_path, options)
    yield session
    await session.shutdown_session()


@pytest.mark.parametrize(
    "name",
    [".env", ".env.production", "build/generated.py", "notes/todo.py", "keys.secret.py"],
)
async def test_an_excluded_file_gets_no_completion_and_is_never_sent(
    client: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path, name: str
) -> None:
    path = workspace / name
    path.parent.mkdir(parents=True, exist_ok=True)
    anthropic_server.enqueue(Reply(text="return a + b"))
    uri = open_document(client, path, ENV_TEXT, language_id="python")
    for line, character in ((2, 0), (0, 5)):
        result = await client.text_document_inline_completion_async(
            inline_params(uri, line, character)
        )
        assert items_of(result) == []
    assert anthropic_server.messages_requests() == []
    # An ordinary file next to it completes, and nothing of the excluded one goes with it.
    main = open_document(client, workspace / "main.py", "def add(a, b):\n    \n")
    result = await client.text_document_inline_completion_async(inline_params(main, 1, 4))
    assert [i.insert_text for i in items_of(result)] == ["return a + b"]
    sent = sent_text(anthropic_server)
    assert "def add(a, b):" in sent
    assert OPENAI_KEY not in sent and DB_PASSWORD not in sent and "DATABASE_URL" not in sent


LINKED_CANARY = "LinkedCanary_4417"
OUTSIDE_CANARY = "OutsideCanary_9023"


async def test_a_link_to_an_ignored_file_or_out_of_the_workspace_is_never_read(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    (workspace / ".gitignore").write_text("local_settings.py\n")
    (workspace / "local_settings.py").write_text(
        f'def linked_setting():\n    """{LINKED_CANARY}"""\n    return 1\n'
    )
    outside = tmp_path / "outside"
    outside.mkdir()
    (outside / "shared.py").write_text(
        f'def outside_helper():\n    """{OUTSIDE_CANARY}"""\n    return 2\n'
    )
    (workspace / "settings_link.py").symlink_to(workspace / "local_settings.py")
    (workspace / "shared.py").symlink_to(outside / "shared.py")
    (workspace / "visible.py").write_text("def visible_helper():\n    return 3\n")
    session = await start(anthropic_server, workspace, tmp_path)
    try:
        # The index is built (an ordinary file's symbol is found); the links' symbols are not.
        deadline = time.monotonic() + 30
        query = types.WorkspaceSymbolParams(query="visible_helper")
        while not await session.workspace_symbol_async(query):
            assert time.monotonic() < deadline, "the index was never built"
            await asyncio.sleep(0.1)
        for name in ("linked_setting", "outside_helper"):
            found = await session.workspace_symbol_async(types.WorkspaceSymbolParams(query=name))
            assert not found, found
        # Opened in the editor through the links: no completion, nothing sent.
        for name in ("settings_link.py", "shared.py"):
            text = (workspace / name).read_text()
            uri = open_document(session, workspace / name, text + "\n")
            result = await session.text_document_inline_completion_async(
                inline_params(uri, text.count("\n"), 0)
            )
            assert items_of(result) == []
        assert anthropic_server.messages_requests() == []
        # A file that uses both names completes, and nothing behind the links goes with it.
        anthropic_server.enqueue(Reply(text="return total"))
        main = open_document(
            session,
            workspace / "main.py",
            "from settings_link import linked_setting\nfrom shared import outside_helper\n\n"
            "def total():\n    x = linked_setting() + outside_helper() + visible_helper()\n    \n",
        )
        result = await session.text_document_inline_completion_async(inline_params(main, 5, 4))
        assert [i.insert_text for i in items_of(result)] == ["return total"]
    finally:
        await session.shutdown_session()
    sent = sent_text(anthropic_server)
    assert "linked_setting() + outside_helper()" in sent
    assert LINKED_CANARY not in sent and OUTSIDE_CANARY not in sent


# Files renga has no grammar for are still text: completed as plain text, redacted the same.
PLAIN_FILES = {
    "Dockerfile": "FROM python:3.12\nARG NPM_TOKEN=npm_Q7vXk2Lm9PzR4tYwbN3cD8eF1gH6jK0mAbCd\n"
    "ENV DB_PASSWORD=pg-Pr0d-Passw0rd-77\nRUN ",
    "deploy.yaml": "env:\n  - name: DB_PASSWORD\n    value: pg-Pr0d-Passw0rd-77\n"
    "  - GITLAB_TRIGGER=glptt-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567\nimage: ",
    "app.properties": "spring.datasource.password=pg-Pr0d-Passw0rd-77\n"
    "mailchimp.key=3f2a9c0d1e4b5a6f7c8d9e0f1a2b3c4d-us21\nserver.port=",
}
PLAIN_SECRETS = [
    "npm_Q7vXk2Lm9PzR4tYwbN3cD8eF1gH6jK0mAbCd",
    "pg-Pr0d-Passw0rd-77",
    "glptt-0a1b2c3d4e5f60718293a4b5c6d7e8f901234567",
    "3f2a9c0d1e4b5a6f7c8d9e0f1a2b3c4d-us21",
]


@pytest.mark.parametrize("name", sorted(PLAIN_FILES))
async def test_secrets_in_a_file_without_a_grammar_are_redacted_too(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path, name: str
) -> None:
    session = await start(
        anthropic_server, workspace, tmp_path, {"completion": {"plainText": True}}
    )
    try:
        anthropic_server.enqueue(Reply(text="8080"))
        text = PLAIN_FILES[name]
        uri = open_document(session, workspace / name, text, language_id="plaintext")
        lines = text.split("\n")
        result = await session.text_document_inline_completion_async(
            inline_params(uri, len(lines) - 1, len(lines[-1]))
        )
        assert [i.insert_text for i in items_of(result)] == ["8080"]
    finally:
        await session.shutdown_session()
    sent = sent_text(anthropic_server)
    assert "[REDACTED:" in sent and "<<FILL>>" in sent
    assert [s for s in PLAIN_SECRETS if s in sent] == []


SOURCE = (
    "import openai\n\n"
    f'client = openai.OpenAI(api_key="{OPENAI_KEY}")\n'
    f'DATABASE_URL = "postgresql://app:{DB_PASSWORD}@db.internal:5432/app"\n\n\n'
    "def connect():\n    \n"
)


async def test_a_secret_in_an_ordinary_file_is_redacted_before_it_is_sent(
    client: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text="return psycopg.connect(DATABASE_URL)"))
    uri = open_document(client, workspace / "app.py", SOURCE)
    result = await client.text_document_inline_completion_async(inline_params(uri, 7, 4))
    assert [i.insert_text for i in items_of(result)] == ["return psycopg.connect(DATABASE_URL)"]
    (request,) = anthropic_server.messages_requests()
    sent = json.dumps(request.body)
    assert OPENAI_KEY not in sent and DB_PASSWORD not in sent
    assert 'api_key=\\"[REDACTED:openai]\\"' in sent
    assert "postgresql://app:[REDACTED:url-password]@db.internal:5432/app" in sent
    assert "def connect():" in sent  # the code around the secrets is still there


async def test_a_completion_that_echoes_a_redaction_marker_is_not_shown(
    client: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    anthropic_server.enqueue(Reply(text='key = "[REDACTED:openai]"'))
    uri = open_document(client, workspace / "app.py", SOURCE)
    result = await client.text_document_inline_completion_async(inline_params(uri, 7, 4))
    assert len(anthropic_server.messages_requests()) == 1
    assert items_of(result) == []


async def test_redaction_can_be_switched_off(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    session = await start(
        anthropic_server, workspace, tmp_path, {"privacy": {"redactSecrets": False}}
    )
    try:
        anthropic_server.enqueue(Reply(text="pass"))
        uri = open_document(session, workspace / "app.py", SOURCE)
        await session.text_document_inline_completion_async(inline_params(uri, 7, 4))
        assert OPENAI_KEY in json.dumps(anthropic_server.messages_requests()[0].body)
    finally:
        await session.shutdown_session()


async def test_the_daily_cap_pauses_completions_with_one_message(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    # The first completion spends a fraction of a cent: over this cap, so the rest pause.
    session = await start(anthropic_server, workspace, tmp_path, {"cost": {"dailyCapUsd": 1e-6}})
    try:
        anthropic_server.enqueue(*[Reply(text="return a + b") for _ in range(5)])
        uri = open_document(session, workspace / "main.py", "def add(a, b):\n    \n")
        first = await session.text_document_inline_completion_async(inline_params(uri, 1, 4))
        assert [i.insert_text for i in items_of(first)] == ["return a + b"]
        # Elsewhere (where no remembered suggestion applies: those cost nothing and still show),
        # no model call is made while the cap holds.
        other = open_document(session, workspace / "other.py", "def sub(a, b):\n    \n")
        for _ in range(4):
            later = await session.text_document_inline_completion_async(inline_params(other, 1, 4))
            assert items_of(later) == []
        assert len(anthropic_server.messages_requests()) == 1
        capped = [m.message for m in session.messages if "daily cap" in m.message]
        assert len(capped) == 1, session.messages
        assert "cost.dailyCapUsd" in capped[0]
        statuses = session.statuses  # type: ignore[attr-defined]
        warnings = [s for s in statuses if s["state"] == "warning"]
        assert len(warnings) == 1 and "daily cap" in warnings[0]["message"]
        assert warnings[0]["spendTodayUsd"] > 0
        # Raising the cap resumes completions at once.
        session.workspace_did_change_configuration(
            types.DidChangeConfigurationParams(settings={"renga": {"cost": {"dailyCapUsd": 50}}})
        )
        resumed = await session.text_document_inline_completion_async(inline_params(uri, 1, 4))
        assert [i.insert_text for i in items_of(resumed)] == ["return a + b"]
        assert statuses[-1]["state"] == "ready"
    finally:
        await session.shutdown_session()


async def test_the_cap_holds_across_a_restart(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    options = {"cost": {"dailyCapUsd": 1e-6}}
    anthropic_server.enqueue(*[Reply(text="return a + b") for _ in range(3)])
    for expected in (["return a + b"], []):
        session = await start(anthropic_server, workspace, tmp_path, options)
        try:
            uri = open_document(session, workspace / "main.py", "def add(a, b):\n    \n")
            result = await session.text_document_inline_completion_async(inline_params(uri, 1, 4))
            assert [i.insert_text for i in items_of(result)] == expected
        finally:
            await session.shutdown_session()
    assert len(anthropic_server.messages_requests()) == 1


KEY = "sk-ant-api03-" + "LogLeakCanary0" * 6 + "AA"
MARKER = "prompt_marker_visible_only_at_trace"


@pytest.mark.parametrize("level", ["debug", "trace"])
async def test_the_key_is_never_logged_and_prompts_only_at_trace(
    anthropic_server: AnthropicTestServer,
    workspace: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    level: str,
) -> None:
    log = tmp_path / "server.log"
    command = " ".join(shlex.quote(a) for a in lsp_support.SERVER_COMMAND)
    monkeypatch.setattr(
        lsp_support, "SERVER_COMMAND", ["sh", "-c", f"exec {command} 2>{shlex.quote(str(log))}"]
    )
    env = server_env(
        tmp_path,
        ANTHROPIC_API_KEY=KEY,
        ANTHROPIC_BASE_URL=anthropic_server.base_url,
        RENGA_LOG_LEVEL=level,
    )
    session = await start_session(env, PROFILE, workspace)
    try:
        anthropic_server.enqueue(
            Reply(text="return 1"),
            Reply(status=401, error_message="invalid x-api-key"),
            Reply(status=500),
        )
        text = f"def {MARKER}():\n    token = '{OPENAI_KEY}'\n    \n"
        uri = open_document(session, workspace / "m.py", text)
        for _ in range(3):
            await session.text_document_inline_completion_async(inline_params(uri, 2, 4))
    finally:
        await session.shutdown_session()
    assert anthropic_server.messages_requests()[0].api_key == KEY  # the key was used ...
    logged = log.read_text()
    assert KEY not in logged and KEY[:20] not in logged  # ... and never logged
    assert OPENAI_KEY not in logged
    assert "completion stages (ms): " in logged  # debug lines are there
    if level == "trace":
        assert MARKER in logged  # the prompt, redacted
        assert "[REDACTED:openai]" in logged
    else:
        assert MARKER not in logged


async def test_usage_and_stage_timings_are_persisted_in_the_user_data_directory(
    anthropic_server: AnthropicTestServer, workspace: Path, tmp_path: Path
) -> None:
    anthropic_server.enqueue(*[Reply(text="return a + b", ttft=0.05) for _ in range(2)])
    for _ in range(2):  # two server lifetimes
        session = await start(anthropic_server, workspace, tmp_path)
        try:
            uri = open_document(session, workspace / "main.py", "def add(a, b):\n    \n")
            await session.text_document_inline_completion_async(inline_params(uri, 1, 4))
            usage = await session.workspace_execute_command_async(
                types.ExecuteCommandParams(command="renga.usage")
            )
        finally:
            await session.shutdown_session()
    # server_env points XDG_DATA_HOME at tmp_path/data.
    assert usage["ledger"] == str(tmp_path / "data" / "renga" / "usage.sqlite3")
    assert usage["session"]["completion"]["calls"] == 1
    today = usage["periods"]["today"]
    assert today["byFeature"]["completion"]["calls"] == 2
    assert today["acceptance"]["python"]["shown"] == 2
    stages = today["timings"]["completion"]
    assert stages["first_token"]["count"] == 2 and stages["first_token"]["median"] >= 50
    assert stages["total"]["median"] >= stages["first_token"]["median"]
    assert "| completion | first_token | 2 |" in usage["markdown"]
