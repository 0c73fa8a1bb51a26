"""Incremental tags equal a full extraction after any edit, and cost far less."""

from __future__ import annotations

import random
from pathlib import Path

import pytest

from renga.context.tagcache import TagCache, diff, references_in
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


def test_a_keystroke_inside_a_name_keeps_a_view_that_maps_offsets_both_ways() -> None:
    language = registry().get("python")
    assert language is not None
    text = "class A:\n    def run(self):\n        value = compute(1)\n        return value\n"
    doc = Document("file:///v.py", text, language=language)
    cache = TagCache()
    base = cache.get(doc.uri, language, doc.tree, doc.source, 0)
    at = text.index("compute") + 3
    line, col = 2, at - text.index("        value")
    doc.apply([Edit("xy", (line, col), (line, col))], 1)
    assert doc.tree is not None
    view = cache.get(doc.uri, language, doc.tree, doc.source, 1)
    assert view.shifts and view.source is base.source and view.now is doc.source
    assert view.to_base(at + 2) == at and view.to_base(at + 5) == at + 3
    ret = text.index("return")
    assert view.to_now(ret, True) == ret + 2
    run = next(d for d in view.tags.definitions if d.name == "run")
    assert [d.name for d in view.enclosing(view.to_base(doc.source.index(b"return")))] == [
        "A",
        "run",
    ]
    assert view.materialize().tags.definitions[1].end == run.end + 2


def test_references_in_a_window_are_those_a_full_extraction_finds_there() -> None:
    python = registry().get("python")
    assert python is not None
    # A one-line module: its statement is the only node under the window (reading per node
    # once missed the second call).
    one_line = Document("file:///o.py", "__import__('hack').do_override()\n", language=python)
    refs = references_in(python, one_line.tree, one_line.source, 0, 100)
    assert [r.name for r in refs] == ["__import__", "do_override"]
    for fixture in FIXTURES:
        language = registry().get(fixture.parent.parent.name)
        if language is None:
            continue
        doc = Document(fixture.as_uri(), fixture.read_text("utf-8"), language=language)
        full = extract(language, doc.tree, doc.source).references
        n = len(doc.source)
        for lo in range(0, n, max(1, n // 7)):
            hi = lo + n // 3
            window = {
                (r.name, r.start) for r in references_in(language, doc.tree, doc.source, lo, hi)
            }
            # A definition's own name is skipped by a pattern over the whole definition: when
            # the definition crosses the window's edge, its name may be read as a value.
            names = {d.name for d in extract(language, doc.tree, doc.source).definitions}
            extra = window - {(r.name, r.start) for r in full}
            assert all(name in names for name, _ in extra), (fixture, lo, hi, extra)
            # A match is read when all of it lies in the window: only a reference whose
            # statement crosses the window's edge may be left out.
            missed = [
                r for r in full if lo <= r.start and r.end <= hi and (r.name, r.start) not in window
            ]
            edge = (doc.source.rfind(b"\n", 0, hi - 80) + 1, doc.source.find(b"\n", lo + 80))
            assert all(r.start >= edge[0] or r.end <= edge[1] for r in missed), (
                fixture,
                lo,
                missed,
            )
