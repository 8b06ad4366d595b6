"""The three time formats of the API: v2 RFC 3339, v1 ``YYYY-MM-DD HH:MM:SS``, leads ISO with ms."""

from __future__ import annotations

from datetime import datetime, timezone


def v2_time(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def v1_time(ts: float | None) -> str | None:
    if ts is None:
        return None
    return datetime.fromtimestamp(ts, tz=timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def iso_ms(ts: float | None) -> str | None:
    if ts is None:
        return None
    moment = datetime.fromtimestamp(ts, tz=timezone.utc)
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def parse_time(text: str) -> float:
    """Parse RFC 3339 (``Z`` or offset) or ``YYYY-MM-DD HH:MM:SS`` (UTC); ValueError otherwise."""
    value = text.strip().replace("Z", "+00:00")
    if len(value) == 10:
        value += "T00:00:00+00:00"
    moment = datetime.fromisoformat(value.replace(" ", "T", 1))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.timestamp()
