"""Definitions (signature and docstring, never the body) of the names used near the cursor.

Names come from the references around the cursor. Each is looked up in the same file, then in
the other open documents, then in the workspace index; a name whose definition the prompt
already shows needs nothing. Candidates are ranked by how likely the completion needs them:
how often and how close to the cursor the name is used, where the definition lives (the same
file, an open document, the index) and its kind (a function or type is more telling than a
field).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass

from renga.context.scopes import indentation
from renga.context.snapshot import Cursor, DocSnapshot, late, shown_path
from renga.context.tagcache import TAGS, CachedTags
from renga.context.types import IndexedDefinition, Section, SymbolIndex, estimate_tokens
from renga.syntax.languages import Language, registry
from renga.syntax.tags import Definition, extract, header, summary

log = logging.getLogger(__name__)

# Bytes around the cursor whose references are the candidate names.
NEAR_BEFORE = 4500
NEAR_AFTER = 1500
# Per name, how many definitions to show at most (overloads, same name in several files).
PER_NAME = 2
MAX_SUMMARY_CHARS = 1200
# A definition without a body (a constant, a field) is shown by its first lines: a long value
# (a table, a palette) costs tokens that other definitions need more.
MAX_VALUE_LINES = 3


def shorten(text: str, kind: str) -> str:
    """A summary cut to what using the definition needs."""
    if kind in BODILESS_KINDS:
        lines = text.split("\n")
        if len(lines) > MAX_VALUE_LINES:
            text = "\n".join(lines[:MAX_VALUE_LINES]) + "\n..."
    if len(text) > MAX_SUMMARY_CHARS:
        text = text[:MAX_SUMMARY_CHARS].rsplit("\n", 1)[0] + "\n..."
    return text


BODILESS_KINDS = frozenset({"constant", "variable", "field"})

SOURCE_WEIGHT = {"file": 3.0, "open": 2.0, "index": 1.0}
# Kinds are the capture vocabulary of grammars/README.md, not node types.
# A same-named definition in another language is rarely the one meant.
OTHER_LANGUAGE_WEIGHT = 0.2
KIND_WEIGHT = {"field": 0.6, "variable": 0.6, "constant": 0.8, "module": 0.7, "namespace": 0.7}


@dataclass
class Candidate:
    score: float
    name: str
    source: str
    text: str


# Kinds of definitions whose body binds parameters and locals.
FUNCTION_KINDS = frozenset({"function", "method"})
# How far above the cursor the enclosing function's parameters and locals are read.
LOCALS_BEFORE = 5000
# Uses that stay candidates even when a local has the name: a call or a type is rarely a local
# (and when it is, its definition elsewhere is the better guess).
TELLING_KINDS = frozenset({"call", "type", "class"})


def builtins_of(language: Language | None) -> frozenset[str]:
    """The builtins ``language.toml`` lists, the inherited languages' included."""
    if language is None:
        return frozenset()
    names = set(language.spec.builtins)
    for base in language.spec.inherits:
        other = registry().get(base)
        if other is not None:
            names |= other.spec.builtins
    return frozenset(names)


def _functions(cursor: Cursor) -> Callable[[int], tuple[int, int] | None]:
    """A lookup: the innermost function around an offset of the text now (its start and end
    in the text now), or None."""
    cached = cursor.tags
    memo: dict[int, tuple[int, int] | None] = {}

    def function_at(offset: int) -> tuple[int, int] | None:
        base = cached.to_base(offset)
        for d in reversed(cached.chain(base)):
            if d.kind in FUNCTION_KINDS and d.body is not None and d.start <= base <= d.end:
                key = d.start
                if key not in memo:
                    memo[key] = (cached.to_now(d.start, True), cached.to_now(d.end))
                return memo[key]
        return None

    return function_at


def candidate_names(cursor: Cursor) -> list[tuple[float, str]]:
    """Names used near the cursor, most telling first: how often and how close. Dropped before
    any cap: the language's builtins, and the names a function binds (parameters, locals) where
    that function uses them, unless called or used as a type."""
    doc = cursor.doc
    if doc.language is None or doc.tree is None:
        return []
    lo, hi = max(0, cursor.offset - NEAR_BEFORE), min(len(doc.source), cursor.offset + NEAR_AFTER)
    function_at = _functions(cursor)
    # Read from the start of the function around the window's first byte (its parameters).
    first = function_at(lo) or function_at(cursor.offset)
    start = min(lo, max(first[0], cursor.offset - LOCALS_BEFORE)) if first else lo
    span = (start, hi)
    found = extract(doc.language, doc.tree, doc.source, span, uses_only=True, within=span)
    bound: dict[tuple[int, int] | None, set[str]] = {}
    for r in found.locals:
        bound.setdefault(function_at(r.start), set()).add(r.name)
    builtins = builtins_of(doc.language)
    own = cursor.tags.by_name()
    stats: dict[str, list[float]] = {}
    for r in found.references:
        if not (lo <= r.start and r.end <= hi):
            continue
        if r.name in builtins and r.name not in own:
            continue
        if r.kind == "value" and r.name in bound.get(function_at(r.start), ()):
            continue
        distance = abs(r.start - cursor.offset)
        entry = stats.setdefault(r.name, [0.0, float(distance)])
        entry[0] += 1
        entry[1] = min(entry[1], distance)
    scored = [(count / (1.0 + distance / 400.0), name) for name, (count, distance) in stats.items()]
    scored.sort(reverse=True)
    return scored


