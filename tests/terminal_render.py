"""A terminal screen, as ``tmux capture-pane -e -p`` prints it, rendered to a PNG: the SGR escape
codes become styled HTML spans and headless Chromium takes the picture. Enough of SGR for what
Neovim draws: 16/256/truecolor foreground and background, bold, italic, underline, reverse."""

from __future__ import annotations

import html
import re
import subprocess
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

_SGR = re.compile(r"\x1b\[([0-9;:]*)m")
_OTHER_ESCAPE = re.compile(r"\x1b\[[0-9;?]*[A-Za-z]|\x1b[()][0-9A-Za-z]|\x1b[=>]")
_BASE16 = [
    "#1e1e1e", "#cd3131", "#0dbc79", "#e5e510", "#2472c8", "#bc3fbc", "#11a8cd", "#e5e5e5",
    "#666666", "#f14c4c", "#23d18b", "#f5f543", "#3b8eea", "#d670d6", "#29b8db", "#ffffff",
]  # fmt: skip
FOREGROUND, BACKGROUND = "#e0e2ea", "#14161b"  # Neovim 0.10+'s default dark scheme


def _xterm256(n: int) -> str:
    if n < 16:
        return _BASE16[n]
    if n < 232:
        n -= 16
        steps = [0, 95, 135, 175, 215, 255]
        return f"#{steps[n // 36]:02x}{steps[(n // 6) % 6]:02x}{steps[n % 6]:02x}"
    grey = 8 + (n - 232) * 10
    return f"#{grey:02x}{grey:02x}{grey:02x}"


@dataclass(frozen=True)
class Style:
    fg: str | None = None
    bg: str | None = None
    bold: bool = False
    italic: bool = False
    underline: bool = False
    reverse: bool = False

    def css(self) -> str:
        fg, bg = self.fg or FOREGROUND, self.bg or BACKGROUND
        if self.reverse:
            fg, bg = bg, fg
        parts = [f"color:{fg}", f"background:{bg}"]
        if self.bold:
            parts.append("font-weight:bold")
        if self.italic:
            parts.append("font-style:italic")
        if self.underline:
            parts.append("text-decoration:underline")
        return ";".join(parts)


def _apply(style: Style, params: str) -> Style:
    codes = [int(c) if c.isdigit() else 0 for c in re.split(r"[;:]", params or "0")]
    i = 0
    while i < len(codes):
        c = codes[i]
        if c == 0:
            style = Style()
        elif c == 1:
            style = replace(style, bold=True)
        elif c == 3:
            style = replace(style, italic=True)
        elif c == 4:
            style = replace(style, underline=True)
        elif c == 7:
            style = replace(style, reverse=True)
        elif c == 22:
            style = replace(style, bold=False)
        elif c == 23:
            style = replace(style, italic=False)
        elif c == 24:
            style = replace(style, underline=False)
        elif c == 27:
            style = replace(style, reverse=False)
        elif c in (38, 48) and i + 1 < len(codes):
            if codes[i + 1] == 5 and i + 2 < len(codes):
                color, i = _xterm256(codes[i + 2]), i + 2
            elif codes[i + 1] == 2 and i + 4 < len(codes):
                r, g, b = codes[i + 2 : i + 5]
                color, i = f"#{r:02x}{g:02x}{b:02x}", i + 4
            else:
                color = None
            style = replace(style, **{"fg" if c == 38 else "bg": color})
        elif c == 39:
            style = replace(style, fg=None)
        elif c == 49:
            style = replace(style, bg=None)
        elif 30 <= c <= 37 or 90 <= c <= 97:
            style = replace(style, fg=_BASE16[c - 30 if c < 90 else c - 82])
        elif 40 <= c <= 47 or 100 <= c <= 107:
            style = replace(style, bg=_BASE16[c - 40 if c < 100 else c - 92])
        i += 1
    return style


def to_html(screen: str, title: str = "") -> str:
    rows = []
    style = Style()
    for line in screen.rstrip("\n").split("\n"):
        out = []
        pos = 0
        for match in _SGR.finditer(line):
            text = _OTHER_ESCAPE.sub("", line[pos : match.start()])
            if text:
                out.append(f'<span style="{style.css()}">{html.escape(text)}</span>')
            style = _apply(style, match.group(1))
            pos = match.end()
        text = _OTHER_ESCAPE.sub("", line[pos:])
        if text:
            out.append(f'<span style="{style.css()}">{html.escape(text)}</span>')
        rows.append("".join(out) or " ")
    body = "\n".join(rows)
    return (
        "<!doctype html><meta charset=utf-8><title>"
        + html.escape(title)
        + "</title><style>html,body{margin:0;background:"
        + BACKGROUND
        + "}pre{margin:0;padding:8px;font:15px/1.25 'DejaVu Sans Mono',monospace;color:"
        + FOREGROUND
        + "}</style><pre>"
        + body
        + "</pre>"
    )


def render_png(screen: str, out: Path, *, columns: int, rows: int, chromium: str) -> Path:
    """Render the captured screen to ``out`` with headless Chromium; returns ``out``."""
    width, height = columns * 9 + 16, int(rows * 18.75) + 16
    with tempfile.TemporaryDirectory() as tmp:
        page = Path(tmp) / "screen.html"
        page.write_text(to_html(screen), encoding="utf-8")
        subprocess.run(
            [
                chromium,
                "--headless",
                "--no-sandbox",
                "--disable-gpu",
                "--disable-quic",
                "--no-first-run",
                "--disable-background-networking",
                "--disable-component-update",
                "--disable-sync",
                "--disable-dev-shm-usage",
                "--hide-scrollbars",
                f"--user-data-dir={tmp}/profile",
                f"--window-size={width},{height}",
                f"--screenshot={out}",
                page.as_uri(),
            ],
            check=True,
            capture_output=True,
            timeout=60,
        )
    return out
