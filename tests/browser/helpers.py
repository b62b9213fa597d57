"""Opening the dashboard as the operator."""

from __future__ import annotations

from typing import Any

from tests.hubproc import HubProcess


def open_dashboard(page: Any, hub: HubProcess, route: str = "overview") -> None:
    """Log in with `/?token=` (as `agenthub serve` prints it) and wait for the live stream."""
    page.goto(f"{hub.url}/?token={hub.token}#/{route}")
    page.locator("[data-live=live]").wait_for()


def go(page: Any, route: str) -> None:
    """Switch view in the page (hash routing: no reload)."""
    page.evaluate("route => { window.location.hash = '#/' + route }", route)
