"""The assembled context for a cursor: each source's section, the budget, exclusions, timing."""

from __future__ import annotations

import time
from dataclasses import replace

from context_helpers import make_doc
from renga.config import ContextSettings, Settings
from renga.context import assemble
from renga.context.assemble import build_context
from renga.context.types import ContextSources, CursorContext, IndexedDefinition, estimate_tokens
from renga.syntax.document import Edit

SETTINGS = Settings()
# Time budgets no source reaches, so what a test sees never depends on the machine's speed.
UNHURRIED = {name: 60_000.0 for name in assemble.BUDGET_MS}


def big_class(methods: int = 300) -> str:
    body = "".join(
        f"    def method_{i}(self, value):\n        total = value + {i}\n        return total\n\n"
        for i in range(methods)
    )
    return (
        "import os\nfrom collections import OrderedDict\n\n\n"
        'class Engine(Base):\n    """Runs things."""\n\n' + body
    )


def kinds(ctx: CursorContext) -> list[str]:
    return [s.kind for s in ctx.sections]


def section(ctx: CursorContext, kind: str) -> str:
    return "\n".join(s.text for s in ctx.sections if s.kind == kind)


def at(doc_text: str, marker: str) -> int:
    return doc_text.encode().index(marker.encode())


def test_enclosing_scope_headers_far_above_the_window_are_included() -> None:
    text = big_class()
    doc = make_doc(text)
    offset = at(text, "return total\n\n    def method_290")
    ctx = build_context(doc, offset, SETTINGS, ContextSources(), "/ws/main.py")
    assert "class Engine(Base):" not in ctx.prefix
    scope = section(ctx, "scope")
    assert scope.startswith("class Engine(Base):")
    assert "    def method_289(self, value):" in scope


def test_imports_far_above_are_shown_once() -> None:
    text = big_class()
    doc = make_doc(text)
    ctx = build_context(
        doc, at(text, "total = value + 250"), SETTINGS, ContextSources(), "/ws/main.py"
    )
    everything = "\n".join(s.text for s in ctx.sections) + ctx.prefix + ctx.suffix
    assert everything.count("from collections import OrderedDict") == 1


def test_window_edges_fall_on_line_starts_and_never_inside_a_string() -> None:
    doc_string = '    """' + "\n".join(f"    doc line {i}" for i in range(400)) + '\n    """\n'
    text = "def f():\n" + doc_string + "    x = 1\n" * 50 + "    return x\n"
    doc = make_doc(text)
    offset = at(text, "return x")
    ctx = build_context(doc, offset, SETTINGS, ContextSources(), "/ws/main.py")
    start = offset - len(ctx.prefix.encode())
    assert start == 0 or text.encode()[start - 1 : start] == b"\n"
    # Either the whole docstring is in the window or none of it is.
    assert ctx.prefix.count('"""') in (0, 2)
    assert ctx.suffix.endswith("\n")


def test_definitions_from_the_same_file_other_documents_and_the_index() -> None:
    helper = make_doc(
        'def parse_header(line: str) -> dict:\n    """Split a header line."""\n'
        "    return dict(x.split(':') for x in line)\n",
        uri="file:///ws/helpers.py",
    )
    filler = "".join(f"def filler_{i}():\n    return {i}\n\n\n" for i in range(3000))
    text = (
        'def local_thing(a, b):\n    """Add."""\n    return a + b\n\n\n'
        + filler
        + "def main():\n    h = parse_header(line)\n    n = local_thing(1, 2)\n    w = far_away(3)\n    "
    )
    doc = make_doc(text)

    class Index:
        def lookup(self, name: str, limit: int = 5) -> list[IndexedDefinition]:
            if name == "far_away":
                return [
                    IndexedDefinition(
                        "/ws/lib/far.py", name, "function", 9, "def far_away(n: int) -> int:"
                    )
                ]
            return []

        def files(self) -> list[str]:
            return ["/ws/lib/far.py"]

        def definitions_in(self, path: str) -> list[IndexedDefinition]:
            return []

    sources = ContextSources(
        documents={doc.uri: doc, helper.uri: helper}, index=Index(), root="/ws"
    )
    # A cold first call parses and tags 12,000 lines: no budget may drop a source here.
    ctx = build_context(doc, len(text.encode()), SETTINGS, sources, "/ws/main.py", UNHURRIED)
    definitions = {s.source: s.text for s in ctx.sections if s.kind == "definition"}
    assert definitions["helpers.py:1"].startswith("def parse_header(line: str) -> dict:")
    assert '"""Split a header line."""' in definitions["helpers.py:1"]
    assert "return dict" not in definitions["helpers.py:1"]  # a summary, not the body
    assert definitions["lib/far.py:10"] == "def far_away(n: int) -> int:"
    local = [t for s, t in definitions.items() if s.startswith("main.py")]
    assert local == ['def local_thing(a, b):\n    """Add."""']


