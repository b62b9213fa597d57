"""Opening the dashboard as the operator, through the address the hub printed at start."""

from __future__ import annotations

import re
from typing import Any

from tests.hubproc import HubProcess


def printed_url(hub: HubProcess) -> str:
    """The `dashboard: http://...?token=...` line `agenthub serve` printed."""
    found = re.search(r"^dashboard: (\S+)$", hub.log_path.read_text(), re.MULTILINE)
    assert found, f"the hub printed no dashboard address:\n{hub.log_path.read_text()}"
    return found.group(1)


def open_dashboard(page: Any, hub: HubProcess, route: str = "overview") -> None:
    """Log in with the printed address (it carries the hub token) and wait for the live stream."""
    page.goto(f"{printed_url(hub)}#/{route}")
    page.locator("[data-live=live]").wait_for()


def go(page: Any, route: str) -> None:
    """Switch view in the page (hash routing: no reload)."""
    page.evaluate("route => { window.location.hash = '#/' + route }", route)
