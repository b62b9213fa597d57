"""The hub serves the dashboard bundle at `/` without taking any API path."""

from __future__ import annotations

import re

import httpx
import pytest

from agenthub.server.routes.dashboard import BUNDLE
from tests.hubproc import HubProcess

pytestmark = pytest.mark.e2e


def test_the_page_and_its_assets_are_served(shared_hub: HubProcess) -> None:
    page = httpx.get(f"{shared_hub.url}/")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-cache"
    assets = re.findall(r'(?:src|href)="(/ui/assets/[^"]+)"', page.text)
    assert {a.rsplit(".", 1)[-1] for a in assets} == {"js", "css"}
    for asset in assets:
        answer = httpx.get(f"{shared_hub.url}{asset}")
        assert answer.status_code == 200
        assert "immutable" in answer.headers["cache-control"]
        assert answer.content == (BUNDLE / "assets" / asset.rsplit("/", 1)[-1]).read_bytes()
    assert httpx.get(f"{shared_hub.url}/ui/agents/anything").text == page.text  # client-side routes


def test_the_bundle_ships_without_source_maps() -> None:
    assert (BUNDLE / "index.html").is_file()
    assert not list(BUNDLE.rglob("*.map"))


def test_api_and_root_routes_stay_the_apis(shared_hub: HubProcess) -> None:
    with shared_hub.client() as http:
        assert http.get("/status").json()["status"] == "running"
        assert "channels" in http.get("/channels").json()
        assert "agents" in http.get("/agents").json()
        assert http.get("/api/status").json()["status"] == "ok"
    assert httpx.get(f"{shared_hub.url}/health").json()["status"] == "ok"
    assert httpx.get(f"{shared_hub.url}/docs").status_code == 200
    assert "/api/messages" in httpx.get(f"{shared_hub.url}/openapi.json").json()["paths"]
    assert "/" not in httpx.get(f"{shared_hub.url}/openapi.json").json()["paths"]


def test_unknown_or_crafted_asset_names_never_reach_other_files(shared_hub: HubProcess) -> None:
    index = httpx.get(f"{shared_hub.url}/").text
    for name in ["nope.js", ".hidden", "index.html"]:
        answer = httpx.get(f"{shared_hub.url}/ui/assets/{name}")
        assert answer.status_code == 404
        assert answer.json()["error"]["code"] == "asset_not_found"
    for name in ["..%2F..%2Fserver%2Fapp.py", "%2e%2e%2f%2e%2e%2f__init__.py", "..%5C__init__.py"]:
        answer = httpx.get(f"{shared_hub.url}/ui/assets/{name}")
        assert answer.status_code == 404 or answer.text == index
        assert "import" not in answer.text


def test_serve_prints_the_address_that_signs_the_operator_in(shared_hub: HubProcess) -> None:
    printed = shared_hub.log_path.read_text()
    assert f"dashboard: http://127.0.0.1:{shared_hub.port}/?token={shared_hub.token}\n" in printed
