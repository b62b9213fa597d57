"""The task part of seed 000's "Agent SDK Usage" example, against agenthub.

Run a hub (`make serve`), then `python examples/agent_tasks.py`. A worker agent listens for tasks
assigned to it and completes them; a coordinator creates one task and assigns it to the worker.
"""

import asyncio
import os

from agenthub import AgentClient


async def process_task(task):
    return {"summary": f"analysed: {task.description}"}


async def main() -> None:
    url = os.environ.get("AGENTHUB_URL", "http://localhost:8000")
    worker = AgentClient(name="data_worker", agent_type="llm", server_url=url, capabilities=["analysis"])
    coordinator = AgentClient(name="coordinator", agent_type="llm", server_url=url)
    await worker.connect()
    await coordinator.connect()
    done = asyncio.Event()

    # Listen for tasks
    @worker.on_task_assigned
    async def handle_task(task):
        result = await process_task(task)
        await worker.complete_task(task.id, result)
        done.set()

    # Create task (assigned by the hub to an online agent that has the capability)
    task = await coordinator.create_task(
        title="Process data",
        description="Analyze the dataset",
        priority=2,
        requirements={"capabilities": ["analysis"]},
        assign_to="auto",
    )
    await asyncio.wait_for(done.wait(), 30)
    finished = await coordinator.get_task(task.id)
    print(f"{finished.title}: {finished.status.value} -> {finished.result}")
    await worker.close()
    await coordinator.close()


if __name__ == "__main__":
    asyncio.run(main())
