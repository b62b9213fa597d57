"""What `import agenthub` offers, and what it must not drag in."""

from __future__ import annotations

import json
import subprocess
import sys

import agenthub

HEAVY = (
    "fastapi",
    "starlette",
    "uvicorn",
    "sqlite3",
    "_sqlite3",
    "agenthub.server",
    "agenthub.storage",
    "agenthub.hub",
)


def test_exported_names_are_pinned() -> None:
    assert agenthub.__all__ == [
        "Agent",
        "AgentClient",
        "AgentHubError",
        "AgentStatus",
        "BadRequest",
        "Channel",
        "Client",
        "Conflict",
        "Forbidden",
        "HubUnavailable",
        "InvalidField",
        "Message",
        "MessageAck",
        "MessageType",
        "NotFound",
        "RateLimited",
        "Receipt",
        "Subscription",
        "Task",
        "TaskStatus",
        "TooLarge",
        "Unauthorized",
        "__version__",
    ]
    for name in agenthub.__all__:
        assert getattr(agenthub, name) is not None, name


def _modules_after(code: str) -> list[str]:
    script = f"import json, sys\n{code}\nprint(json.dumps(sorted(sys.modules)))"
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60)
    modules: list[str] = json.loads(result.stdout)
    return modules


def _heavy(modules: list[str]) -> list[str]:
    return [m for m in modules if any(m == h or m.startswith(f"{h}.") for h in HEAVY)]


def test_import_agenthub_loads_no_server_or_database_module() -> None:
    modules = _modules_after("import agenthub")
    assert "agenthub" in modules
    assert _heavy(modules) == []


def test_the_sdk_clients_load_no_server_or_database_module() -> None:
    modules = _modules_after("import agenthub\nagenthub.AgentClient, agenthub.Client, agenthub.Message")
    assert "agenthub.client" in modules
    assert _heavy(modules) == []
