"""Time vocabulary: the hub stores and sends UTC times as ISO 8601 with a `Z`."""

from __future__ import annotations

from datetime import UTC, datetime


def utcnow() -> datetime:
    return datetime.now(UTC)


def to_iso(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def now_iso() -> str:
    return to_iso(utcnow())


def parse_iso(text: str) -> datetime:
    return datetime.fromisoformat(text)


def from_iso(text: str | None) -> datetime | None:
    return None if text is None else datetime.fromisoformat(text)
