"""What is redacted: secrets found in the text of a request are replaced by ``[REDACTED:kind]``
just before it leaves (:func:`redact_body`).

The formats are data, in ``secrets.toml`` next to this file: one row per format with its regex,
the keywords that must be present for it to run, and samples generated from a description
(``renga.privacy.samples``). Adding a format is adding a row; a test runs every row's samples.

Redaction runs on every request, so it must cost well under a millisecond. Python's ``re`` has no
multi-pattern search, so, as gitleaks does, a format runs only when one of its keywords is in the
(lowered) text; a format whose regex starts with a common word (``password``) is tried only where
that keyword starts (``anchored``); and a request body is redacted a paragraph at a time with the
paragraphs remembered, since successive keystrokes send nearly the same paragraphs.

Every redaction is bounded to the secret it found: no regex runs to the end of the text, a key
block stops at its last base64 line, and renga's own prompt scaffolding (the hole marker, the
tags around files and context) is never part of a redaction (``[scaffolding] keep``).
"""

from __future__ import annotations

import functools
import math
import re
import string
import tomllib
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

# What a redacted secret becomes: "[REDACTED:kind]".
REDACTED = "[REDACTED:"
TABLE = Path(__file__).with_name("secrets.toml")


@dataclass(frozen=True)
class SecretFormat:
    """One row of ``secrets.toml``. ``regex`` finds the secret; ``group`` is the part replaced
    (-1: the first group that took part, for a regex of alternatives that each capture it).

    ``keywords``: lower-case literals; the format runs only when one is in the lowered text.
    ``lower``: the regex is written in lower case and runs on the lowered text.
    ``anchored``: the regex is tried only where a keyword starts (``before`` characters earlier).
    ``token``: the keywords lie inside the secret (a prefix), so they are looked for only in the
    text's long token-like runs. ``line_start``: the regex starts with a line break and is also
    tried at the start of the text. ``in_runs``: the row runs only when this (lower-case) regex
    is found in the text's token-like runs (a key body needs a 40-character base64 run).
    ``boundary``: the secret must not continue a word (checked on the character before it).
    ``line_prefix``: the text from the start of the line to the match must match this.
    ``entropy``/``mixed``: the secret's Shannon entropy (bits per character) must reach this, and
    (``mixed``) it must hold a letter and a digit, and at most ``max_word_share`` of it may be
    runs of four or more letters: how a value is told from a word, a name or an identifier.
    ``back``: the secret extends back over the whole base64 lines before it (a key block seen
    from inside, without its header).
    ``min_length``: matches shorter than this are mentions, not secrets (a lone PEM header or
    footer; for ``back`` rows, counted with the lines taken before it).
    ``name``/``samples``/``shape``: how the test corpus places it (see ``samples``)."""

    kind: str
    regex: re.Pattern[str]
    keywords: tuple[str, ...] = ()
    group: int = 0
    lower: bool = False
    anchored: bool = False
    before: int = 0
    token: bool = False
    line_start: bool = False
    in_runs: re.Pattern[str] | None = None
    boundary: bool = True
    line_prefix: re.Pattern[str] | None = None
    entropy: float = 0.0
    mixed: bool = False
    max_word_share: float = 1.0
    placeholders: bool = False
    back: bool = False
    min_length: int = 0
    name: str = ""
    shape: bool = False
    samples: tuple[str, ...] = ()
    description: str = ""
    source: str = field(default="", compare=False)


def _format(row: dict[str, Any]) -> SecretFormat:
    flags = re.MULTILINE if row.get("multiline", False) else 0
    prefix = row.get("line_prefix")
    return SecretFormat(
        kind=row["kind"],
        regex=re.compile(row["regex"], flags),
        keywords=tuple(k.lower() for k in row.get("keywords", ())),
        group=row.get("group", 0),
        lower=row.get("lower", False),
        anchored=row.get("anchored", False),
        before=row.get("before", 0),
        token=row.get("token", False),
        line_start=row.get("line_start", False),
        in_runs=re.compile(row["in_runs"]) if "in_runs" in row else None,
        boundary=row.get("boundary", True),
        line_prefix=re.compile(prefix) if prefix else None,
        entropy=row.get("entropy", 0.0),
        mixed=row.get("mixed", False),
        max_word_share=row.get("max_word_share", 1.0),
        placeholders=row.get("placeholders", False),
        back=row.get("back", False),
        min_length=row.get("min_length", 0),
        name=row.get("name", ""),
        shape=row.get("shape", False),
        samples=tuple(row.get("samples", ())),
        description=row.get("description", ""),
        source=row["regex"],
    )


