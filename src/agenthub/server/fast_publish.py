"""`POST /api/messages` without FastAPI's routing and dependency solving, when the request is a good one.

A durable publish is a few tens of microseconds of hub work, while FastAPI's route matching, dependency
solving and per-request exception scaffolding cost several times that. This pure ASGI layer sits inside the
body guards (`server/limits.py`), answers a well-formed, authorised publish itself, and passes every other
request on untouched. A publish it cannot take whole (no bearer token, a body that does not parse or
validate, a content type other than JSON) goes on to the FastAPI route with its body replayed, so every
error is answered exactly as the route answers it. The route stays the one the OpenAPI schema describes.
"""

from __future__ import annotations

from pydantic import ValidationError
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from agenthub.errors import AgentHubError
from agenthub.hub import Hub
from agenthub.models import MessageCreate
from agenthub.server.errors import error_response, out_of_range

PATH = "/api/messages"
_JSON = (b"application/json", b"")


class FastPublish:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["path"] != PATH or scope["method"] != "POST":
            await self.app(scope, receive, send)
            return
        token = None
        content_type = b""
        for name, value in scope["headers"]:
            if name == b"authorization":
                scheme, _, credentials = value.decode("latin-1").partition(" ")
                if scheme.lower() == "bearer" and credentials.strip():
                    token = credentials.strip()
            elif name == b"content-type":
                content_type = value.split(b";", 1)[0].strip().lower()
        body, more = await _read_body(receive)
        if token is None or more or content_type not in _JSON:
            await self.app(scope, _replay(body, more, receive), send)
            return
        try:
            item = MessageCreate.model_validate_json(body)
        except ValidationError:  # the route answers it, with the details FastAPI gives
            await self.app(scope, _replay(body, more, receive), send)
            return
        hub: Hub = scope["app"].state.hub
        response: Response
        try:
            actor = await hub.agents.authenticate(token)
            hub.limiter.check(actor)
            [message] = await hub.messages.publish(actor, [item])
        except AgentHubError as exc:
            response = error_response(exc)
        except OverflowError:
            response = error_response(out_of_range())
        else:
            response = Response(
                message.model_dump_json(), status_code=200 if message.duplicate else 201, media_type="application/json"
            )
        await response(scope, receive, send)


async def _read_body(receive: Receive) -> tuple[bytes, Message | None]:
    """The whole body; or, when the client went away first, what came and the message that said so."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), message
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks), None


def _replay(body: bytes, last: Message | None, receive: Receive) -> Receive:
    """A `receive` that gives the body already read, then whatever came after it."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": last is not None}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
