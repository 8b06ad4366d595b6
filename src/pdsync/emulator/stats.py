"""Counters for tests and benchmarks: what clients asked for and what it cost them.

Served as JSON at ``GET /_emulator/stats`` and cleared by ``POST /_emulator/stats/reset``.
"""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any


class Stats:
    """Thread-safe request counters. Only API traffic is counted, never ``/_emulator/*``."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._clear()

    def _clear(self) -> None:
        self._by_operation: Counter[str] = Counter()
        self._by_status: Counter[int] = Counter()
        self._faults: Counter[str] = Counter()
        self._webhooks: Counter[str] = Counter()
        self._tokens = 0
        self._total = 0

    def request(self, operation_id: str) -> None:
        with self._lock:
            self._total += 1
            self._by_operation[operation_id] += 1

    def charged(self, tokens: int) -> None:
        with self._lock:
            self._tokens += tokens

    def status(self, code: int) -> None:
        with self._lock:
            self._by_status[code] += 1

    def fault(self, kind: str) -> None:
        with self._lock:
            self._faults[kind] += 1

    def webhook(self, outcome: str) -> None:
        """``outcome`` is ``attempted``, ``delivered``, ``failed`` (gave up) or ``retried``."""
        with self._lock:
            self._webhooks[outcome] += 1

    def reset(self) -> None:
        with self._lock:
            self._clear()

    def snapshot(self) -> dict[str, Any]:
        with self._lock:
            return {
                "total_requests": self._total,
                "requests_by_operation": dict(sorted(self._by_operation.items())),
                "tokens_charged": self._tokens,
                "responses_429": self._by_status[429],
                "responses_403": self._by_status[403],
                "responses_401": self._by_status[401],
                "responses_by_status": {str(k): v for k, v in sorted(self._by_status.items())},
                "faults_injected": dict(sorted(self._faults.items())),
                "webhook_deliveries": dict(sorted(self._webhooks.items())),
            }