def _substitute(pattern: str, words: dict[str, str]) -> str:
    """``{{name}}`` in a regex is the table's shared piece ``[words] name``."""
    return re.sub(r"\{\{(\w+)\}\}", lambda m: words[m.group(1)], pattern)


@dataclass(frozen=True)
class Table:
    formats: tuple[SecretFormat, ...]
    # Values that are obviously not secrets (placeholders, templates), on the lowered value.
    not_a_value: re.Pattern[str]
    # renga's own prompt scaffolding: never part of a redaction.
    keep: re.Pattern[str]
    keep_hint: tuple[str, ...]


def load(path: Path = TABLE) -> Table:
    data = tomllib.loads(path.read_text("utf-8"))
    words: dict[str, str] = data.get("words", {})
    rows = []
    for row in data["format"]:
        row = dict(row)
        row["regex"] = _substitute(row["regex"], words)
        if "line_prefix" in row:
            row["line_prefix"] = _substitute(row["line_prefix"], words)
        rows.append(_format(row))
    kinds = Counter(f.kind for f in rows)
    duplicated = [k for k, n in kinds.items() if n > 1]
    if duplicated:
        raise ValueError(f"secrets.toml: kinds named twice: {duplicated}")
    scaffolding = data["scaffolding"]
    return Table(
        formats=tuple(rows),
        not_a_value=re.compile(scaffolding["not_a_value"]),
        keep=re.compile(scaffolding["keep"]),
        keep_hint=tuple(scaffolding["keep_hint"]),
    )


TABLE_DATA = load()
FORMATS: tuple[SecretFormat, ...] = TABLE_DATA.formats

_ASCII_LOWER = str.maketrans(string.ascii_uppercase, string.ascii_lowercase)
_BASE64_LINE = re.compile(r"[ \t]*[\"']?[A-Za-z0-9+/=]+[\"']?,?[ \t]*")


def _lowered(text: str) -> str:
    """``text`` in lower case, of the same length so its spans apply to ``text``.

    ``str.lower`` is C-fast; ``str.translate`` is ten times slower. ``lower`` lengthens a few
    characters (U+0130 becomes two): only then is the slow ASCII-only table used. Its other
    non-ASCII mappings can only add a match (the Kelvin sign becomes "k"), never hide one."""
    lowered = text.lower()
    return lowered if len(lowered) == len(text) else text.translate(_ASCII_LOWER)


def entropy(value: str) -> float:
    """Shannon entropy of ``value`` in bits per character."""
    if not value:
        return 0.0
    total = len(value)
    return -sum(n / total * math.log2(n / total) for n in Counter(value).values())


_WORDS = re.compile(r"[a-z]{4,}")


def word_share(value: str) -> float:
    """The share of ``value`` in runs of four or more letters of one case: high for identifiers
    and phrases (``schema_author_name_1fbc5617``), low for random keys."""
    if not value:
        return 0.0
    lowered = value if value.islower() else value.lower()
    words = sum(len(m) for m in _WORDS.findall(lowered) if m in value or m.upper() in value)
    return words / len(value)


def _extend_back(text: str, start: int) -> int:
    """Move ``start`` back over the whole base64 lines just before it (real or ``\\n``-escaped
    line breaks), and over the base64 that ends the line before those (where a window that
    starts inside a key block begins): the rest of a key block whose header is not in the text."""
    while start > 0:
        if text.startswith("\\n", start - 2):
            cut = start - 2
        elif text[start - 1] == "\n":
            cut = start - 1 - (text[start - 2 : start - 1] == "\r")
        else:
            return _base64_before(text, start)
        real, escaped = text.rfind("\n", 0, cut), text.rfind("\\n", 0, cut)
        line_start = max(real + 1, escaped + 2 if escaped >= 0 else 0)
        line = text[line_start:cut]
        if not line.strip():
            return start
        if not _BASE64_LINE.fullmatch(line):
            begin = _base64_before(text, cut)
            return begin if cut - begin >= 16 else start
        start = line_start + (len(line) - len(line.lstrip(" \t\"'")))
    return start


def _base64_before(text: str, end: int) -> int:
    """Where the run of base64 characters that ends at ``end`` begins."""
    begin = end
    while begin > 0 and (text[begin - 1].isalnum() or text[begin - 1] in "+/="):
        begin -= 1
    return begin


