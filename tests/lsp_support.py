"""End-to-end helpers: ``renga serve`` as a subprocess, driven by a pytest-lsp client with a real
editor's capabilities, its model traffic going to the Anthropic-compatible test server."""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Any

from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

SERVER_COMMAND = [sys.executable, "-m", "renga", "serve"]
PROFILES = ["visual_studio_code", "neovim"]


def server_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    """The server's environment: no real credentials, caches and ledgers inside the test's folder."""
    env = {
        k: v
        for k, v in os.environ.items()
        if not k.startswith(("ANTHROPIC_", "RENGA_", "AWS_", "CLOUD_ML_"))
    }
    env.update(
        XDG_CACHE_HOME=str(tmp_path / "cache"),
        XDG_DATA_HOME=str(tmp_path / "data"),
        XDG_CONFIG_HOME=str(tmp_path / "config"),
    )
    env.update(extra)
    return env


async def start_session(
    env: dict[str, str],
    profile: str,
    workspace: Path,
    initialization_options: dict[str, Any] | None = None,
) -> LanguageClient:
    client = await ClientServerConfig(server_command=SERVER_COMMAND, server_env=env).start()
    assert isinstance(client, LanguageClient)
    client.statuses = []  # type: ignore[attr-defined]

    @client.feature("renga/status")
    def on_status(params: Any) -> None:
        # pygls hands unknown notifications over as namedtuples
        as_dict = params._asdict() if hasattr(params, "_asdict") else params
        client.statuses.append(as_dict)  # type: ignore[attr-defined]

    client.registrations = []  # type: ignore[attr-defined]

    @client.feature(types.CLIENT_REGISTER_CAPABILITY)
    def on_register(params: types.RegistrationParams) -> None:
        # Real editors accept dynamic registrations (the file watcher); pytest-lsp's client has
        # no handler of its own.
        client.registrations.extend(params.registrations)  # type: ignore[attr-defined]

    client.init_result = await client.initialize_session(  # type: ignore[attr-defined]
        types.InitializeParams(
            capabilities=client_capabilities(profile),
            root_uri=workspace.as_uri(),
            workspace_folders=[types.WorkspaceFolder(uri=workspace.as_uri(), name="ws")],
            initialization_options=initialization_options,
        )
    )
    return client


def open_document(
    client: LanguageClient, path: Path, text: str, language_id: str = "python", version: int = 1
) -> str:
    path.write_text(text, encoding="utf-8")
    uri = path.as_uri()
    client.text_document_did_open(
        types.DidOpenTextDocumentParams(
            text_document=types.TextDocumentItem(
                uri=uri, language_id=language_id, version=version, text=text
            )
        )
    )
    return uri


def inline_params(
    uri: str,
    line: int,
    character: int,
    trigger: types.InlineCompletionTriggerKind = types.InlineCompletionTriggerKind.Invoked,
) -> types.InlineCompletionParams:
    return types.InlineCompletionParams(
        text_document=types.TextDocumentIdentifier(uri=uri),
        position=types.Position(line=line, character=character),
        context=types.InlineCompletionContext(trigger_kind=trigger),
    )


def items_of(result: Any) -> list[types.InlineCompletionItem]:
    if result is None:
        return []
    if isinstance(result, types.InlineCompletionList):
        return list(result.items)
    return list(result)
