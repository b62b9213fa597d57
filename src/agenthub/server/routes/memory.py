"""Shared memory routes, plus the `memory:set`, `memory:get`, `memory:watch` and `memory:unwatch` requests.
Keys may contain `/` and are taken whole from the path (`/api/memory/key/plan/step`)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query, Response, status

from agenthub.errors import InvalidField
from agenthub.models import Memory, MemoryCreate, MemoryUpdate, MemoryVersion, WatchRequest
from agenthub.server.deps import CurrentActor, HubDep, Limit
from agenthub.server.ws import Connection, handles

router = APIRouter(prefix="/api", tags=["memory"])
IfVersion = Annotated[int | None, Query(ge=0, description="delete only if the key is at this version")]


@router.post("/memory", status_code=status.HTTP_201_CREATED)
async def set_memory(body: MemoryCreate, actor: CurrentActor, hub: HubDep) -> Memory:
    """Create or update a key. `if_version` makes it a compare-and-set (409 with the current version)."""
    return await hub.memory.set(actor, body.key, body)


@router.get("/memory")
async def list_memory(actor: CurrentActor, hub: HubDep, prefix: str = "", limit: Limit = 50) -> list[Memory]:
    """Keys starting with `prefix` that I may read, in key order."""
    return await hub.memory.list_keys(actor, prefix, limit)


@router.get("/memory/key/{key:path}")
async def get_by_key(key: str, actor: CurrentActor, hub: HubDep) -> Memory:
    return await hub.memory.get(actor, key)


@router.put("/memory/key/{key:path}")
async def put_by_key(key: str, body: MemoryUpdate, actor: CurrentActor, hub: HubDep) -> Memory:
    return await hub.memory.set(actor, key, body)


@router.delete("/memory/key/{key:path}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_by_key(key: str, actor: CurrentActor, hub: HubDep, if_version: IfVersion = None) -> Response:
    await hub.memory.delete(actor, key, if_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@router.get("/memory/history/{key:path}")
async def history(key: str, actor: CurrentActor, hub: HubDep, limit: Limit = 50) -> list[MemoryVersion]:
    """The key's versions, oldest first (the last `limit`), including deletes and expiries."""
    return await hub.memory.history(actor, key, limit)


@router.get("/memory/{memory_id}")
async def get_by_id(memory_id: str, actor: CurrentActor, hub: HubDep) -> Memory:
    return await hub.memory.get_by_id(actor, memory_id)


@router.put("/memory/{memory_id}")
async def put_by_id(memory_id: str, body: MemoryUpdate, actor: CurrentActor, hub: HubDep) -> Memory:
    return await hub.memory.update_by_id(actor, memory_id, body)


@router.delete("/memory/{memory_id}", status_code=status.HTTP_204_NO_CONTENT)
async def delete_by_id(memory_id: str, actor: CurrentActor, hub: HubDep, if_version: IfVersion = None) -> Response:
    await hub.memory.delete_by_id(actor, memory_id, if_version)
    return Response(status_code=status.HTTP_204_NO_CONTENT)


@handles("memory:set")
async def ws_set(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """`{"key", "value", "if_version"?, "ttl_seconds"?, "access_control"?}`; acknowledged with the stored entry."""
    body = MemoryCreate.model_validate(data)
    return (await conn.hub.memory.set(conn.actor, body.key, body)).model_dump(mode="json")


@handles("memory:get")
async def ws_get(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    key = data.get("key")
    if not isinstance(key, str):
        raise InvalidField("key must be a string", code="invalid_field")
    return (await conn.hub.memory.get(conn.actor, key)).model_dump(mode="json")


@handles("memory:watch")
async def ws_watch(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """`{"prefix"}`: `memory:updated` for every change under the prefix, for as long as this connection lives.
    The ack carries the current values under the prefix."""
    request = WatchRequest.model_validate(data)
    session, memory = conn.session, conn.hub.memory
    if not memory.is_watching(session):
        conn.on_close.append(lambda: memory.unwatch(session))
    started = await conn.hub.memory.watch(conn.actor, conn.session, request.prefix)
    return started.model_dump(mode="json")


@handles("memory:unwatch")
async def ws_unwatch(conn: Connection, data: dict[str, Any]) -> dict[str, Any]:
    """`{"prefix"}` stops that watch; `{}` stops them all."""
    prefix = data.get("prefix")
    if prefix is not None and not isinstance(prefix, str):
        raise InvalidField("prefix must be a string", code="invalid_field")
    conn.hub.memory.unwatch(conn.session, prefix)
    return {}
