"""Small, named rules that turn the model's answer into text safe to show as ghost text.

Each rule takes the text and the :class:`Spot` (what is known about the cursor) and returns the
text it keeps. :func:`known_complete` tells the streaming loop when it may stop reading, and
:func:`adds_syntax_errors` is the last gate: a completion that, spliced into the document, adds
tree-sitter errors is not shown.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

import tree_sitter as ts

from renga.completion.shape import region
from renga.privacy import REDACTED
from renga.prompts.completion import CLOSE, HOLE, OPEN
from renga.syntax.document import Document
from renga.syntax.languages import Language


@dataclass(frozen=True)
class Spot:
    """What a rule may need to know about the cursor."""

    prefix: str
    suffix: str
    multiline: bool
    # Lines after the first indented by fewer columns than this are outside the enclosing block.
    min_indent: int = 0

    @property
    def line_prefix(self) -> str:
        return self.prefix.rsplit("\n", 1)[-1]

    @property
    def line_suffix(self) -> str:
        return self.suffix.split("\n", 1)[0]

    @property
    def next_code_line(self) -> str:
        """The first non-blank line after the cursor's line, stripped ('' when none)."""
        for line in self.suffix.split("\n")[1:]:
            if line.strip():
                return line.strip()
        return ""


Rule = Callable[[str, Spot], str]

_FENCE = re.compile(r"^\s*```[\w+.-]*[ \t]*\n?(.*?)(?:\n?```\s*)?$", re.DOTALL)
_PROSE = re.compile(r"^(here('s| is)|sure|certainly|the completion|completion)\b.*:\s*$", re.I)
_OPENERS, _CLOSERS = "([{", ")]}"


def _indent(line: str) -> int:
    return len(line) - len(line.lstrip(" \t"))


def strip_markers(text: str, spot: Spot) -> str:
    """Remove ``<fill>`` tags (present when the model was not prefilled) and any echo of the
    hole marker."""
    start = text.find(OPEN)
    if start != -1:
        text = text[start + len(OPEN) :]
    end = text.find(CLOSE)
    if end != -1:
        text = text[:end]
    return text.replace(HOLE, "")


def strip_fences(text: str, spot: Spot) -> str:
    """Drop a Markdown fence around the answer."""
    match = _FENCE.match(text)
    if match and text.lstrip().startswith("```"):
        return match.group(1)
    return text


def strip_prose(text: str, spot: Spot) -> str:
    """Drop a chatty lead-in line such as "Here is the completion:"."""
    first, nl, rest = text.partition("\n")
    if nl and _PROSE.match(first.strip()):
        return strip_fences(rest, spot)
    return text


def keep_indentation(text: str, spot: Spot) -> str:
    """On an indented blank line the cursor already stands at the block's indentation: drop the
    same indentation when the model repeats it at the start of its answer."""
    line_prefix = spot.line_prefix
    if line_prefix.strip() or not line_prefix:
        return text
    lead = _indent(text)
    if lead and text[:lead].expandtabs(4) >= line_prefix.expandtabs(4):
        return text[min(lead, len(line_prefix)) :]
    return text


def single_line(text: str, spot: Spot) -> str:
    """Mid-line, only the rest of the line is wanted."""
    return text if spot.multiline else text.split("\n", 1)[0]


def cut_at_block_end(text: str, spot: Spot) -> str:
    """Never more than the enclosing block: stop before the first line indented less than it."""
    if not spot.multiline or "\n" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() and _indent(line) < spot.min_indent:
            return "\n".join(lines[:i])
    return text


def cut_at_suffix_line(text: str, spot: Spot) -> str:
    """Stop before a line that repeats the next line of code after the cursor."""
    target = spot.next_code_line
    if not target or "\n" not in text:
        return text
    lines = text.split("\n")
    for i, line in enumerate(lines[1:], start=1):
        if line.strip() == target:
            return "\n".join(lines[:i])
    return text


def drop_suffix_overlap(text: str, spot: Spot) -> str:
    """Remove a tail that repeats what already follows the cursor."""
    suffix = spot.suffix.lstrip(" \t")
    if not suffix or not text:
        return text
    line_suffix = spot.line_suffix.strip()
    if line_suffix and text.endswith(line_suffix):
        return text[: len(text) - len(line_suffix)]
    for n in range(min(len(text), len(suffix)), 0, -1):
        if text.endswith(suffix[:n]) and (
            n >= 3 or suffix[:n].strip() in (")", "]", "}", '"', "'")
        ):
            return text[: len(text) - n]
    return text


