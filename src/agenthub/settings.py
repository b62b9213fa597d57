"""Hub settings: `AGENTHUB_*` environment variables and the matching `agenthub serve` flags."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field
from pydantic_settings import BaseSettings, SettingsConfigDict

from agenthub._local import default_data_dir

__all__ = ["HubSettings", "is_loopback"]


def is_loopback(host: str) -> bool:
    """True for `localhost` and addresses in 127.0.0.0/8 or ::1."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class HubSettings(BaseSettings):
    """Everything the hub can be told. Built by the caller and passed in, never at import time."""

    model_config = SettingsConfigDict(env_prefix="AGENTHUB_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = Field(default=8000, ge=0, le=65535)
    data_dir: Path = Field(default_factory=default_data_dir)
    database_url: str | None = Field(
        default=None, description="sqlite:///path or postgresql://...; default: SQLite in the data dir"
    )
    token: str | None = Field(
        default=None, description="the hub (operator) token; generated into <data_dir>/token when unset"
    )
    open: bool = Field(default=False, description="accept unauthenticated requests (loopback only)")
    synchronous: Literal["full", "normal"] = Field(
        default="full", description="SQLite durability: 'full' survives power loss; 'normal' is a faster opt-in"
    )
    dedup_window_seconds: float = 24 * 3600
    max_frame_bytes: int = 1024 * 1024
    max_body_bytes: int = 8 * 1024 * 1024
    max_content_bytes: int = 256 * 1024
    max_metadata_bytes: int = 64 * 1024
    max_memory_value_bytes: int = Field(default=256 * 1024, description="largest shared-memory value, as JSON")
    expiry_sweep_interval: float = Field(
        default=1.0, gt=0, description="seconds between sweeps for expired memory keys, locks and approvals"
    )
    send_buffer_frames: int = 10_000
    rate_limit: float = Field(
        default=5000.0, ge=0, description="requests a second per agent (and for the operator); 0 turns it off"
    )
    rate_limit_burst: int = Field(default=50_000, ge=1, description="requests an actor may make at once")
    heartbeat_interval: float = 10.0
    offline_after: float = 30.0
    presence_sweep_interval: float = 2.0
    task_lease_seconds: float = Field(default=300.0, gt=0, description="lease of a claim or accepted assignment")
    reaper_interval: float = Field(
        default=1.0, gt=0, description="how often lapsed task leases are taken back and offline assignees checked"
    )
    assignment_grace_seconds: float = Field(
        default=60.0, ge=0, description="how long an assignee may stay offline before its tasks are redistributed"
    )
    task_retry_base_seconds: float = Field(default=1.0, ge=0, description="first backoff of `fail` with `retry`")
    task_retry_max_seconds: float = Field(default=300.0, ge=0, description="longest backoff of `fail` with `retry`")
    log_level: str = "info"

    def resolved_database_url(self) -> str:
        return self.database_url or f"sqlite:///{self.data_dir / 'agenthub.db'}"
