"""Two-way sync between Pipedrive and a SQLite or PostgreSQL replica (``pdsync bisync``)."""

from pdsync.bisync.cycle import BisyncRequest, CycleReport, run_cycle

__all__ = ["BisyncRequest", "CycleReport", "run_cycle"]
