"""Which actions a cursor offers, from the document's tree alone."""

from __future__ import annotations

from lsprotocol import types

from renga.actions.catalog import SPECS, innermost, offered
from renga.syntax.document import Document
from renga.syntax.languages import registry

PYTHON = '''class Shape:
    """A shape."""

    def area(self) -> float:
        return 0.0


async def fetch(url):
    return url

x = 1
'''

GO = """package geo

func Area(r float64) float64 {
\treturn 3.14 * r * r
}
"""


def doc(text: str, language: str = "python") -> Document:
    return Document("file:///ws/m", text, version=3, language=registry().get(language))


def params(
    line: int,
    character: int,
    end: tuple[int, int] | None = None,
    diagnostics: list[types.Diagnostic] | None = None,
    only: list[str] | None = None,
) -> types.CodeActionParams:
    start = types.Position(line, character)
    return types.CodeActionParams(
        text_document=types.TextDocumentIdentifier(uri="file:///ws/m"),
        range=types.Range(start=start, end=types.Position(*end) if end else start),
        context=types.CodeActionContext(diagnostics=diagnostics or [], only=only),
    )


def ids(actions: list[types.CodeAction]) -> list[str]:
    return [a.data["action"] for a in actions]  # type: ignore[index]


def test_a_method_gets_the_quick_actions_and_the_refactors() -> None:
    actions = offered(doc(PYTHON), params(4, 10))
    assert ids(actions) == ["docstring", "annotate", "test", "simplify", "async"]
    assert actions[0].title == "renga: Add a docstring to area"
    data = actions[0].data
    assert (
        data["version"] == 3 and data["name"] == "area" and data["kind"] in ("method", "function")
    )  # type: ignore[index]


def test_a_documented_class_offers_to_update_its_docstring() -> None:
    actions = offered(doc(PYTHON), params(0, 3))
    assert ids(actions) == ["docstring.update", "simplify"]


def test_an_async_function_is_not_offered_async_again() -> None:
    assert "async" not in ids(offered(doc(PYTHON), params(8, 6)))


def test_outside_any_definition_only_diagnostics_and_selections_count() -> None:
    assert offered(doc(PYTHON), params(10, 2)) == []
    diagnostic = types.Diagnostic(
        range=types.Range(start=types.Position(10, 0), end=types.Position(10, 1)),
        message="unused variable x\nmore detail",
        source="ruff",
    )
    (fix,) = offered(doc(PYTHON), params(10, 0, diagnostics=[diagnostic]))
    assert fix.kind == "quickfix"
    assert fix.title == "renga: Fix “unused variable x”"
    assert fix.data["diagnostic"] == "ruff: unused variable x (line 11)"  # type: ignore[index]
    selected = offered(doc(PYTHON), params(10, 0, end=(10, 5)))
    assert ids(selected) == ["simplify", "extract"]


def test_the_only_filter_is_honoured_by_prefix() -> None:
    rewrite = offered(doc(PYTHON), params(4, 10, only=["refactor.rewrite"]))
    assert ids(rewrite) == ["docstring", "annotate", "simplify", "async"]
    assert offered(doc(PYTHON), params(4, 10, only=["source"])) == []


def test_language_facts_decide_test_and_async_actions() -> None:
    go = offered(doc(GO, "go"), params(3, 3))
    assert "test" in ids(go)  # Go names test files, beside the source
    assert "async" not in ids(go)  # and has no async keyword


def test_a_document_without_a_grammar_offers_fixes_only() -> None:
    plain = Document("file:///ws/notes.txt", "some text\n", version=1)
    assert innermost(plain, 2) is None
    assert offered(plain, params(0, 2)) == []


def test_every_spec_names_a_fast_or_smart_role_and_a_distinct_feature() -> None:
    assert {s.role for s in SPECS.values()} == {"fast", "smart"}
    assert len({s.feature for s in SPECS.values()}) == len(SPECS)
