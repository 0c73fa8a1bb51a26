"""Outlines: one line per definition (its signature, never a body or doc), so the model knows
what a class and a file offer, and what the file imports from the workspace, at a few tokens
a name.

- the enclosing class's members (methods and fields defined far from the cursor are what the
  next line most often calls);
- the file's top-level definitions (the file's own helpers used elsewhere in it);
- the names the file imports, with the signature the workspace index holds for each.
"""

from __future__ import annotations

import bisect
import re

from renga.context.scopes import enclosing_at, indentation
from renga.context.snapshot import Cursor, late, shown_path
from renga.context.tagcache import CachedTags
from renga.context.types import Section, estimate_tokens
from renga.syntax.tags import Definition, extract, header

# A signature longer than this is cut: the name and the first parameters are what matter.
MAX_LINE_CHARS = 160
_SPACE = re.compile(r"\s+")
FUNCTION_KINDS = frozenset({"function", "method"})


def signature_line(text: str) -> str:
    """A header on one line: white space collapsed, cut at ``MAX_LINE_CHARS``."""
    line = _SPACE.sub(" ", text).strip()
    return line if len(line) <= MAX_LINE_CHARS else line[: MAX_LINE_CHARS - 1] + "…"


def _outline_line(cached: CachedTags, d: Definition) -> str:
    source = cached.source
    return indentation(source, d.start) + signature_line(header(source, d))


def _nearest_first(
    cached: CachedTags, members: list[Definition], offset: int, budget: int
) -> list[Definition]:
    """The members nearest ``offset`` that fit in ``budget`` estimated tokens, in file order."""
    ranked = sorted(members, key=lambda d: abs(d.start - offset))
    kept: list[Definition] = []
    left = budget
    misses = 0
    for d in ranked:
        cost = estimate_tokens(_outline_line(cached, d)) + 1
        if cost > left:
            # A few long signatures may be skipped for shorter ones; not a whole big file's.
            misses += 1
            if misses > 8:
                break
            continue
        left -= cost
        kept.append(d)
    kept.sort(key=lambda d: d.start)
    return kept


def members_of(cached: CachedTags, scope: Definition | None) -> list[Definition]:
    """The definitions directly inside ``scope`` (the file's top level when None)."""
    children: list[Definition] = []
    stack: list[Definition] = []
    definitions = cached.tags.definitions
    if scope is not None:
        # Sorted by start: only the definitions inside the scope's extent are read.
        lo = bisect.bisect_left(definitions, scope.start, key=lambda d: d.start)
        hi = bisect.bisect_right(definitions, scope.end, key=lambda d: d.start)
        definitions = definitions[lo:hi]
    for d in definitions:
        while stack and not (stack[-1].body and stack[-1].body[0] <= d.start < stack[-1].end):
            stack.pop()
        parent = stack[-1] if stack else None
        if parent is scope and d is not scope:
            children.append(d)
        if d.body is not None:
            stack.append(d)
    return children


def class_outline_section(cursor: Cursor, deadline: float) -> list[Section]:
    """The members of the innermost class-like scope around the cursor (one that is not a
    function), nearest the cursor first within the budget, those the prompt shows left out."""
    cached = cursor.tags
    offset = cached.to_base(cursor.offset)
    scopes = enclosing_at(cached.source, cached.chain(offset), offset)
    owner = next((d for d in reversed(scopes) if d.kind not in FUNCTION_KINDS), None)
    if owner is None:
        return []
    lo, hi = cursor.window
    members = [
        d
        for d in members_of(cached, owner)
        if not (lo <= cached.to_now(d.start, True) and cached.to_now(d.header_end) <= hi)
    ]
    if late(deadline) or not members:
        return []
    kept = _nearest_first(cached, members, offset, cursor.budget)
    if not kept:
        return []
    lines = [_outline_line(cached, owner).split("\n", 1)[0]]
    lines += [_outline_line(cached, d) for d in kept]
    return [Section(kind="outline", source=cursor.doc.shown, text="\n".join(lines))]


def file_outline(
    cached: CachedTags, top: list[Definition], offset: int, budget: int, shown: str
) -> tuple[list[Section], list[Definition]]:
    """The file's top-level definitions ``top``, nearest ``offset`` first within ``budget``:
    the section and the definitions it holds."""
    kept = _nearest_first(cached, top, offset, budget)
    if not kept:
        return [], []
    text = "\n".join(_outline_line(cached, d) for d in kept)
    return [Section(kind="outline", source=shown, text=text)], kept


# Names imported per file are looked up at most this many at a time.
MAX_IMPORTED = 80


def imported_names(cursor: Cursor) -> list[str]:
    """The names the file's import statements bring in, in file order."""
    doc = cursor.doc
    cached = cursor.tags
    if doc.language is None or doc.tree is None or not cached.tags.imports:
        return []
    first = cached.to_now(cached.tags.imports[0][0], True)
    last = cached.to_now(cached.tags.imports[-1][1])
    span = (first, min(len(doc.source), last))
    found = extract(doc.language, doc.tree, doc.source, span, uses_only=True, within=span)
    return list(dict.fromkeys(r.name for r in found.references if r.kind == "import"))