# Runs of the characters tokens are made of, long enough to hold one: a token's prefix is looked
# for only in these (a third of ordinary code), so a hundred prefixes cost a few hundred µs.
_TOKEN_RUN = re.compile(r"[a-z0-9_\-.+/=~:]{14,}")


class _Scan:
    """One text being searched: its lowered copy and the keyword positions found so far."""

    def __init__(self, text: str) -> None:
        self.text = text
        self.lowered = _lowered(text)
        self._runs: str | None = None
        self._present: dict[tuple[str, bool], bool] = {}
        self._positions: dict[str, list[int]] = {}

    @property
    def runs(self) -> str:
        if self._runs is None:
            self._runs = "\n".join(_TOKEN_RUN.findall(self.lowered))
        return self._runs

    def has(self, keyword: str, token: bool = False) -> bool:
        found = self._present.get((keyword, token))
        if found is None:
            found = self._present[(keyword, token)] = keyword in (
                self.runs if token else self.lowered
            )
        return found

    def runs_have(self, pattern: re.Pattern[str]) -> bool:
        return pattern.search(self.runs) is not None

    def positions(self, keyword: str) -> list[int]:
        found = self._positions.get(keyword)
        if found is None:
            found = []
            position = self.lowered.find(keyword)
            while position >= 0:
                found.append(position)
                position = self.lowered.find(keyword, position + 1)
            self._positions[keyword] = found
        return found

    def matches(self, fmt: SecretFormat) -> Iterator[Match]:
        haystack = self.lowered if fmt.lower else self.text
        if fmt.line_start:
            # At the very start too, as if a line break came before the text.
            first = fmt.regex.match("\n" + haystack)
            if first is not None:
                yield _Shifted(first, -1)
                yield from fmt.regex.finditer(haystack, first.end() - 1)
                return
        if not fmt.anchored:
            yield from fmt.regex.finditer(haystack)
            return
        starts = sorted(
            {p for k in fmt.keywords if self.has(k, fmt.token) for p in self.positions(k)}
        )
        reached = 0
        for position in starts:
            if position < reached:
                continue
            if fmt.before:
                match = fmt.regex.search(haystack, max(0, position - fmt.before))
                if match is None or match.start() > position:
                    continue
            else:
                match = fmt.regex.match(haystack, position)
            if match:
                reached = match.end()
                yield match


def _span(match: Match, group: int) -> tuple[int, int]:
    """The span of ``group``; -1 is the first group that took part in the match."""
    if group >= 0:
        return match.span(group)
    groups = match.re.groups if isinstance(match, re.Match) else match.groups
    for number in range(1, groups + 1):
        span = match.span(number)
        if span[0] >= 0:
            return span
    return match.span()


class _Shifted:
    """A match found on a copy of the text with one character in front, placed on the text."""

    def __init__(self, match: re.Match[str], shift: int) -> None:
        self._match = match
        self._shift = shift
        self.groups = match.re.groups

    def span(self, group: int = 0) -> tuple[int, int]:
        start, end = self._match.span(group)
        return (start + self._shift, end + self._shift) if start >= 0 else (start, end)

    def start(self) -> int:
        return self.span()[0]

    def end(self) -> int:
        return self.span()[1]


Match = re.Match[str] | _Shifted


def _accepted(fmt: SecretFormat, scan: _Scan, match: Match, table: Table) -> bool:
    start, end = _span(match, fmt.group)
    text = scan.text
    if start < 0 or start == end:
        return False
    if not fmt.back and match.end() - match.start() < fmt.min_length:
        return False
    if fmt.boundary and start > 0 and (text[start - 1].isalnum() or text[start - 1] == "_"):
        return False
    if fmt.line_prefix is not None:
        haystack = scan.lowered
        line_start = haystack.rfind("\n", 0, match.start()) + 1
        if not fmt.line_prefix.fullmatch(haystack, line_start, match.start()):
            return False
    value = text[start:end]
    if fmt.placeholders and table.not_a_value.match(scan.lowered, start):
        return False
    if fmt.mixed and not (any(c.isdigit() for c in value) and any(c.isalpha() for c in value)):
        return False
    if fmt.max_word_share < 1.0 and word_share(value) > fmt.max_word_share:
        return False
    return not (fmt.entropy and entropy(value) < fmt.entropy)


