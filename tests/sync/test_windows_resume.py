"""A backfill split into time windows fetched in parallel, interrupted, then resumed."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import make_client, sync, table_dump

from pdsync.destinations import Batch, BatchResult, open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import StreamSelection
from pdsync.sync.windows import window_count


class Crash(Exception):
    pass


class CrashingDestination:
    """A real SQLite destination whose writer dies after ``limit`` committed batches."""

    def __init__(self, url: str, limit: int) -> None:
        self.inner = open_destination(url)
        self.limit = limit
        self.batches = 0

    def write_batch(self, batch: Batch) -> BatchResult:
        if batch.rows and self.batches >= self.limit:
            raise Crash("process died")
        self.batches += 1
        return self.inner.write_batch(batch)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)


@pytest.fixture(scope="module")
def big_account() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=2_000, seed=21, rate_limits=False)) as server:
        yield server


def test_window_count_estimates_remaining_pages() -> None:
    t0 = datetime(2024, 1, 1, tzinfo=timezone.utc)
    # 500 records spanned one day; 99 days remain: ~99 pages -> 3 windows of 30.
    assert (
        window_count(
            t0, t0 + timedelta(days=1), t0 + timedelta(days=100), page_size=500, max_windows=8
        )
        == 3
    )
    assert (
        window_count(
            t0, t0 + timedelta(days=1), t0 + timedelta(days=100), page_size=500, max_windows=2
        )
        == 2
    )
    assert (
        window_count(
            t0, t0 + timedelta(days=1), t0 + timedelta(days=5), page_size=500, max_windows=8
        )
        == 1
    )


def test_windowed_backfill_interrupted_then_resumed_equals_a_plain_sync(
    big_account: EmulatorServer, tmp_path: Path
) -> None:
    streams = ["activities", "persons"]
    reference = tmp_path / "reference.db"
    with make_client(big_account) as client:
        sync(client, reference, streams, max_windows=1)
        resumed = tmp_path / "resumed.db"
        selections = [StreamSelection(s, "incremental", s) for s in streams]
        options = SyncOptions(max_windows=4, pages_per_window=1, workers=4)
        crashing = CrashingDestination(f"sqlite:///{resumed}", limit=4)
        with pytest.raises(Crash):
            SyncEngine(client, crashing, selections, options).run()  # type: ignore[arg-type]
        state = crashing.inner.read_state().get("activities")
        assert state.backfill is not None and len(state.backfill.partitions) > 2, (
            "split into windows"
        )
        crashing.inner.close()
        requests_before = client.stats.requests
        report = sync(client, resumed, streams, max_windows=4, pages_per_window=1)
        assert client.stats.requests - requests_before < 30
    assert report.stream("activities").rows < 4_000, "the resumed run does not start over"
    for table in streams:
        assert table_dump(resumed, table) == table_dump(reference, table)


def test_a_resumed_first_sync_costs_no_id_scan(big_account: EmulatorServer, tmp_path: Path) -> None:
    """A first sync into an empty table read every row it holds: once resumed and done, it
    stands for an id reconciliation, so the resumed run does not list every id again."""
    db = tmp_path / "resumed.db"
    with make_client(big_account) as client:
        selections = [StreamSelection("activities", "incremental", "activities")]
        options = SyncOptions(max_windows=4, pages_per_window=1, workers=2)
        crashing = CrashingDestination(f"sqlite:///{db}", limit=3)
        with pytest.raises(Crash):
            SyncEngine(client, crashing, selections, options).run()  # type: ignore[arg-type]
        backfill = crashing.inner.read_state().get("activities").backfill
        assert backfill is not None and backfill.fresh
        crashing.inner.close()
        before = client.stats.requests
        report = sync(client, db, ["activities"], max_windows=4, pages_per_window=1)
        used = client.stats.requests - before
    # The fields definitions, then only pages (an id scan would list ~8 pages more).
    assert used <= report.stream("activities").pages + 1
    with open_destination(f"sqlite:///{db}") as destination:
        state = destination.read_state().get("activities")
    assert state.backfill is None and state.last_reconciled_at == backfill.signpost