def test_excluded_documents_never_contribute() -> None:
    secret = make_doc("def parse_header(line):\n    return 1\n", uri="file:///ws/secret.py")
    recent = make_doc("def other():\n    return 2\n", uri="file:///ws/recent.py")
    recent.apply([Edit("    pass\n", (1, 0), (1, 0))], 2)
    secret.apply([Edit("    pass\n", (1, 0), (1, 0))], 2)
    text = "def main():\n    parse_header(x)\n    "
    doc = make_doc(text)
    sources = ContextSources(
        documents={doc.uri: doc, secret.uri: secret, recent.uri: recent},
        excluded=lambda path: path.endswith("secret.py"),
        root="/ws",
    )
    ctx = build_context(doc, len(text.encode()), SETTINGS, sources, "/ws/main.py")
    assert all("secret" not in s.source for s in ctx.sections)
    assert [s.source for s in ctx.sections if s.kind == "recent_edit"] == ["recent.py:1"]
    assert "pass" in section(ctx, "recent_edit")


def test_a_late_source_is_dropped_and_the_rest_still_arrive(monkeypatch) -> None:  # type: ignore[no-untyped-def]
    def slow(cursor: object, deadline: float) -> list[object]:
        spin_until = time.thread_time() + 0.02  # budgets count CPU time, so burn some
        while time.thread_time() < spin_until:
            pass
        return [object()]

    monkeypatch.setitem(assemble.SOURCES, "recent", slow)
    text = big_class(300)
    doc = make_doc(text)
    ctx = build_context(
        doc, at(text, "total = value + 150"), SETTINGS, ContextSources(), "/ws/main.py"
    )
    assert "recent" in assemble.LAST.late
    assert "scope" in kinds(ctx)
    assert all(hasattr(s, "kind") for s in ctx.sections)


def test_the_whole_context_stays_within_the_token_budget() -> None:
    from renga.context.budget import estimate_request
    from renga.prompts.completion import completion_request

    text = big_class(2000)
    doc = make_doc(text)
    for budget in (1500, 3000, 6000, 12000):
        settings = replace(SETTINGS, context=ContextSettings(token_budget=budget))
        ctx = build_context(
            doc, at(text, "total = value + 1000"), settings, ContextSources(), "/p", UNHURRIED
        )
        used = estimate_request(completion_request(ctx, max_tokens=64))
        # Sized by what it holds, not padded up to the budget, and never over it.
        assert min(budget, 3000) * 0.3 < used <= min(budget, 4200), (budget, used)


def test_no_cursor_position_sends_the_whole_file() -> None:
    """The live window has a hard cap wherever the cursor is: on a blank line, at a docstring's
    edge, in a minified line; no fallback sends the whole file (it once did when the stable
    block could not be placed, about one request in 60, up to 42,000 tokens)."""
    from renga.context.budget import estimate_request
    from renga.prompts.completion import completion_request

    pieces = []
    for i in range(400):
        pieces.append(
            f'def f_{i}(x):\n    """Doc {i}.\n\n    More.\n    """\n\n    y = x + {i}\n\n'
            f"    return y\n\n\n"
        )
    pieces.insert(200, "DATA = [" + ", ".join(str(n) for n in range(40_000)) + "]\n\n")
    text = "".join(pieces)
    doc = make_doc(text)
    size = len(text.encode())
    lines = text.split("\n")
    plan = assemble.current_plan(SETTINGS)
    cap = plan.hole * assemble.WINDOW_SLACK * 1.02 + 2
    worst = 0
    for line in range(0, len(lines), 7):
        offset = doc.offset_at(line, 0)
        ctx = build_context(doc, offset, SETTINGS, ContextSources(), "/ws/main.py", UNHURRIED)
        window = estimate_tokens(ctx.prefix + ctx.suffix)
        worst = max(worst, window)
        assert window <= cap, (line, window)
        assert len((ctx.prefix + ctx.suffix).encode()) < size / 10
        used = estimate_request(completion_request(ctx, max_tokens=64))
        assert used <= SETTINGS.context.token_budget, (line, used)
    assert worst > plan.hole * 0.5


