"""The `agenthub` command line."""

from agenthub.cli.app import app, main

__all__ = ["app", "main"]
