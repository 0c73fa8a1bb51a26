"""Reading source files from disk, where the bytes are whatever the user has.

Every file renga reads itself (``renga complete``, and context from files that are not open)
goes through :func:`read_source`: the size is checked before anything is read, so a 50 MB log
or a generated bundle costs one ``stat``; a NUL byte marks a binary file; invalid UTF-8 (a
Latin-1 file, a truncated write) is decoded with replacement characters instead of failing.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from pathlib import Path

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class SourceFile:
    text: str
    # False when the bytes were not valid UTF-8 and some were replaced by U+FFFD.
    clean_utf8: bool = True


@dataclass(frozen=True)
class Skipped:
    reason: str


def read_source(path: str | Path, max_bytes: int) -> SourceFile | Skipped:
    """The text of ``path``, or why it is skipped (too large, binary, unreadable)."""
    p = Path(path)
    try:
        size = p.stat().st_size
        if size > max_bytes:
            return Skipped(f"{size} bytes, over context.maxFileBytes ({max_bytes})")
        with p.open("rb") as f:
            data = f.read(max_bytes + 1)
    except OSError as exc:
        return Skipped(f"unreadable: {exc.strerror or exc}")
    if len(data) > max_bytes:  # grew since the stat
        return Skipped(f"over context.maxFileBytes ({max_bytes})")
    if b"\0" in data:
        return Skipped("binary content (NUL bytes)")
    try:
        return SourceFile(data.decode("utf-8"))
    except UnicodeDecodeError:
        log.info("%s is not valid UTF-8: invalid bytes read as U+FFFD", p)
        return SourceFile(data.decode("utf-8", errors="replace"), clean_utf8=False)
