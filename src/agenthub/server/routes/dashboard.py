"""The web dashboard: the built bundle in `agenthub/dashboard/`, served at `/` (and `/ui/...`).

The page routes by hash (`/#/channels`), so every API path at the root stays the API's. Hashed assets
live under `/ui/assets/` and are cached for good; `index.html` is never cached, so a new bundle shows
on the next load. A hub installed without the bundle answers `/` with a page that says how to build it.
"""

from __future__ import annotations

import re
from pathlib import Path

from fastapi import APIRouter
from fastapi.responses import FileResponse, HTMLResponse, Response

from agenthub.errors import NotFound

router = APIRouter(include_in_schema=False)

BUNDLE = Path(__file__).resolve().parent.parent.parent / "dashboard"
_ASSET_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,200}")
_TYPES = {".js": "text/javascript", ".css": "text/css", ".svg": "image/svg+xml", ".woff2": "font/woff2"}
_MISSING = """<!doctype html><meta charset="utf-8"><title>agenthub</title>
<body style="font-family: system-ui; max-width: 40rem; margin: 4rem auto">
<h1>agenthub</h1><p>The hub is running, but this install has no dashboard bundle.
Build it from a source checkout with <code>make dashboard</code> (needs Node.js), or use the API at
<a href="/docs">/docs</a>.</p></body>"""


def _index() -> Response:
    index = BUNDLE / "index.html"
    if not index.is_file():
        return HTMLResponse(_MISSING, status_code=200, headers={"Cache-Control": "no-store"})
    return FileResponse(index, media_type="text/html", headers={"Cache-Control": "no-cache"})


@router.get("/")
async def dashboard() -> Response:
    """The dashboard page; `/?token=<hub token>` logs the operator in."""
    return _index()


@router.get("/ui")
@router.get("/ui/")
async def dashboard_ui() -> Response:
    return _index()


@router.get("/ui/assets/{name}")
async def asset(name: str) -> Response:
    path = BUNDLE / "assets" / name
    if not _ASSET_NAME.fullmatch(name) or ".." in name or not path.is_file():
        raise NotFound(f"no dashboard asset named {name!r}", code="asset_not_found")
    return FileResponse(
        path,
        media_type=_TYPES.get(path.suffix, "application/octet-stream"),
        headers={"Cache-Control": "public, max-age=31536000, immutable"},
    )


@router.get("/ui/{route:path}")
async def client_route(route: str) -> Response:
    """Client-side routes under `/ui/` load the same page."""
    return _index()
