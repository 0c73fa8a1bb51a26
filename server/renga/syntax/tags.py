"""Tags of a syntax tree: definitions (with header, body and doc), references and imports.

Read with each language's ``tags.scm`` in the capture vocabulary of ``grammars/README.md``. This
module knows capture names only, never a language's node types, so every language is handled by
the same code. Queries are compiled once per language (``Language.query``).
"""

from __future__ import annotations

import bisect
import re
import threading
from dataclasses import dataclass, field

import tree_sitter as ts

from renga.syntax.languages import Language

DEFINITION = "definition."
REFERENCE = "reference."
# A name bound where it stands (a parameter, a local variable): ``FileTags.locals``.
LOCAL = "local"
# A name node that is no use of a definition (a keyword argument's name, a definition's own name):
# references on it are dropped.
SKIP = "skip"
# When several patterns read the same name node, the most telling kind is kept; a bare ``value``
# (any identifier) is the least.
KIND_RANK = {"value": 0, "attribute": 1, "import": 2}


@dataclass(frozen=True, slots=True)
class Definition:
    kind: str
    name: str
    # Byte range of the whole definition node.
    start: int
    end: int
    # Where the body begins (the header is ``start:header_end``); ``end`` when it has no body.
    header_end: int
    # Byte range of the body, when it has one: a definition with a body is a scope.
    body: tuple[int, int] | None = None
    # Byte range of its docstring or attached comment.
    doc: tuple[int, int] | None = None
    line: int = 0

    @property
    def is_scope(self) -> bool:
        return self.body is not None

    def contains(self, offset: int) -> bool:
        return self.body is not None and self.body[0] <= offset <= self.body[1]


@dataclass(frozen=True, slots=True)
class Reference:
    kind: str
    name: str
    start: int
    end: int


@dataclass
class FileTags:
    definitions: list[Definition] = field(default_factory=list)
    references: list[Reference] = field(default_factory=list)
    # Byte ranges of import statements, in file order.
    imports: list[tuple[int, int]] = field(default_factory=list)
    # Names bound where they stand (parameters, assignment targets), kind "local".
    locals: list[Reference] = field(default_factory=list)

    def enclosing(self, offset: int) -> list[Definition]:
        """The scopes whose body holds ``offset``, outermost first."""
        scopes = [d for d in self.definitions if d.contains(offset)]
        scopes.sort(key=lambda d: (d.start, -d.end))
        return scopes

    def named(self, name: str) -> list[Definition]:
        return [d for d in self.definitions if d.name == name]


def _text(source: bytes, node: ts.Node) -> str:
    return source[node.start_byte : node.end_byte].decode("utf-8", errors="replace")


def header_end(node: ts.Node, body: ts.Node | None) -> int:
    """Where the header stops: at the last token before the body that is not a comment (extras
    such as comments may sit between a header and its body)."""
    if body is None:
        return node.end_byte
    before = body.prev_sibling
    while before is not None and before.is_extra:
        before = before.prev_sibling
    return (
        before.end_byte
        if before is not None and before.end_byte > node.start_byte
        else body.start_byte
    )


_BLANK_LINE = re.compile(rb"\n[ \t\r\f]*\n")


def _doc_span(source: bytes, docs: list[ts.Node], node: ts.Node) -> tuple[int, int] | None:
    """The byte range of a definition's doc: a docstring inside it, or the run of comments right
    before it. A query's ``(comment)* . (definition)`` pattern captures every comment in a row; a
    blank line ends the run, so a licence header or a stray note is not taken for a doc."""
    inside = [d for d in docs if d.start_byte >= node.start_byte]
    if inside:
        return (inside[0].start_byte, inside[-1].end_byte)
    start = end = node.start_byte
    for doc in sorted(docs, key=lambda d: d.start_byte, reverse=True):
        # From the doc's last byte: some grammars end a line comment with its newline.
        if doc.end_byte > start or _BLANK_LINE.search(source, max(doc.end_byte - 1, 0), start):
            break
        start = doc.start_byte
        if end == node.start_byte:
            end = doc.end_byte
    return (start, end) if start < node.start_byte else None


_filtered_queries: dict[tuple[str, str], ts.Query | None] = {}
_filtered_queries_lock = threading.Lock()


def _filtered_query(language: Language, keep: tuple[bytes, ...], label: str) -> ts.Query | None:
    """The tags query with only the patterns holding one of the ``keep`` captures on.
    Compiled once per language and label."""
    with _filtered_queries_lock:
        key = (language.name, label)
        if key not in _filtered_queries:
            source = language.query_source("tags")
            query = None
            if source is not None:
                text = source.encode("utf-8")
                query = ts.Query(language.ts_language, text.decode("utf-8"))
                for i in range(query.pattern_count):
                    pattern = text[query.start_byte_for_pattern(i) : query.end_byte_for_pattern(i)]
                    if not any(k in pattern for k in keep):
                        query.disable_pattern(i)
            _filtered_queries[key] = query
        return _filtered_queries[key]


def definitions_query(language: Language) -> ts.Query | None:
    """The tags query with only its definition patterns on: what the workspace index needs, at a
    fraction of the matches (references are most of them). Compiled once per language."""
    return _filtered_query(language, (b"@definition.",), "definitions")


def uses_query(language: Language) -> ts.Query | None:
    """References, locals and skips, without definitions or imports: the candidate names."""
    return _filtered_query(language, (b"@reference.", b"@local", b"@skip"), "uses")


