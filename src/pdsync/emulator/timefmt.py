"""The three time formats of the API: v2 RFC 3339, v1 ``YYYY-MM-DD HH:MM:SS``, leads ISO with ms."""

from __future__ import annotations

import math
from datetime import datetime, timezone
from functools import lru_cache


def v2_time(ts: float | None) -> str | None:
    if ts is None:
        return None
    day, clock = _split(ts)
    return f"{day}T{clock}Z"


def v1_time(ts: float | None) -> str | None:
    if ts is None:
        return None
    day, clock = _split(ts)
    return f"{day} {clock}"


def _split(ts: float) -> tuple[str, str]:
    """``(YYYY-MM-DD, HH:MM:SS)`` of a UTC epoch, as ``datetime.fromtimestamp`` rounds it
    (microseconds half-even, a carry into the next second), without building a datetime:
    a 500-record page formats ~3,500 times, and strftime was a tenth of its CPU."""
    seconds = math.floor(ts)
    if round((ts - seconds) * 1e6) >= 1_000_000:
        seconds += 1
    days, rest = divmod(seconds, 86400)
    hours, rest = divmod(rest, 3600)
    minutes, secs = divmod(rest, 60)
    return _day(days), f"{hours:02d}:{minutes:02d}:{secs:02d}"


@lru_cache(maxsize=4096)
def _day(days: int) -> str:
    return datetime.fromtimestamp(days * 86400, tz=timezone.utc).strftime("%Y-%m-%d")


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
