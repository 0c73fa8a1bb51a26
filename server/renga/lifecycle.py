"""JSON-RPC lifecycle rules pygls leaves out, so a confused or broken client gets an answer.

pygls 2.x, checked by running it: a request whose params do not match the method's type is
logged and dropped (the client waits forever); requests after ``shutdown`` are dropped as well;
requests before ``initialize`` are handled as if the server were initialized (and fail inside
pygls when they touch the workspace). The LSP specification asks instead for:

- before ``initialize``: requests fail with ``ServerNotInitialized`` (-32002), notifications
  are dropped (except ``exit``);
- after ``shutdown``: requests fail with ``InvalidRequest`` (-32600);
- params of the wrong shape: ``InvalidParams`` (-32602), and the server keeps serving.

And an answer that arrives after renga gave up waiting for it is dropped quietly (pygls raised
``InvalidStateError`` into the log).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

from lsprotocol import types
from pygls.exceptions import (
    JsonRpcException,
    JsonRpcInvalidParams,
    JsonRpcInvalidRequest,
    JsonRpcServerNotInitialized,
)
from pygls.protocol import LanguageServerProtocol

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class MalformedRequest:
    """A request pygls could not deserialize: answered with an error instead of dropped."""

    id: int | str
    method: str
    jsonrpc: str = "2.0"


class LifecycleProtocol(LanguageServerProtocol):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.initialize_received = False

    def structure_message(self, data: dict[str, Any]) -> Any:
        try:
            return super().structure_message(data)
        except JsonRpcException:
            if isinstance(data, dict) and "id" in data and isinstance(data.get("method"), str):
                return MalformedRequest(id=data["id"], method=data["method"])
            raise  # a malformed notification: pygls logs it and reads on

    def _refuse(self, msg_id: int | str, error: JsonRpcException, message: str) -> None:
        self._send_response(
            msg_id, error=types.ResponseError(code=error.CODE, message=f"renga: {message}")
        )

    def handle_message(self, message: Any) -> None:
        method = getattr(message, "method", None)
        msg_id = getattr(message, "id", None)
        is_request = isinstance(method, str) and msg_id is not None
        if isinstance(message, MalformedRequest):
            log.info("request %s had params of the wrong shape: answered InvalidParams", method)
            self._refuse(message.id, JsonRpcInvalidParams(), f"invalid params for {method}")
            return
        if not isinstance(method, str) and msg_id is not None:
            # A client's answer to a request renga stopped waiting for (a timed-out
            # workspace/configuration): pygls would raise InvalidStateError setting its result.
            pending = self._request_futures.get(msg_id)
            if pending is not None and pending.done():
                self._request_futures.pop(msg_id, None)
                log.debug("late answer to request %s ignored", msg_id)
                return
        if not isinstance(method, str) or method == types.EXIT:
            super().handle_message(message)
            return
        if self._shutdown:
            if is_request:
                assert msg_id is not None
                self._refuse(msg_id, JsonRpcInvalidRequest(), "the server is shutting down")
            return
        if not self.initialize_received:
            if method == types.INITIALIZE:
                self.initialize_received = True
            else:
                if is_request:
                    assert msg_id is not None
                    self._refuse(
                        msg_id, JsonRpcServerNotInitialized(), "initialize has not been received"
                    )
                return
        super().handle_message(message)