def imported_sections(cursor: Cursor, deadline: float) -> list[Section]:
    """One line per name the file imports from the workspace (its signature as the index holds
    it), grouped by the file that defines it; names used near the cursor first."""
    if cursor.index is None:
        return []
    names = imported_names(cursor)
    if not names:
        return []
    near = set(cursor.near_names)
    names.sort(key=lambda n: n not in near)
    own = cursor.tags.by_name()
    by_path: dict[str, list[tuple[int, str]]] = {}
    left = cursor.budget
    for name in names[:MAX_IMPORTED]:
        if late(deadline) or left <= 0:
            break
        if name in own:
            continue
        try:
            hits = cursor.index.lookup(name, limit=2)
        except Exception:  # a broken index costs this source, never the completion
            return []
        for hit in hits[:1]:
            if hit.path == cursor.doc.path or cursor.excluded(hit.path):
                continue
            line = next((x for x in hit.summary.splitlines() if name in x), "")
            line = signature_line(line)
            cost = estimate_tokens(line) + 1
            if not line or cost > left:
                continue
            left -= cost
            by_path.setdefault(shown_path(hit.path, cursor.root), []).append((hit.line, line))
    return [
        Section(kind="imported", source=path, text="\n".join(t for _, t in sorted(lines)))
        for path, lines in by_path.items()
    ]


# Kinds of definitions whose members are worth outlining when the type is used near the cursor.
TYPE_KINDS = frozenset({"class", "struct", "interface", "trait", "enum", "type", "impl"})
# Types near the cursor whose members are outlined, and the share of the budget one may fill.
MAX_TYPES = 8
PER_TYPE_SHARE = 0.4


def _member_pattern(cursor: Cursor, name: str) -> re.Pattern[str] | None:
    """The language's header of a method of ``name`` declared outside the type (language.toml's
    ``member_header``), or None."""
    language = cursor.doc.language
    if language is None or not language.spec.member_header:
        return None
    return re.compile(language.spec.member_header.replace("{name}", re.escape(name)), re.M)


def _member_line(summary: str, name: str) -> str:
    return signature_line(next((x for x in summary.splitlines() if name in x), ""))


def member_sections(cursor: Cursor, deadline: float) -> list[Section]:
    """For the types used near the cursor (the most telling first), one line per member
    (method, field): what ``value.`` may be followed by, when the value's type is named
    nearby (an annotation, a parameter's type, a constructor call). The enclosing class is
    the class outline's; types defined in this file are outlined from its tags, the others
    from the workspace index."""
    cached = cursor.tags
    own = cached.by_name()
    offset = cached.to_base(cursor.offset)
    enclosing = {d.start for d in cached.enclosing(offset)}
    sections: list[Section] = []
    left = cursor.budget
    types = 0
    lo, hi = cursor.window
    for name in cursor.near_names:
        if types >= MAX_TYPES or left <= 0 or late(deadline):
            break
        local = [d for d in own.get(name, []) if d.kind in TYPE_KINDS and d.body is not None]
        cap = min(left, max(40, int(cursor.budget * PER_TYPE_SHARE)))
        if local:
            d = local[0]
            types += 1
            if d.start in enclosing:
                continue
            members = [
                m
                for m in members_of(cached, d)
                if not (lo <= cached.to_now(m.start, True) and cached.to_now(m.header_end) <= hi)
            ]
            kept = _nearest_first(cached, members, d.start, cap)
            if not kept:
                continue
            lines = [_outline_line(cached, d).split("\n", 1)[0]]
            lines += [_outline_line(cached, m) for m in kept]
            source = f"{cursor.doc.shown}:{d.line + 1}"
        elif cursor.index is not None and name not in own:
            try:
                hits = [h for h in cursor.index.lookup(name, limit=3) if h.kind in TYPE_KINDS]
            except Exception:  # a broken index costs this source, never the completion
                return sections
            hits = [h for h in hits if h.path != cursor.doc.path and not cursor.excluded(h.path)]
            if not hits:
                continue
            hit = hits[0]
            types += 1
            pattern = _member_pattern(cursor, name)
            inside = [
                m
                for h in hits[:2]
                for m in cursor.index.definitions_in(h.path)
                if (h.line < m.line <= h.end_line and h.path == hit.path)
                or (pattern is not None and pattern.match(m.summary.lstrip()))
            ]
            lines = [_member_line(hit.summary, name)]
            used = estimate_tokens(lines[0]) + 1
            for m in inside:
                line = "    " + _member_line(m.summary, m.name)
                cost = estimate_tokens(line) + 1
                if used + cost > cap:
                    break
                used += cost
                lines.append(line)
            if len(lines) == 1:
                continue
            source = f"{shown_path(hit.path, cursor.root)}:{hit.line + 1}"
        else:
            continue
        text = "\n".join(lines)
        left -= estimate_tokens(text)
        sections.append(Section(kind="members", source=source, text=text))
    return sections
