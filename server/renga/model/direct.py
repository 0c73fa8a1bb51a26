"""A streamed Messages API request without the SDK, for the first completions after start.

Importing the anthropic SDK takes most of a second (about 1,500 pydantic models are built), and
Python imports hold the interpreter lock: while it loads, nothing else gets faster by waiting. A
user who opens a file and types at once would see their first suggestion only after it. So
until the SDK has loaded (in a background thread), ``ModelClient`` sends a streamed completion
itself, over httpx2 (the HTTP library the SDK uses, quick to import), with the request the SDK
would send: the same body, API version and credentials headers (``tests/model/test_direct.py``
compares the two on the wire). Errors become the same ``ModelError`` the SDK path gives.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Mapping
from dataclasses import dataclass
from typing import Any

import httpx2

# The SDK's `anthropic-version` header (anthropic._constants.ANTHROPIC_API_VERSION); a test
# keeps the two equal when the SDK is upgraded.
API_VERSION = "2026-10-21"
DEFAULT_BASE_URL = "https://api.anthropic.com"


@dataclass(frozen=True)
class Event:
    """One server-sent event: what the SDK's ``AsyncStream.raw_events`` yields."""

    event: str | None
    data: str


def headers(environ: Mapping[str, str]) -> dict[str, str]:
    """The SDK's credentials headers (it sends the API key as a bearer token too)."""
    result = {
        "anthropic-version": API_VERSION,
        "content-type": "application/json",
        "accept": "application/json",
    }
    # Both set: the SDK lets the API key win.
    token = environ.get("ANTHROPIC_API_KEY") or environ.get("ANTHROPIC_AUTH_TOKEN")
    if token:
        result["authorization"] = f"Bearer {token}"
    return result


async def send(
    http: httpx2.AsyncClient,
    base_url: str,
    environ: Mapping[str, str],
    path: str,
    body: dict[str, Any],
    limits: httpx2.Timeout,
) -> httpx2.Response:
    """POST ``body`` to ``path`` of the API (``limits``: its connect and read timeouts); the
    response, open (its body not read yet), whatever its status."""
    url = (base_url or DEFAULT_BASE_URL).rstrip("/") + path
    request = http.build_request("POST", url, json=body, headers=headers(environ), timeout=limits)
    return await http.send(request, stream=True)


async def events(response: httpx2.Response) -> AsyncIterator[Event]:
    """The server-sent events of ``response`` (the text/event-stream format: ``event:`` and
    ``data:`` lines, a blank line ends an event, ``:`` lines are comments)."""
    name: str | None = None
    data: list[str] = []
    async for line in response.aiter_lines():
        if not line:
            if name is not None or data:
                yield Event(name, "\n".join(data))
            name, data = None, []
            continue
        field, _, value = line.partition(":")
        value = value.removeprefix(" ")
        if field == "event":
            name = value
        elif field == "data":
            data.append(value)
    if name is not None or data:
        yield Event(name, "\n".join(data))
