"""The MCP SDK loads only with the MCP server and the hub: not with the Python SDK, nor with the Stop hook."""

from __future__ import annotations

import subprocess
import sys


def loaded_after(statement: str) -> set[str]:
    code = f"import sys; {statement}; print(' '.join(sys.modules))"
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True, timeout=60)
    return set(done.stdout.split())


def test_the_sdk_and_the_stop_hook_do_not_import_mcp() -> None:
    modules = loaded_after("import agenthub, agenthub.client, agenthub.mcp.stop_hook, agenthub.cli.hook")
    assert "agenthub.mcp.stop_hook" in modules
    assert not {m for m in modules if m == "mcp" or m.startswith(("mcp.", "fastapi", "agenthub.server"))}


def test_the_mcp_server_does_not_import_the_hub() -> None:
    modules = loaded_after("import agenthub.mcp.server, agenthub.mcp.stdio")
    assert "mcp" in modules
    assert not {m for m in modules if m.startswith(("fastapi", "agenthub.server", "agenthub.storage"))}
