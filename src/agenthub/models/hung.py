"""Hung agents on the wire: agents that hold work but stopped heartbeating."""

from __future__ import annotations

from agenthub.models.agents import Agent
from agenthub.models.common import Wire


class HungAgent(Wire):
    agent: Agent
    tasks: int
    locks: int
