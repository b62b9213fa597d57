"""Schemathesis hooks for `test_fuzz_openapi.py`: long polls answer at once, so no case waits out the client."""

from __future__ import annotations

from typing import Any

import schemathesis


@schemathesis.hook
def before_call(ctx: Any, case: Any, kwargs: Any) -> None:
    """Runs for every phase's cases just before they are sent."""
    if isinstance(case.query, dict) and "wait" in case.query:
        case.query["wait"] = 0  # GET /api/inbox, GET /api/approvals/{id}
    if isinstance(case.body, dict) and "wait_seconds" in case.body:
        case.body["wait_seconds"] = 0  # POST /api/locks
