"""What the listener has done so far: counters, lag percentiles, last catch-up.

Lag is measured from the change in Pipedrive (``meta.timestamp``) to the commit of
its row in the replica, over the last :data:`WINDOW` applied deliveries.
"""

from __future__ import annotations

import threading
import time
from collections import Counter, deque
from typing import Any

WINDOW = 10_000


def percentile(values: list[float], fraction: float) -> float | None:
    """Nearest-rank percentile of ``values`` (None when empty)."""
    if not values:
        return None
    ordered = sorted(values)
    rank = max(1, min(len(ordered), round(fraction * len(ordered) + 0.5)))
    return ordered[rank - 1]


class Status:
    """Thread-safe counters read by ``/status`` and the terminal display."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.started = time.time()
        self.counts: Counter[str] = Counter()
        self._lags: deque[float] = deque(maxlen=WINDOW)
        self.last_catch_up: dict[str, Any] | None = None
        self.registration: dict[str, Any] = {}
        self.catching_up = False
        self.pending = 0

    def count(self, name: str, n: int = 1) -> None:
        with self._lock:
            self.counts[name] += n

    def lags(self, lags_ms: list[float]) -> None:
        with self._lock:
            self._lags.extend(lags_ms)

    def lag_percentiles(self) -> tuple[float | None, float | None]:
        with self._lock:
            values = list(self._lags)
        return percentile(values, 0.5), percentile(values, 0.95)

    def snapshot(self) -> dict[str, Any]:
        p50, p95 = self.lag_percentiles()
        with self._lock:
            counts = dict(self.counts)
        return {
            "uptime_s": round(time.time() - self.started, 1),
            "received": counts.get("received", 0),
            "duplicates": counts.get("duplicate", 0),
            "rejected": {k[9:]: v for k, v in counts.items() if k.startswith("rejected_")},
            "applied": counts.get("applied", 0),
            "superseded": counts.get("superseded", 0),
            "failed": counts.get("failed", 0),
            "pending": self.pending,
            "lag_ms": {"p50": p50, "p95": p95},
            "catching_up": self.catching_up,
            "catch_ups": counts.get("catch_ups", 0),
            "last_catch_up": self.last_catch_up,
            "registration": self.registration,
        }

    def line(self) -> str:
        """One line for a terminal."""
        snap = self.snapshot()
        p50, p95 = snap["lag_ms"]["p50"], snap["lag_ms"]["p95"]
        lag = "-" if p50 is None else f"{p50:.0f}/{p95:.0f} ms"
        state = " catching up…" if snap["catching_up"] else ""
        return (
            f"received {snap['received']}  applied {snap['applied']}  "
            f"pending {snap['pending']}  lag p50/p95 {lag}{state}"
        )
