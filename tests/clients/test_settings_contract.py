"""The editors offer exactly the settings the server reads: VS Code's contributed settings and the
LSP4IJ template's schema against renga.config (names, defaults, choices, lower bounds). A setting
added to the server without its editor entry, or the other way round, fails here."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from renga.config import CHOICES, MINIMUM, Settings, camel, to_wire

REPO = Path(__file__).resolve().parents[2]


def flatten(value: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, item in value.items():
        if isinstance(item, dict):
            out.update(flatten(item, f"{prefix}{key}."))
        else:
            out[f"{prefix}{key}"] = item
    return out


SERVER = flatten(to_wire(Settings()))


def wire(path: str) -> str:
    return ".".join(camel(p) for p in path.split("."))


def vscode_settings() -> dict[str, dict[str, Any]]:
    manifest = json.loads((REPO / "clients/vscode/package.json").read_text())
    properties = manifest["contributes"]["configuration"]["properties"]
    return {
        key.removeprefix("renga."): spec
        for key, spec in properties.items()
        if not key.startswith(("renga.server.", "renga.trace."))
    }


def jetbrains_settings() -> dict[str, dict[str, Any]]:
    schema = json.loads((REPO / "clients/jetbrains/settings.schema.json").read_text())

    def walk(node: dict[str, Any], prefix: str) -> dict[str, dict[str, Any]]:
        out: dict[str, dict[str, Any]] = {}
        for key, spec in node["properties"].items():
            if spec["type"] == "object":
                out.update(walk(spec, f"{prefix}{key}."))
            else:
                out[f"{prefix}{key}"] = spec
        return out

    return walk(schema["properties"]["renga"], "")


@pytest.mark.parametrize(
    "editor", [vscode_settings, jetbrains_settings], ids=["vscode", "jetbrains"]
)
def test_editor_settings_match_the_server(editor: Any) -> None:
    offered = editor()
    assert set(offered) == set(SERVER), {
        "missing in the editor": sorted(set(SERVER) - set(offered)),
        "unknown to the server": sorted(set(offered) - set(SERVER)),
    }
    for key, spec in offered.items():
        default = SERVER[key]
        # The editors show an empty string for "not set" (the server then uses the environment).
        assert spec["default"] == default, key
    for path, choices in CHOICES.items():
        assert offered[wire(path)]["enum"] == list(choices), path
    for path, minimum in MINIMUM.items():
        assert offered[wire(path)]["minimum"] == minimum, path