class FakeIndex:
    """A workspace index holding the given definitions (path, name, kind, line, summary, end)."""

    def __init__(self, *rows: tuple[str, str, str, int, str, int]) -> None:
        self.rows = [IndexedDefinition(p, n, k, line, s, end) for p, n, k, line, s, end in rows]

    def lookup(self, name: str, limit: int = 5) -> list[IndexedDefinition]:
        return [d for d in self.rows if d.name == name][:limit]

    def files(self) -> list[str]:
        return sorted({d.path for d in self.rows})

    def definitions_in(self, path: str) -> list[IndexedDefinition]:
        return [d for d in self.rows if d.path == path]


def test_the_enclosing_class_outline_shows_its_members_beyond_the_window() -> None:
    text = big_class(300)
    doc = make_doc(text)
    ctx = build_context(
        doc, at(text, "total = value + 150"), SETTINGS, ContextSources(), "/ws/main.py", UNHURRIED
    )
    (outline,) = [s.text for s in ctx.sections if s.kind == "outline" and not s.stable]
    lines = outline.split("\n")
    assert lines[0] == "class Engine(Base):"
    assert "    def method_120(self, value):" in lines
    assert "    def method_150(self, value):" not in lines  # in the live window already
    assert "total = value" not in outline  # signatures, never bodies


def test_members_of_a_type_named_near_the_cursor_come_from_the_index() -> None:
    text = "def draw(shape: Shape, canvas):\n    shape."
    index = FakeIndex(
        ("/ws/geo.py", "Shape", "class", 3, "class Shape:", 9),
        ("/ws/geo.py", "area", "method", 5, "def area(self) -> float:", 5),
        ("/ws/geo.py", "scale", "method", 7, "def scale(self, k: float) -> Shape:", 7),
        ("/ws/geo.py", "unrelated", "function", 12, "def unrelated():", 12),
    )
    doc = make_doc(text)
    sources = ContextSources(documents={doc.uri: doc}, index=index, root="/ws")
    ctx = build_context(doc, len(text.encode()), SETTINGS, sources, "/ws/main.py", UNHURRIED)
    members = {s.source: s.text for s in ctx.sections if s.kind == "members"}
    assert members == {
        "geo.py:4": "class Shape:\n    def area(self) -> float:\n    def scale(self, k: float) -> Shape:"
    }


def test_go_methods_declared_beside_their_type_are_its_members() -> None:
    text = "package main\n\nfunc run(cmd *Command) {\n\tcmd.\n}\n"
    index = FakeIndex(
        ("/ws/cmd.go", "Command", "struct", 2, "type Command struct {", 5),
        ("/ws/cmd.go", "Name", "method", 40, "func (c *Command) Name() string", 42),
        ("/ws/cmd.go", "Other", "method", 50, "func (o *Other) Name() string", 52),
    )
    doc = make_doc(text, uri="file:///ws/main.go", language="go")
    sources = ContextSources(documents={doc.uri: doc}, index=index, root="/ws")
    ctx = build_context(doc, text.encode().index(b"cmd.\n") + 4, SETTINGS, sources, "/ws/main.go")
    members = "\n".join(s.text for s in ctx.sections if s.kind == "members")
    assert "func (c *Command) Name() string" in members
    assert "Other" not in members


def test_the_signatures_of_imported_names_grouped_by_file() -> None:
    filler = "".join(f"def filler_{i}():\n    return {i}\n\n\n" for i in range(400))
    text = "from geo import Shape, area\nfrom util import slugify\n\n\n" + filler + "def f():\n    "
    index = FakeIndex(
        ("/ws/geo.py", "Shape", "class", 3, '"""A shape."""\nclass Shape(Base):', 9),
        ("/ws/geo.py", "area", "function", 12, "def area(s: Shape) -> float:", 14),
        ("/ws/util.py", "slugify", "function", 0, "def slugify(text: str) -> str:", 2),
    )
    doc = make_doc(text)
    sources = ContextSources(documents={doc.uri: doc}, index=index, root="/ws")
    ctx = build_context(doc, len(text.encode()), SETTINGS, sources, "/ws/main.py", UNHURRIED)
    imported = {s.source: s.text for s in ctx.sections if s.kind == "imported"}
    assert imported == {
        "geo.py": "class Shape(Base):\ndef area(s: Shape) -> float:",
        "util.py": "def slugify(text: str) -> str:",
    }
