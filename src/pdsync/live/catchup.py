"""Catch-up: the incremental sync that exists, run for the followed streams.

Webhooks can be lost (a ban, the receiver down, a delivery dropped on the way), and
most deletes are only seen by an id scan. So the listener runs an ordinary
incremental sync on start, every ``--catch-up-every``, and whenever a gap is
suspected; a catch-up for a suspected gap also reconciles ids (``reconcile=True``),
so deletes whose deliveries were lost are found too.

Every change made before the catch-up began is in what it read (the sync reads after
its signpost), so deliveries of creates and changes older than that are superseded
(:mod:`pdsync.live.applier`). The mark is kept per stream, in the journal's state.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Sequence
from datetime import timedelta
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.destinations.base import Destination
from pdsync.live.journal import Journal
from pdsync.progress import Event
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import StreamSelection
from pdsync.sync.report import SyncReport
from pdsync.sync.windows import next_whole_second, utc_now

log = logging.getLogger(__name__)
COVERED_KEY = "covered_until_ms:"


def covered_until(journal: Journal, stream: str) -> int:
    """Milliseconds before which the last catch-up of ``stream`` read every change."""
    value = journal.get(COVERED_KEY + stream)
    return int(value) if value else 0


def catch_up(
    client: PipedriveClient,
    destination: Destination,
    journal: Journal,
    streams: Sequence[str],
    *,
    reconcile: bool,
    reconcile_every: timedelta | None,
    sink: Callable[[Event], None] | None = None,
) -> SyncReport:
    """Run one incremental sync of ``streams``; mark the streams it completed as covered."""
    selections = [StreamSelection(name, "incremental", name) for name in streams]
    started = utc_now()
    options = SyncOptions(reconcile_every=timedelta(0) if reconcile else reconcile_every)
    engine = SyncEngine(client, destination, selections, options, sink=sink)
    report = engine.run()
    covered = str(int(next_whole_second(started).timestamp() * 1000))
    done = [s.stream for s in report.streams if s.skipped is None and s.stream in streams]
    if report.ok:
        journal.put({COVERED_KEY + name: covered for name in done})
    return report


def summary(report: SyncReport, reason: str) -> dict[str, Any]:
    totals = report.totals
    return {
        "reason": reason,
        "ok": report.ok,
        "seconds": round(report.seconds, 2),
        "requests": report.requests,
        "inserted": totals["inserted"],
        "updated": totals["updated"],
        "deleted": totals["deleted"],
    }
