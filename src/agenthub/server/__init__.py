"""The hub's HTTP and WebSocket surface: `create_app(settings, storage)`."""

from agenthub.server.app import create_app

__all__ = ["create_app"]