def structure_query(language: Language) -> ts.Query | None:
    """Definitions and imports, without the reference patterns: what the tag cache keeps."""
    return _filtered_query(language, (b"@definition.", b"@import"), "structure")


def extract(
    language: Language,
    tree: ts.Tree,
    source: bytes,
    byte_range: tuple[int, int] | None = None,
    *,
    definitions_only: bool = False,
    references: bool = True,
    uses_only: bool = False,
    within: tuple[int, int] | None = None,
    node: ts.Node | None = None,
) -> FileTags:
    """All tags of ``tree`` (or of the nodes meeting ``byte_range``), in file order; with
    ``definitions_only``, the definitions alone (no references, no imports); with ``within``,
    only the matches whose captures all lie inside that range (patterns anchored high in the
    tree, such as module-level constants, otherwise match all over the file for every small
    ``byte_range``, and building those matches is most of the cost); with ``node``, matches
    start from that node instead of the root; without ``references``, no references, locals or
    skips (the reference patterns are most of the matches); with ``uses_only``, only those."""
    tags = FileTags()
    if uses_only:
        query = uses_query(language)
    elif definitions_only:
        query = definitions_query(language)
    elif not references:
        query = structure_query(language)
    else:
        query = language.query("tags")
    if query is None:
        return tags
    cursor = ts.QueryCursor(query)
    if byte_range is not None:
        cursor.set_byte_range(*byte_range)
    if within is not None:
        cursor.set_containing_byte_range(*within)
    # A definition several patterns match is kept once, with the most the matches told of it.
    seen_defs: dict[tuple[int, int, str], int] = {}
    seen_imports: set[tuple[int, int]] = set()
    # One reference per name node (the most telling kind); name nodes that are no use.
    uses: dict[tuple[int, int], Reference] = {}
    skipped: set[tuple[int, int]] = set()
    for _, captures in cursor.matches(node if node is not None else tree.root_node):
        names = captures.get("name", [])
        for capture, nodes in captures.items():
            if capture.startswith(DEFINITION) and names:
                node, name = nodes[0], names[0]
                key = (node.start_byte, node.end_byte, _text(source, name))
                body = captures.get("body", [None])[0]
                definition = Definition(
                    kind=capture.removeprefix(DEFINITION),
                    name=key[2],
                    start=node.start_byte,
                    end=node.end_byte,
                    header_end=header_end(node, body),
                    body=(body.start_byte, body.end_byte) if body is not None else None,
                    doc=_doc_span(source, captures.get("doc", []), node),
                    line=node.start_point[0],
                )
                if key not in seen_defs:
                    seen_defs[key] = len(tags.definitions)
                    tags.definitions.append(definition)
                    continue
                known = tags.definitions[seen_defs[key]]
                if (known.body is None and definition.body is not None) or (
                    known.doc is None and definition.doc is not None
                ):
                    tags.definitions[seen_defs[key]] = definition
            elif capture.startswith(REFERENCE) and names:
                name = names[0]
                kind = capture.removeprefix(REFERENCE)
                # Node positions are read once: on an edited tree each read can cost
                # microseconds, and every identifier near the cursor is read here.
                span = (name.start_byte, name.end_byte)
                known_use = uses.get(span)
                if known_use is None or KIND_RANK.get(kind, 9) > KIND_RANK.get(known_use.kind, 9):
                    text = source[span[0] : span[1]].decode("utf-8", errors="replace")
                    uses[span] = Reference(kind, text, *span)
            elif capture == LOCAL:
                for node in nodes:
                    start, end = node.start_byte, node.end_byte
                    text = source[start:end].decode("utf-8", errors="replace")
                    tags.locals.append(Reference(LOCAL, text, start, end))
            elif capture == SKIP:
                skipped.update((n.start_byte, n.end_byte) for n in nodes)
            elif capture == "import":
                for node in nodes:
                    span = (node.start_byte, node.end_byte)
                    if span not in seen_imports:
                        seen_imports.add(span)
                        tags.imports.append(span)
    tags.definitions.sort(key=lambda d: (d.start, -d.end))
    tags.references = [r for span, r in uses.items() if span not in skipped]
    tags.references.sort(key=lambda r: r.start)
    tags.locals.sort(key=lambda r: r.start)
    tags.imports.sort()
    return tags


def header(source: bytes, definition: Definition) -> str:
    """The definition's signature: its text before the body, trailing space stripped."""
    return (
        source[definition.start : definition.header_end].decode("utf-8", errors="replace").rstrip()
    )


def doc_text(source: bytes, definition: Definition) -> str:
    if definition.doc is None:
        return ""
    start, end = definition.doc
    return source[start:end].decode("utf-8", errors="replace")


def summary(source: bytes, definition: Definition, indent: str = "    ") -> str:
    """Signature and docstring, not the body: what the model needs to use a definition.
    A docstring inside the body (Python) follows the header; a comment before it precedes it."""
    head = header(source, definition)
    if definition.doc is None:
        return head
    doc = doc_text(source, definition)
    if definition.doc[0] < definition.start:
        return f"{doc}\n{head}"
    return f"{head}\n{indent}{doc}"


def references_near(tags: FileTags, offset: int, before: int, after: int) -> list[Reference]:
    """References within ``before`` bytes before and ``after`` bytes after ``offset``."""
    starts = [r.start for r in tags.references]
    lo = bisect.bisect_left(starts, offset - before)
    hi = bisect.bisect_right(starts, offset + after)
    return tags.references[lo:hi]
