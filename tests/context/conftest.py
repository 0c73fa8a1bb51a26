"""The context engine keeps per-document state by URI across requests; tests reuse URIs."""

from __future__ import annotations

import pytest

from renga.context.stable import STABLE
from renga.context.tagcache import TAGS


@pytest.fixture(autouse=True)
def fresh_state() -> None:
    for uri in list(TAGS._entries):
        TAGS.forget(uri)
    for uri in list(STABLE._entries):
        STABLE.forget(uri)
