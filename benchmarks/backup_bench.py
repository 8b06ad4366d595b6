"""Backups against the emulator: requests of a first snapshot, growth of daily snapshots,
restore rate against the write rate limit.

1. A first snapshot of an account of DEALS deals, in requests, beside a full sync of the
   same streams (the default `pdsync sync` streams, then every stream: a snapshot also
   reads the per-parent children, followers and participants).
2. Ten daily snapshots with 1 % of the deals changed each day: the store's size on disk
   against the first snapshot's.
3. A restore of RESTORE deleted deals with their children (products, participants,
   followers, notes, activities), through a real HTTP server whose rate limits are on
   (Growth: 40 requests per 2 s): writes and requests per second against that bound.

    .venv/bin/python benchmarks/backup_bench.py [DEALS] [RESTORE]
"""

from __future__ import annotations

import functools
import sys
import tempfile
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import httpx

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.backup import RestoreOptions, create_snapshot, load_state, open_account_store
from pdsync.backup.capture import ALL_STREAMS as SNAPSHOT_STREAMS
from pdsync.backup.restore import run_restore
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import BURST_API_TOKEN, EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.run import default_streams, incremental_capable

WRITES = ("add", "update", "delete", "post", "patch", "put")


def _in_process(config: EmulatorConfig) -> tuple[Emulator, PipedriveClient]:
    emulator = Emulator(config)
    client = PipedriveClient(
        Connection(api_token=config.token, base_url="http://emulator.test"),
        transport=emulator.transport(),
        governor=RateGovernor(burst_limit=1_000_000, search_limit=1_000_000),
        sleep=lambda _: None,
    )
    return emulator, client


def _sync_requests(config: EmulatorConfig, streams: list[str], folder: Path) -> int:
    _, client = _in_process(config)
    destination = open_destination(f"sqlite:///{folder / f'sync-{len(streams)}.db'}")
    selections = select_streams(incremental_capable(), requested=streams)
    report = SyncEngine(client, destination, selections, SyncOptions(workers=2)).run()
    destination.close()
    del report
    return client.stats.requests


def first_snapshot(deals: int, folder: Path) -> None:
    config = EmulatorConfig(seed=1, deals=deals, rate_limits=False)
    sync_default = _sync_requests(config, default_streams(), folder)
    sync_all = _sync_requests(config, list(SNAPSHOT_STREAMS), folder)
    _, client = _in_process(config)
    store = open_account_store(client, folder / "first", create=True)
    started = time.perf_counter()
    create_snapshot(client, store, account="acme")
    elapsed = time.perf_counter() - started
    print(
        f"1. first snapshot of {deals} deals: {client.stats.requests} requests in {elapsed:.1f} s"
    )
    print(f"   full sync, default streams: {sync_default} requests")
    print(
        f"   full sync of the streams a snapshot reads (default + followers, participants, relationships): {sync_all} requests"
    )


def _day(start: datetime, day: int) -> datetime:
    return start + timedelta(days=day)


def _store_bytes(folder: Path) -> int:
    return sum(p.stat().st_size for p in (folder / "objects").rglob("*") if p.is_file())


def daily_growth(deals: int, folder: Path, days: int = 10, share: float = 0.01) -> None:
    config = EmulatorConfig(seed=2, deals=deals, rate_limits=False)
    _, client = _in_process(config)
    store = open_account_store(client, folder / "daily", create=True)
    ids = [d["id"] for d in client.iter_items("deals", params={"limit": 500})]
    start = datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc)
    first = 0
    per_day = max(1, int(len(ids) * share))
    for day in range(days):
        if day:
            for deal in ids[(day - 1) * per_day : day * per_day]:
                client.patch(f"deals/{deal}", json={"title": f"Changed on day {day}"})
        create_snapshot(client, store, account="acme", now=functools.partial(_day, start, day))
        if day == 0:
            first = _store_bytes(store.folder)
    total = _store_bytes(store.folder)
    print(
        f"2. {days} daily snapshots, {per_day} deals ({share:.0%}) changed a day: "
        f"{total / 1024:.0f} KB vs first {first / 1024:.0f} KB = {total / first:.2f}x"
    )


def _writes(server: EmulatorServer) -> int:
    ops: dict[str, int] = httpx.get(f"{server.url}/_emulator/stats").json()["requests_by_operation"]
    return sum(n for op, n in ops.items() if op.lower().startswith(WRITES))


def restore_rate(restore: int, folder: Path) -> None:
    config = EmulatorConfig(seed=3, deals=restore + 50, plan="growth", rate_limits=True)
    bound = BURST_API_TOKEN["growth"] / 2.0
    with EmulatorServer(config) as server:
        client = PipedriveClient(Connection(api_token=config.token, base_url=server.url))
        store = open_account_store(client, folder / "restore", create=True)
        manifest, _ = create_snapshot(client, store, account="acme")
        snap = load_state(store, manifest)
        doomed = sorted(snap["deals"])[:restore]
        for deal in doomed:
            client.delete(f"deals/{deal}")
        children = _children(snap, set(doomed))
        before_writes, before_requests = _writes(server), client.stats.requests
        started = time.perf_counter()
        result = run_restore(client, store, manifest.id, RestoreOptions(deleted=True))
        elapsed = time.perf_counter() - started
        writes = _writes(server) - before_writes
        requests = client.stats.requests - before_requests
        client.close()
    created = sum(c.get("create", 0) for c in result.counts.values())
    print(
        f"3. restore of {len(doomed)} deleted deals and their children ({children} rows): "
        f"{created} records re-created, {writes} writes, {requests} requests in {elapsed:.0f} s"
    )
    print(
        f"   {writes / elapsed:.1f} writes/s, {requests / elapsed:.1f} requests/s; bound "
        f"{bound:.0f} requests/s: {requests / elapsed / bound:.0%} of the rate limit used"
    )


def _children(snap: dict[str, Any], deals: set[Any]) -> int:
    count = 0
    for stream in ("deal_products", "deal_participants", "deal_followers", "notes", "activities"):
        count += sum(1 for r in snap.get(stream, {}).values() if r.get("deal_id") in deals)
    return count


def main(deals: int = 20_000, restore: int = 1_000) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        first_snapshot(deals, folder)
        daily_growth(deals, folder)
        restore_rate(restore, folder)


if __name__ == "__main__":
    main(*(int(a) for a in sys.argv[1:3]))
