"""Log levels, with a TRACE level below DEBUG for prompt text.

Only renga's own loggers follow ``logLevel``; the libraries' stay at WARNING, because the SDK
logs request bodies and pygls logs every message (document text) at their DEBUG and INFO levels.
Prompt text is logged only at TRACE, and only after redaction. The API key is never logged.
"""

from __future__ import annotations

import logging

TRACE = 5
logging.addLevelName(TRACE, "TRACE")

LEVELS = {
    "error": logging.ERROR,
    "warning": logging.WARNING,
    "info": logging.INFO,
    "debug": logging.DEBUG,
    "trace": TRACE,
}


def set_level(name: str) -> None:
    """Apply the ``logLevel`` setting (an unknown name means ``info``)."""
    logging.getLogger().setLevel(logging.WARNING)
    logging.getLogger("renga").setLevel(LEVELS.get(name, logging.INFO))
