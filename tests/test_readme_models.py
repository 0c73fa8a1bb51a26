"""The README's model documentation is a tested claim: the model settings and their defaults,
and the prices of "Why these models", match the server's settings and price table."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from renga.config import Settings, to_wire
from renga.model.catalog import price_of

README = (Path(__file__).resolve().parents[1] / "README.md").read_text(encoding="utf-8")


@pytest.mark.parametrize("name", list(to_wire(Settings())["models"]))
def test_every_model_setting_is_in_the_configuration_table_with_its_default(name: str) -> None:
    default = to_wire(Settings())["models"][name]
    row = re.search(rf"^\| `models\.{name}` \| `([^`]*)` \|", README, re.M)
    assert row, f"models.{name} is missing from the README's configuration table"
    shown = row.group(1)
    expected = (
        "[" + ", ".join(f'"{v}"' for v in default) + "]" if isinstance(default, list) else default
    )
    assert shown == expected


def test_why_these_models_prices_match_the_table() -> None:
    section = README.split("## Why these models", 1)[1].split("\n## ", 1)[0]
    rows = re.findall(
        r"^\| `(claude-[\w-]+)` \|[^|]*\| ([\d.]+) / ([\d.]+) \| ([\d.]+) / ([\d.]+) \|",
        section,
        re.M,
    )
    assert len(rows) >= 4
    for model, *prices in rows:
        p = price_of(model)
        assert [float(x) for x in prices] == [p.input, p.output, p.cache_write, p.cache_read], model
