"""Small, named rules that turn the model's answer into text safe to show as ghost text."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from renga.prompts.completion import CLOSE, HOLE, OPEN


@dataclass(frozen=True)
class Spot:
    """What a rule may need to know about the cursor."""

    prefix: str
    suffix: str
    multiline: bool


Rule = Callable[[str, Spot], str]

_FENCE = re.compile(r"^\s*```[\w+.-]*[ \t]*\n?(.*?)(?:\n?```\s*)?$", re.DOTALL)


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
    if nl and re.match(r"^(here('s| is)|sure|certainly|the completion)\b.*:\s*$", first, re.I):
        return rest
    return text


def single_line(text: str, spot: Spot) -> str:
    """Mid-line, only the rest of the line is wanted."""
    return text if spot.multiline else text.split("\n", 1)[0]


def drop_suffix_overlap(text: str, spot: Spot) -> str:
    """Remove a tail that repeats what already follows the cursor."""
    suffix = spot.suffix.lstrip(" \t")
    if not suffix or not text:
        return text
    line_suffix = spot.suffix.split("\n", 1)[0]
    if line_suffix.strip() and text.endswith(line_suffix.strip()):
        return text[: len(text) - len(line_suffix.strip())]
    for n in range(min(len(text), len(suffix)), 0, -1):
        if text.endswith(suffix[:n]) and (
            n >= 3 or suffix[:n].strip() in (")", "]", "}", '"', "'")
        ):
            return text[: len(text) - n]
    return text


def trim_trailing_space(text: str, spot: Spot) -> str:
    return text.rstrip() if "\n" in text or not spot.multiline else text.rstrip(" \t")


RULES: list[Rule] = [
    strip_markers,
    strip_fences,
    strip_prose,
    single_line,
    drop_suffix_overlap,
    trim_trailing_space,
]


def postprocess(text: str, spot: Spot, rules: list[Rule] | None = None) -> str:
    for rule in RULES if rules is None else rules:
        text = rule(text, spot)
        if not text:
            return ""
    return text
