"""The context of a cursor, as sections the prompt builder lays out."""

from __future__ import annotations

from dataclasses import dataclass, field


def estimate_tokens(text: str) -> int:
    """A local token estimate (no offline Claude tokenizer exists); about 3.5 characters a token
    for code. Callers calibrate it against the usage the API reports."""
    return (len(text) * 2 + 6) // 7


@dataclass
class Section:
    """A piece of context: ``kind`` says what it is (scope, import, definition, recent edit),
    ``source`` where it came from (a path, or ``buffer``)."""

    kind: str
    source: str
    text: str
    # Stable sections go first in the prompt, where the prompt cache can hold them.
    stable: bool = False

    @property
    def tokens(self) -> int:
        return estimate_tokens(self.text)


@dataclass
class CursorContext:
    """Everything the prompt builder needs for one completion."""

    path: str
    language: str
    prefix: str
    suffix: str
    indent: str = ""
    sections: list[Section] = field(default_factory=list)
    # Whether a multi-line completion (a block) is wanted here, or the rest of the line.
    multiline: bool = True
