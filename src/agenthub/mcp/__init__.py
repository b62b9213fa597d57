"""agenthub as MCP tools for LLM agents (Claude Code, Codex, any MCP client), and the hooks that wake them.

- `agenthub mcp --agent NAME`: the tools over stdio, acting as that agent (`stdio.py`).
- `/mcp` on the hub: the same tools over streamable HTTP, acting as the bearer token's agent (`http.py`).
- `agenthub hook claude-stop --agent NAME`: Claude Code's Stop hook (`stop_hook.py`).

Importing this package imports nothing heavy; `server.build_server` and the transports import `mcp`.
"""