MAX_LOOKUPS = 24


def lookup_all(
    index: SymbolIndex, names: list[str], deadline: float
) -> list[list[IndexedDefinition]]:
    """Index lookups for ``names`` until ``deadline``; the names not reached are given up.
    (The workspace index answers from memory, so a lookup never blocks on the disk.)"""
    done: list[list[IndexedDefinition]] = []
    for name in names[:MAX_LOOKUPS]:
        if late(deadline):
            break
        try:
            done.append(index.lookup(name, limit=PER_NAME + 2))
        except Exception:  # a broken index costs this source, never the completion
            log.debug("index lookup failed", exc_info=True)
            done.append([])
    return done


def _with_scopes(cached: CachedTags, d: Definition) -> str:
    """The definition's summary under the first lines of the scopes around it (so a method
    shows its class), each at its own indentation."""
    source = cached.source
    text = shorten(summary(source, d), d.kind)
    lines = [
        indentation(source, s.start) + header(source, s).split("\n", 1)[0]
        for s in cached.enclosing(d.start)
        if s is not d
    ]
    lines.append(indentation(source, d.start) + text)
    return "\n".join(lines)


def _kind_weight(kind: str) -> float:
    return KIND_WEIGHT.get(kind, 1.0)


def definition_sections(cursor: Cursor, deadline: float) -> list[Section]:
    names = candidate_names(cursor)
    cursor.near_names = [n for _, n in names]
    if not names:
        return []
    own = cursor.tags.by_name()
    others: list[tuple[DocSnapshot, CachedTags]] = []
    open_paths = {cursor.doc.path}
    for other in cursor.others:
        open_paths.add(other.path)
        if cursor.excluded(other.path) or other.language is None:
            continue
        # Tags as last refreshed (``build_context`` refreshes them under its own budget): a
        # stale entry is consistent with the source it came from, which is what is shown.
        cached = TAGS.peek(other.uri)
        if cached is not None:
            others.append((other, cached))
    candidates: list[Candidate] = []
    wanted: list[tuple[float, str]] = []
    for name_score, name in names:
        if late(deadline):
            break
        found: list[Candidate] = []
        local = own.get(name, [])
        at = cursor.tags.to_now
        if any(cursor.shows(at(d.start, True), at(d.header_end)) for d in local):
            continue  # the prompt shows it already
        for d in local[:PER_NAME]:
            score = name_score * SOURCE_WEIGHT["file"] * _kind_weight(d.kind)
            found.append(
                Candidate(
                    score, name, f"{cursor.doc.shown}:{d.line + 1}", _with_scopes(cursor.tags, d)
                )
            )
        if not found:
            for other, cached in others:
                for d in cached.by_name().get(name, [])[:PER_NAME]:
                    score = name_score * SOURCE_WEIGHT["open"] * _kind_weight(d.kind)
                    found.append(
                        Candidate(
                            score, name, f"{other.shown}:{d.line + 1}", _with_scopes(cached, d)
                        )
                    )
        if not found:
            wanted.append((name_score, name))
            continue
        candidates.extend(found)
    language = cursor.doc.language.name if cursor.doc.language else None
    if cursor.index is not None and wanted and not late(deadline):
        names_wanted = [n for _, n in wanted]
        for (name_score, name), hits in zip(
            wanted, lookup_all(cursor.index, names_wanted, deadline), strict=False
        ):
            found = []
            for hit in hits:
                if hit.path in open_paths or cursor.excluded(hit.path):
                    continue
                score = name_score * SOURCE_WEIGHT["index"] * _kind_weight(hit.kind)
                if registry().name_for(None, hit.path) != language:
                    score *= OTHER_LANGUAGE_WEIGHT
                source = f"{shown_path(hit.path, cursor.root)}:{hit.line + 1}"
                found.append(Candidate(score, name, source, shorten(hit.summary, hit.kind)))
                if len(found) >= PER_NAME:
                    break
            candidates.extend(found)
    candidates.sort(key=lambda c: -c.score)
    sections: list[Section] = []
    seen: set[str] = set()
    left = cursor.budget
    for c in candidates:
        if c.text in seen:
            continue
        cost = estimate_tokens(c.text)
        if cost > left:
            continue
        seen.add(c.text)
        left -= cost
        sections.append(Section(kind="definition", source=c.source, text=c.text))
    return sections