def balance_brackets(text: str, spot: Spot) -> str:
    """Drop closing brackets at the end of the answer that nothing in it opened when the code
    after the cursor already closes them (the model closed the call the editor auto-closed)."""
    depth: list[str] = []
    unmatched = 0
    for ch in text:
        if ch in _OPENERS:
            depth.append(ch)
        elif ch in _CLOSERS:
            if depth and _OPENERS.index(depth[-1]) == _CLOSERS.index(ch):
                depth.pop()
            else:
                unmatched += 1
    if not unmatched:
        return text
    ahead = spot.line_suffix.replace(" ", "")
    while unmatched and text.rstrip() and text.rstrip()[-1] in _CLOSERS:
        body = text.rstrip()
        if not ahead.startswith(body[-1]):
            break
        text, ahead, unmatched = body[:-1], ahead[1:], unmatched - 1
    return text


def trim_trailing_space(text: str, spot: Spot) -> str:
    return text.rstrip() if "\n" in text or not spot.multiline else text.rstrip(" \t")


def drop_redaction_echo(text: str, spot: Spot) -> str:
    """Secrets are redacted from the prompt; a model that repeats a redaction marker would write
    it into the user's code, so such an answer is not shown."""
    return "" if REDACTED in text else text


RULES: list[Rule] = [
    strip_markers,
    strip_fences,
    strip_prose,
    keep_indentation,
    single_line,
    cut_at_block_end,
    cut_at_suffix_line,
    drop_suffix_overlap,
    balance_brackets,
    trim_trailing_space,
    drop_redaction_echo,
]


def postprocess(text: str, spot: Spot, rules: list[Rule] | None = None) -> str:
    for rule in RULES if rules is None else rules:
        text = rule(text, spot)
        if not text.strip():
            return ""
    return text


def meets_code_below(raw: str, shown: str, spot: Spot) -> bool:
    """Whether the answer, kept as ``shown``, ends where the code after the cursor takes over:
    mid-line (the rest of the line follows it), or the model's next line repeats the next line
    of code. Typed to its end, such an answer leaves nothing to ask the model at that spot."""
    if not spot.multiline:
        return True
    target = spot.next_code_line
    if not target:
        return False
    lines = strip_markers(raw, spot).split("\n")[shown.count("\n") + 1 :]
    following = next((line for line in lines if line.strip()), "")
    return following.strip() == target


def known_complete(raw: str, spot: Spot) -> bool:
    """Whether the streamed answer so far can only end the same way: the close tag, the end of
    the line when a line is wanted, a line that leaves the block or repeats the code after the
    cursor. Checked on every piece, so reading (and paying) stops there."""
    if CLOSE in raw:
        return True
    text = raw[raw.find(OPEN) + len(OPEN) :] if OPEN in raw else raw
    if text.lstrip().startswith("```"):
        text = text.lstrip().partition("\n")[2]
    if "\n" not in text:
        return False
    if not spot.multiline:
        return True
    done = text.split("\n")[1:-1]  # whole lines after the first; the last may still grow
    target = spot.next_code_line
    for line in done:
        if line.strip() and (_indent(line) < spot.min_indent or line.strip() == target):
            return True
        if line.strip().startswith("```"):
            return True
    return False


# -- the syntax gate -------------------------------------------------------------------------


def _errors(node: ts.Node) -> int:
    """ERROR and MISSING nodes, descending only into subtrees that hold one."""
    if not (node.has_error or node.is_missing):
        return 0
    if node.is_error or node.is_missing:
        return 1
    return sum(_errors(child) for child in node.children)


@dataclass(frozen=True)
class Snapshot:
    """The code around the cursor as it was when the completion was asked for (the user keeps
    typing while the model answers): the top-level nodes around the cursor, which hold anything
    a completion there can break."""

    language: Language | None
    # The text of that region, and the cursor's offset in it.
    text: bytes
    offset: int

    @classmethod
    def of(cls, doc: Document, offset: int) -> Snapshot:
        if doc.tree is None or doc.language is None:
            return cls(None, b"", 0)
        start, end = region(doc.tree, offset, len(doc.source))
        end = max(end, offset)
        line_end = doc.source.find(b"\n", end)
        end = len(doc.source) if line_end == -1 else line_end + 1
        return cls(doc.language, doc.source[start:end], offset - start)


def adds_syntax_errors(snap: Snapshot, text: str) -> bool:
    """Whether ``text`` inserted at the cursor leaves more syntax errors in the code around it
    than there were. Only the region is parsed, so a 50,000-line file costs what a function does."""
    if snap.language is None or not text:
        return False
    new = text.encode("utf-8", errors="surrogatepass")
    parser = _parser(snap.language)
    before = parser.parse(snap.text)
    after = parser.parse(snap.text[: snap.offset] + new + snap.text[snap.offset :])
    return _errors(after.root_node) > _errors(before.root_node)


_PARSERS: dict[str, ts.Parser] = {}


def _parser(language: Language) -> ts.Parser:
    # One parser per language for the gate: requests run one at a time on the event loop.
    parser = _PARSERS.get(language.name)
    if parser is None:
        parser = _PARSERS[language.name] = language.parser()
    return parser
