"""`POST /api/messages` without FastAPI's stack, when the request is a good one.

A durable publish is a few tens of microseconds of hub work, while FastAPI's middleware stack, route
matching, dependency solving and per-request exception scaffolding cost several times that. `HubApp` is the
hub's FastAPI application with one difference: it answers a well-formed, authorised publish itself, before
any of that, and passes every other request on untouched. A publish it cannot take whole (no bearer token,
a body over the size limit or sent in another content type, a body that does not parse or validate) goes
on to the FastAPI route with its body replayed, so every such error is answered exactly as the route
answers it. The route stays the one the OpenAPI schema describes. Publishes taken here leave no
FastAPI OpenTelemetry span.
"""

from __future__ import annotations

from fastapi import FastAPI
from pydantic import ValidationError
from starlette.types import Message, Receive, Scope, Send

from agenthub.hub import Hub
from agenthub.models import MessageCreate
from agenthub.server.deps import bearer_token
from agenthub.server.errors import as_hub_error, error_response

PATH = "/api/messages"
_JSON = (b"application/json", b"")


class HubApp(FastAPI):
    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == PATH and scope["method"] == "POST":
            await self._publish(scope, receive, send)
        else:
            await super().__call__(scope, receive, send)

    async def _publish(self, scope: Scope, receive: Receive, send: Send) -> None:
        hub: Hub = self.state.hub
        limit = hub.settings.max_body_bytes
        token = None
        content_type = b""
        declared = 0
        for name, value in scope["headers"]:
            if name == b"authorization":
                token = bearer_token(value.decode("latin-1"))
            elif name == b"content-type":
                content_type = value.split(b";", 1)[0].strip().lower()
            elif name == b"content-length":
                declared = int(value) if value.isdigit() else limit + 1
        if not token or content_type not in _JSON or declared > limit:  # the route answers these
            await super().__call__(scope, receive, send)
            return
        body, complete, last = await _read_body(receive, limit)
        if not complete:  # too large, or the client went away: the route's guards deal with it
            await super().__call__(scope, _replay(body, complete, last, receive), send)
            return
        try:
            item = MessageCreate.model_validate_json(body)
        except ValidationError:  # the route answers it, with the details FastAPI gives
            await super().__call__(scope, _replay(body, True, None, receive), send)
            return
        try:
            actor = await hub.agents.authenticate(token)
            hub.limiter.check(actor)
            [message] = await hub.messages.publish(actor, [item])
        except Exception as exc:  # answered as the route's error handlers answer it
            await error_response(as_hub_error(exc, "unexpected error"))(scope, receive, send)
        else:
            content = message.model_dump_json().encode()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200 if message.duplicate else 201,
                    "headers": [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(content))],
                }
            )
            await send({"type": "http.response.body", "body": content})


async def _read_body(receive: Receive, limit: int) -> tuple[bytes, bool, Message | None]:
    """What came of the body; whether that is all of it (reading stops once it grows over `limit`); and the
    message that ended it early, when the client went away."""
    chunks: list[bytes] = []
    size = 0
    while True:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks), False, message
        chunk = message.get("body", b"")
        chunks.append(chunk)
        size += len(chunk)
        if size > limit:  # even if that was all of it: a body streamed in without a length can be over too
            return b"".join(chunks), False, None
        if not message.get("more_body", False):
            return b"".join(chunks), True, None


def _replay(body: bytes, complete: bool, last: Message | None, receive: Receive) -> Receive:
    """A `receive` that gives the body already read, then `last` (if any), then whatever comes after it."""
    pending: list[Message] = [{"type": "http.request", "body": body, "more_body": not complete}]
    if last is not None:
        pending.append(last)

    async def replayed() -> Message:
        return pending.pop(0) if pending else await receive()

    return replayed