def find_secrets(
    text: str, formats: Iterable[SecretFormat] = FORMATS, table: Table = TABLE_DATA
) -> list[tuple[int, int, str]]:
    """Spans of the secrets in ``text`` as (start, end, kind), sorted, overlaps merged, and
    never covering renga's prompt scaffolding."""
    scan = _Scan(text)
    spans: list[tuple[int, int, int, str]] = []
    # Where two formats find the same secret, the earlier (more specific) one names it.
    for rank, fmt in enumerate(formats):
        if fmt.keywords and not any(scan.has(k, fmt.token) for k in fmt.keywords):
            continue
        if fmt.in_runs is not None and not scan.runs_have(fmt.in_runs):
            continue
        for match in scan.matches(fmt):
            if not _accepted(fmt, scan, match, table):
                continue
            start, end = _span(match, fmt.group)
            if fmt.back:
                start = _extend_back(text, start)
                if end - start < fmt.min_length:
                    continue
            spans.append((start, rank, end, fmt.kind))
    if not spans:
        return []
    spans.sort()
    merged: list[tuple[int, int, str]] = []
    for start, _rank, end, kind in spans:
        if merged and start < merged[-1][1]:
            last = merged[-1]
            merged[-1] = (last[0], max(last[1], end), last[2])
        else:
            merged.append((start, end, kind))
    return _around_scaffolding(text, merged, table)


def _around_scaffolding(
    text: str, spans: list[tuple[int, int, str]], table: Table
) -> list[tuple[int, int, str]]:
    """``spans`` cut so that none covers a piece of renga's prompt (hole marker, tags)."""
    if not any(hint in text for hint in table.keep_hint):
        return spans
    kept = [m.span() for m in table.keep.finditer(text)]
    if not kept:
        return spans
    out: list[tuple[int, int, str]] = []
    for start, end, kind in spans:
        pieces = [(start, end)]
        for k_start, k_end in kept:
            if k_end <= start or k_start >= end:
                continue
            cut = []
            for p_start, p_end in pieces:
                if k_end <= p_start or k_start >= p_end:
                    cut.append((p_start, p_end))
                    continue
                if p_start < k_start:
                    cut.append((p_start, k_start))
                if k_end < p_end:
                    cut.append((k_end, p_end))
            pieces = cut
        out.extend((s, e, kind) for s, e in pieces if text[s:e].strip())
    return out


def redact(text: str, formats: Iterable[SecretFormat] = FORMATS) -> tuple[str, int]:
    """``text`` with every secret replaced by ``[REDACTED:kind]``, and the count replaced."""
    spans = find_secrets(text, formats)
    if not spans:
        return text, 0
    out: list[str] = []
    position = 0
    for start, end, kind in spans:
        out.append(text[position:start])
        out.append(f"{REDACTED}{kind}]")
        position = end
    out.append(text[position:])
    return "".join(out), len(spans)


# A paragraph break no format reaches across: key blocks, Kubernetes env pairs, curl lines and
# assignments all live within a paragraph, so a text is redacted paragraph by paragraph.
_PARAGRAPH = re.compile(r"\n[ \t]*\n")


@functools.lru_cache(maxsize=512)
def _redact_paragraph(text: str) -> tuple[str, int]:
    return redact(text)


def redact_cached(text: str) -> tuple[str, int]:
    """:func:`redact`, remembering paragraphs: on each keystroke a prompt differs from the last
    in one paragraph, and only that one is searched again."""
    if len(text) < 512:
        return _redact_paragraph(text)
    out: list[str] = []
    count = 0
    position = 0
    for match in _PARAGRAPH.finditer(text):
        redacted, n = _redact_paragraph(text[position : match.start()])
        out.append(redacted)
        out.append(match.group())
        count += n
        position = match.end()
    redacted, n = _redact_paragraph(text[position:])
    out.append(redacted)
    return "".join(out), count + n


def redact_body(
    body: dict[str, Any], redactor: Callable[[str], tuple[str, int]] = redact_cached
) -> int:
    """Redact, in place, every text of a Messages API request body that carries prompt content
    (system prompt, messages, the assistant prefill), and return the count of secrets replaced."""
    total = 0

    def walk(value: Any) -> Any:
        nonlocal total
        if isinstance(value, str):
            redacted, n = redactor(value)
            total += n
            return redacted
        if isinstance(value, list):
            return [walk(v) for v in value]
        if isinstance(value, dict):
            return {k: walk(v) for k, v in value.items()}
        return value

    for key in ("system", "messages"):
        if key in body:
            body[key] = walk(body[key])
    return total
