"""The ceiling: a do-nothing WebSocket server on the hub's stack (uvicorn + Starlette) that acknowledges
each request frame, so every hub figure also reads as a fraction of what the platform allows.

    python -m bench.ceiling PORT
"""

from __future__ import annotations

import sys

import orjson
import uvicorn
from starlette.applications import Starlette
from starlette.routing import WebSocketRoute
from starlette.websockets import WebSocket, WebSocketDisconnect


async def echo(websocket: WebSocket) -> None:
    await websocket.accept()
    try:
        while True:
            frame = orjson.loads(await websocket.receive_text())
            await websocket.send_text(orjson.dumps({"type": "ack", "id": frame.get("id"), "data": {}}).decode())
    except WebSocketDisconnect:
        return


app = Starlette(routes=[WebSocketRoute("/ws/{agent}", echo)])

if __name__ == "__main__":
    uvicorn.run(app, host="127.0.0.1", port=int(sys.argv[1]), log_level="warning", lifespan="off")
