"""Claude Code's Stop hook: keep an agent working while the hub has something new for it.

Claude Code runs the hook when the agent is about to stop and go idle. If unread messages or newly assigned
tasks are waiting (or arrive within `wait` seconds), the hook answers `{"decision": "block", "reason": ...}`
listing them and acknowledges them, so the agent carries on with them instead of going deaf until a person
types again. Otherwise it answers nothing and the stop goes through.

It can never loop forever: `stop_hook_active` tells it that this stop already follows a block, and after
`max_blocks` consecutive blocks in one session the stop goes through (the count lives in a small state file
per agent and session in `<data dir>/hooks/`; a stop that does not follow a block starts it again).
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from agenthub.client import Client
from agenthub.mcp.identity import Identity
from agenthub.mcp.render import line, message_view

INBOX_LIMIT = 50
MAX_REASON = 12_000


def state_path(data_dir: Path, agent: str, session_id: str) -> Path:
    session = re.sub(r"[^A-Za-z0-9._-]", "_", session_id)[:120] or "default"
    return data_dir / "hooks" / f"{agent}.{session}.json"


def claude_stop(
    payload: dict[str, Any], identity: Identity, data_dir: Path, *, wait: float = 0.0, max_blocks: int = 5
) -> dict[str, str] | None:
    """The hook's decision for Claude Code's Stop-hook input: a block with the reason, or None to let it stop."""
    state = state_path(data_dir, identity.name, str(payload.get("session_id") or "default"))
    blocks = _read_blocks(state) if payload.get("stop_hook_active") else 0
    if blocks >= max_blocks:
        state.unlink(missing_ok=True)
        return None
    with Client(identity.server_url, token=identity.token, timeout=wait + 30) as client:
        messages = client.inbox(INBOX_LIMIT, wait)
        if not messages:
            state.unlink(missing_ok=True)
            return None
        if not _write_blocks(state, blocks + 1) and payload.get("stop_hook_active"):
            return None  # a count that cannot be kept cannot bound the loop: stop, the messages stay unread
        client.ack(messages[-1].seq)
        names = {a.id: a.name for a in client.list_agents()}
    return {"decision": "block", "reason": reason([line(message_view(m, names)) for m in messages])}


def reason(lines: list[str]) -> str:
    head = (
        f"agenthub: {len(lines)} new item{'s' if len(lines) != 1 else ''} for you "
        "(already marked read, so read_inbox will not show them again):"
    )
    tail = "Act on them (answer with send_message, take tasks with claim_task), then finish your turn."
    text = "\n".join([head, *lines])
    if len(text) > MAX_REASON:
        text = text[: MAX_REASON - 40] + "\n… (more: use search_messages)"
    return f"{text}\n{tail}"


def _read_blocks(path: Path) -> int:
    try:
        blocks = json.loads(path.read_text()).get("blocks", 0)
    except (OSError, ValueError, AttributeError):
        return 0
    return blocks if isinstance(blocks, int) else 0


def _write_blocks(path: Path, blocks: int) -> bool:
    try:
        path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
        path.write_text(json.dumps({"blocks": blocks}))
    except OSError:
        return False
    return True
