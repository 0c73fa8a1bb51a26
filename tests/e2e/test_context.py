"""The context engine end to end: what an inline completion request sends to the model."""

from __future__ import annotations

from pathlib import Path

from pytest_lsp import LanguageClient

from anthropic_server import AnthropicTestServer, Reply
from lsp_support import inline_params, open_document


async def test_request_holds_a_far_scope_header_and_a_definition_from_another_open_document(
    renga: LanguageClient, anthropic_server: AnthropicTestServer, workspace: Path
) -> None:
    open_document(
        renga,
        workspace / "geometry.py",
        'def rotate_point(point, degrees):\n    """Rotate a point about the origin."""\n'
        "    return point\n",
    )
    methods = "".join(
        f"    def method_{i}(self, value):\n        return value + {i}\n\n" for i in range(400)
    )
    text = (
        "class Scene(Base):\n"
        + methods
        + "    def draw(self, p):\n        q = rotate_point(p, 90)\n        "
    )
    uri = open_document(renga, workspace / "scene.py", text)
    anthropic_server.enqueue(Reply(text="return q"))
    last = text.count("\n")
    result = await renga.text_document_inline_completion_async(inline_params(uri, last, 8))
    assert result is not None
    body = anthropic_server.messages_requests()[-1].body
    content = "\n".join(block["text"] for block in body["messages"][0]["content"])
    live = body["messages"][0]["content"][-1]["text"]
    # The class header is 1,200 lines above the cursor, outside the live window...
    window = live[live.index("<file ") :]
    assert "class Scene(Base):" not in window
    # ...and still in the request, as the enclosing scope.
    assert '<context kind="scope"' in live and "class Scene(Base):\n    def draw(self, p):" in live
    # The other open document's definition: signature and docstring, not the body.
    assert (
        'def rotate_point(point, degrees):\n    """Rotate a point about the origin."""' in content
    )
    assert "return point" not in content
