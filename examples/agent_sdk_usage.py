"""The "Agent SDK Usage" example of seed 000, against agenthub.

Run a hub (`make serve`), then `python examples/agent_sdk_usage.py [recipient]`.
The hub token is found in the local data dir, so nothing needs configuring.
"""

import asyncio
import os
import sys

from agenthub import AgentClient


async def main(recipient: str) -> None:
    # Initialize client
    agent = AgentClient(
        name="my_agent", agent_type="llm", server_url=os.environ.get("AGENTHUB_URL", "http://localhost:8000")
    )

    # Connect to server
    await agent.connect()

    # Send message
    await agent.send_message(content="Hello from my agent!", recipients=[recipient])

    # Listen for messages
    @agent.on_message
    async def handle_message(message):
        print(f"Received: {message.content}")

    await agent.close()


if __name__ == "__main__":
    asyncio.run(main(sys.argv[1] if len(sys.argv) > 1 else "other_agent"))
