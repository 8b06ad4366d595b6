"""The clock the emulator's edges read: wall time for daily resets, monotonic time for windows.

Burst windows, OAuth expiry, daily budget resets and webhook retry schedules all
depend on time. They read it through one :class:`Clock` object so tests can swap in
a :class:`FakeClock` and move time forward without sleeping.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Protocol

Sleep = Callable[[float], None]


class Clock(Protocol):
    def time(self) -> float:
        """Seconds since the epoch (UTC); decides the daily budget's day."""
        ...

    def monotonic(self) -> float:
        """Seconds on a clock that never goes back; used for windows and expiries."""
        ...


class SystemClock:
    def time(self) -> float:
        return time.time()

    def monotonic(self) -> float:
        return time.monotonic()


class FakeClock:
    """A clock that only moves when told to; ``sleep`` advances it instead of blocking."""

    def __init__(self, start: float = 1_767_225_600.0) -> None:  # 2026-01-01T00:00:00Z
        self._now = start
        self._lock = threading.Lock()

    def time(self) -> float:
        with self._lock:
            return self._now

    def monotonic(self) -> float:
        return self.time()

    def advance(self, seconds: float) -> None:
        with self._lock:
            self._now += seconds

    def sleep(self, seconds: float) -> None:
        self.advance(max(0.0, seconds))
