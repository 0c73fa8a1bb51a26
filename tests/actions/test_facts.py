"""Every language's action facts are readable and usable."""

from __future__ import annotations

import pytest

from renga.actions.facts import ActionFacts, facts_of
from renga.syntax.languages import registry

NAMES = sorted(registry().specs)


@pytest.mark.parametrize("name", NAMES)
def test_test_file_patterns_name_the_source(name: str) -> None:
    language = registry().get(name)
    facts = facts_of(language)
    if facts.test_file:
        assert "{stem}" in facts.test_file
        assert facts.test_file.format(stem="area", ext=".x").startswith(("area", "test_area"))
    assert all(not folder.startswith("/") for folder in facts.test_folders)


def test_the_facts_table_says_what_python_and_go_do() -> None:
    python = facts_of(registry().get("python"))
    assert python.test_folders[0] == "tests" and python.async_keyword == "async"
    go = facts_of(registry().get("go"))
    assert go.test_folders == () and go.async_keyword == ""


def test_no_language_means_no_facts() -> None:
    assert facts_of(None) == ActionFacts()
