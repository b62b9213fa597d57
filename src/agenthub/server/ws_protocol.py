"""uvicorn's WebSocket protocol, plus one ASGI extension: several text frames in one `websocket.send`.

A fan-out or a burst of acks leaves many frames in one connection's outbox. Sent one ASGI message at a time,
each frame pays Starlette's and uvicorn's per-message checks and its own `write` system call; at 100
subscribers that was most of the hub's cost per delivery. With this protocol, the server advertises
`scope["extensions"]["agenthub.send_many"]`, and the app may send
`{"type": "websocket.send", "texts": [...]}`: every text becomes its own frame, as the wire protocol
requires, and they leave in one write. Any other server does not advertise it, and the app sends frame by
frame (`server/ws.py`).

Only `agenthub serve` uses this class: uvicorn takes it as `ws=`.
"""

from __future__ import annotations

from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.exceptions import InvalidState

from agenthub.server.ws import SEND_MANY


class BatchingWebSocketProtocol(WebSocketsSansIOProtocol):
    def handle_connect(self, event: Any) -> None:
        super().handle_connect(event)
        scope = getattr(self, "scope", None)  # unset when the handshake was refused
        if scope is not None:  # the app's task has been created but has not run yet
            scope["extensions"][SEND_MANY] = {}

    async def send(self, message: Any) -> None:
        texts: list[str] | None = message.get("texts") if message["type"] == "websocket.send" else None
        if texts is None:
            await super().send(message)
            return
        await self.writable.wait()
        if self.transport.is_closing():
            raise ClientDisconnected()
        if not self.handshake_complete or self.close_sent:
            raise RuntimeError("websocket.send with texts needs an open connection")
        try:
            for text in texts:
                self.conn.send_text(text.encode())
        except InvalidState:
            raise ClientDisconnected() from None
        self.transport.write(b"".join(self.conn.data_to_send()))
