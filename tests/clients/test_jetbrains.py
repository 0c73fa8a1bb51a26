"""The LSP4IJ template (clients/jetbrains): valid JSON in LSP4IJ's template format, a file mapping
for every language renga has a grammar for, and a command that starts the server, which answers
``initialize`` and accepts the template's settings and initialization options without a warning."""

from __future__ import annotations

import asyncio
import json
import os
import shlex
import shutil
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest
from lsprotocol import types
from pytest_lsp import ClientServerConfig, LanguageClient, client_capabilities

from lsp_support import server_env
from renga.config import ENV, snake

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / "clients" / "jetbrains"
# What LSP4IJ reads from a custom template folder; only template.json is required.
KNOWN_FILES = {
    "template.json",
    "settings.json",
    "settings.schema.json",
    "initializationOptions.json",
    "clientSettings.json",
    "README.md",
}
TEMPLATE_KEYS = {
    "id",
    "name",
    "programArgs",
    "languageMappings",
    "fileTypeMappings",
    "expandConfiguration",
    "env",
    "workingDir",
    "description",
}


def load(name: str) -> Any:
    return json.loads((TEMPLATE / name).read_text(encoding="utf-8"))


def test_the_folder_holds_only_what_lsp4ij_reads_and_all_json_parses() -> None:
    names = {p.name for p in TEMPLATE.iterdir()}
    assert "template.json" in names
    assert names <= KNOWN_FILES, names - KNOWN_FILES
    for name in names - {"README.md"}:
        load(name)  # raises on invalid JSON


def test_template_json_has_lsp4ij_shape() -> None:
    template = load("template.json")
    assert set(template) <= TEMPLATE_KEYS, set(template) - TEMPLATE_KEYS
    assert isinstance(template["id"], str) and isinstance(template["name"], str)
    assert set(template["programArgs"]) <= {"default", "windows", "mac", "unix"}
    assert all(isinstance(v, str) for v in template["programArgs"].values())
    for mapping in template["fileTypeMappings"]:
        assert set(mapping) == {"fileType", "languageId"}
        assert set(mapping["fileType"]) <= {"name", "patterns"}
        assert all(p.startswith("*.") for p in mapping["fileType"]["patterns"])


def test_every_grammar_language_is_mapped_by_its_extensions() -> None:
    mapped = {
        pattern: m["languageId"]
        for m in load("template.json")["fileTypeMappings"]
        for pattern in m["fileType"]["patterns"]
    }
    for toml in sorted((REPO / "grammars").glob("*/language.toml")):
        spec = tomllib.loads(toml.read_text())
        for ext in spec["extensions"]:
            assert mapped.get(f"*{ext}") in spec["language_ids"], (toml.parent.name, ext)


def test_settings_follow_their_schema() -> None:
    schema = load("settings.schema.json")["properties"]["renga"]

    def check(value: dict[str, Any], node: dict[str, Any], path: str) -> None:
        for key, item in value.items():
            assert key in node["properties"], f"{path}{key} is not in settings.schema.json"
            spec = node["properties"][key]
            if spec["type"] == "object":
                check(item, spec, f"{path}{key}.")
            else:
                kinds = {
                    "string": str,
                    "boolean": bool,
                    "integer": int,
                    "number": (int, float),
                    "array": list,
                }
                assert isinstance(item, kinds[spec["type"]]), f"{path}{key}"
                if "enum" in spec:
                    assert item in spec["enum"]

    check(load("settings.json")["renga"], schema, "renga.")


def test_shipped_settings_leave_every_environment_variable_in_force() -> None:
    """LSP4IJ answers workspace/configuration from settings.json, and editor settings win over
    the environment: a key shipped there would silently override what the README tells users to
    export (RENGA_FAST_MODEL, RENGA_DEBOUNCE_MS, RENGA_DAILY_CAP_USD, ...)."""

    def paths(value: dict[str, Any], prefix: str = "") -> list[str]:
        found = []
        for key, item in value.items():
            path = prefix + snake(key)
            found += paths(item, path + ".") if isinstance(item, dict) else [path]
        return found

    shipped = set(paths(load("settings.json")["renga"]))
    assert shipped, "settings.json ships no settings at all"
    assert not shipped & set(ENV.values()), shipped & set(ENV.values())


def test_the_guides_say_how_to_give_the_key_and_what_is_tested() -> None:
    # Words, whatever the line breaks.
    guide = " ".join((TEMPLATE / "README.md").read_text(encoding="utf-8").split())
    assert "**Environment variables**: `ANTHROPIC_API_KEY=" in guide
    assert "No JetBrains IDE runs in the tests" in guide
    readme = " ".join((REPO / "README.md").read_text(encoding="utf-8").split())
    assert "All three are tested in the real editor" not in readme
    assert "no IDE runs in the tests" in readme


async def test_the_template_command_starts_renga_and_it_accepts_the_template_settings(
    tmp_path: Path,
) -> None:
    command = shlex.split(load("template.json")["programArgs"]["default"])
    env = server_env(
        tmp_path, ANTHROPIC_API_KEY="test-key", ANTHROPIC_BASE_URL="http://127.0.0.1:9"
    )
    # The IDE finds `renga` on PATH: here, the one this virtual environment installed.
    env["PATH"] = f"{Path(sys.executable).parent}{os.pathsep}{env.get('PATH', '')}"
    executable = shutil.which(command[0], path=env["PATH"])
    if executable is None:
        pytest.fail(f"{command[0]} is not on PATH: pip install -e . installs it")
    client = await ClientServerConfig(
        server_command=[executable, *command[1:]], server_env=env
    ).start()
    assert isinstance(client, LanguageClient)
    # LSP4IJ answers the server's workspace/configuration request from settings.json.
    client.set_configuration(load("settings.json"))
    statuses: list[Any] = []

    @client.feature("renga/status")
    def status(params: Any) -> None:
        statuses.append(params._asdict() if hasattr(params, "_asdict") else params)

    try:
        result = await client.initialize_session(
            types.InitializeParams(
                capabilities=client_capabilities("visual_studio_code"),
                root_uri=tmp_path.as_uri(),
                initialization_options=load("initializationOptions.json"),
                client_info=types.ClientInfo(name="LSP4IJ test"),
            )
        )
        assert result.server_info is not None and result.server_info.name == "renga"
        assert result.capabilities.inline_completion_provider is not None
        # After `initialized` the server pulls the settings, then says it is ready.
        for _ in range(200):
            if statuses:
                break
            await asyncio.sleep(0.05)
        assert statuses and statuses[-1]["state"] == "ready", statuses
        messages = [
            m.message for m in client.messages
        ]  # window/showMessage, as pytest-lsp keeps them
        assert not [m for m in messages if "invalid" in m], messages
    finally:
        await client.shutdown_session()
