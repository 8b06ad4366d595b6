"""Simulated network and server time: a base per request plus a small cost per record.

``--latency-ms 80`` makes every API response wait 80 ms, plus
``config.latency_per_record_ms`` (default 0.05 ms) for each record a list returns, so
a 500-record page costs 25 ms more than a single record — the shape of the real
service, where bigger pages are slower but far cheaper per record.
"""

from __future__ import annotations

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.edge_clock import Sleep


class Latency:
    def __init__(self, config: EmulatorConfig, sleep: Sleep) -> None:
        self.config = config
        self.sleep = sleep

    def delay_seconds(self, records: int) -> float:
        base = self.config.latency_ms
        if base <= 0:
            return 0.0
        per_record = self.config.latency_per_record_ms
        return (base + per_record * max(0, records)) / 1000.0

    def wait(self, records: int) -> float:
        """Sleep for the request's delay and return it (seconds)."""
        seconds = self.delay_seconds(records)
        if seconds > 0:
            self.sleep(seconds)
        return seconds
