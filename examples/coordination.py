"""Seed 003's "Quick Start" (AgentCoord) against agenthub, with the blocking `Client`.

Run a hub (`make serve`), then `python examples/coordination.py [agent name]`.
The hub token is found in the local data dir, so nothing needs configuring.
"""

import os
import sys

from agenthub import Client


def main(name: str) -> None:
    url = os.environ.get("AGENTHUB_URL", "http://localhost:8000")
    with Client.for_agent(name, agent_type="engineer", server_url=url) as coord:
        # Lock files: renewed while held, released on exit (also if the block raises)
        with coord.lock_file("backend/main.py", intent="Add /health endpoint"):
            pass  # safe to edit

        # Share state: compare-and-set keeps concurrent writers from losing updates
        entry = coord.set_memory("deploy/backend", {"version": "2.0"})
        coord.set_memory("deploy/backend", {"version": "2.0", "status": "live"}, if_version=entry.version)

        # Post to the board
        thread = coord.post_thread(
            title="Deployment Complete", content="Backend v2.0 deployed successfully", priority="high"
        )
        coord.reply(thread.id, "Smoke tests green")

        # Log decisions
        coord.log_decision(decision_type="deployment", context="Backend v2.0", reason="New features tested and ready")
        print(f"posted thread {thread.id}")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "Agent-1")
