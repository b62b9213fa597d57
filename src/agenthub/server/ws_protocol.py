"""uvicorn's WebSocket protocol, plus one ASGI extension: several text frames in one `websocket.send`.

A fan-out or a burst of acks leaves many frames in one connection's outbox. Sent one ASGI message at a time,
each frame pays Starlette's and uvicorn's per-message checks and its own `write` system call; at 100
subscribers that was most of the hub's cost per delivery. With this protocol, the server advertises
`scope["extensions"]["agenthub.send_many"]`, and the app may send
`{"type": "websocket.send", "texts": [...]}`: every text becomes its own frame, as the wire protocol
requires, and they leave in one write. Any other server does not advertise it, and the app sends frame by
frame (`server/ws.py`).

The frames are made here (`text_frame`) rather than by `websockets`, whose general path (a `Frame`, its
checks, a buffer) cost a fan-out to 100 subscribers about a fifth of its rate; with an extension
negotiated (compression), `websockets` makes them as before.

Only `agenthub serve` uses this class: uvicorn takes it as `ws=`.
"""

from __future__ import annotations

import struct
from typing import Any

from uvicorn.protocols.utils import ClientDisconnected
from uvicorn.protocols.websockets.websockets_sansio_impl import WebSocketsSansIOProtocol
from websockets.protocol import State

from agenthub.server.ws import SEND_MANY

_FINAL_TEXT = 0x81  # FIN and the text opcode


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
        if self.conn.state is not State.OPEN:
            raise ClientDisconnected()
        if self.conn.extensions:  # a negotiated extension (compression) rewrites frames: let `websockets` make them
            for text in texts:
                self.conn.send_text(text.encode())
            self.transport.write(b"".join(self.conn.data_to_send()))
            return
        # Frames already queued by `websockets` (a pong, say) go first, then each text as a frame of its own.
        self.transport.write(b"".join([*self.conn.data_to_send(), *map(text_frame, texts)]))


def text_frame(text: str) -> bytes:
    """A whole, unmasked text frame, as a server sends it (RFC 6455, section 5.2): what `websockets` would make
    of it without extensions, made here because its general path costs several times as much per frame."""
    payload = text.encode()
    length = len(payload)
    if length < 126:
        return bytes((_FINAL_TEXT, length)) + payload
    if length < 65536:
        return struct.pack("!BBH", _FINAL_TEXT, 126, length) + payload
    return struct.pack("!BBQ", _FINAL_TEXT, 127, length) + payload
