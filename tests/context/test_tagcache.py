"""Incremental tags equal a full extraction after any edit, and cost far less."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from renga.context.tagcache import TagCache, diff
from renga.syntax.document import Document, Edit
from renga.syntax.languages import registry
from renga.syntax.tags import FileTags, extract

GRAMMARS = Path(__file__).resolve().parents[2] / "grammars"
FIXTURES = sorted(p for p in GRAMMARS.glob("*/tests/fixture.*"))

PIECES = [
    "x",
    "\n",
    "    ",
    "def g(a):\n    return a\n",
    "class K:\n    pass\n",
    ")",
    "(",
    '"',
    "# c\n",
    "",
]


def _key(tags: FileTags) -> tuple[list[object], list[object]]:
    return (
        sorted(
            (d.start, d.end, d.name, d.kind, d.header_end, d.body, d.doc, d.line)
            for d in tags.definitions
        ),
        sorted(tags.imports),
    )


def test_diff_finds_the_one_changed_span() -> None:
    assert diff(b"abcdef", b"abcdef") is None
    change = diff(b"abcdef", b"abXYdef")
    assert change is not None
    assert (change.start, change.old_end, change.new_end) == (2, 3, 4)
    change = diff(b"aaaa", b"aaaaa")
    assert change is not None and change.new_end - change.start == 1


@pytest.mark.parametrize("seed", range(6))
@pytest.mark.parametrize("fixture", FIXTURES, ids=lambda p: p.parent.parent.name)
def test_incremental_tags_equal_a_full_extraction_after_random_edits(
    fixture: Path, seed: int
) -> None:
    language = registry().get(fixture.parent.parent.name)
    assert language is not None
    text = fixture.read_text("utf-8") * 3
    doc = Document("file:///t.py", text, language=language)
    cache = TagCache()
    cache.get(doc.uri, language, doc.tree, doc.source, doc.version)
    rng = random.Random(seed)
    modes = set()
    for step in range(40):
        lines = doc.index.line_count()
        line = rng.randrange(lines)
        width = len(doc.line_text(line))
        start = (line, rng.randint(0, width))
        end = start if rng.random() < 0.7 else (min(lines - 1, line + rng.randint(0, 2)), 0)
        if end < start:
            end = start
        doc.apply([Edit(rng.choice(PIECES), start, end)], step + 1)
        assert doc.tree is not None
        got = cache.get(doc.uri, language, doc.tree, doc.source, doc.version)
        modes.add(cache.last_mode)
        assert _key(got.materialize().tags) == _key(extract(language, doc.tree, doc.source)), (
            seed,
            step,
        )
    assert "update" in modes
