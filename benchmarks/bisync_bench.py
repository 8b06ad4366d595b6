"""Two-way sync: the write rate of a busy cycle, and the cost of an idle one.

1. CHANGES local updates of deals (plain SQL on a SQLite replica), one cycle, against the
   emulator with the Growth plan's burst limit (40 requests per 2 s: 20 req/s). Prints the
   requests used, writes/s and the share of the bound reached.
2. An idle cycle on a DEALS-deal account: its requests against a plain incremental
   ``pdsync sync`` of the same streams (an idle cycle should cost exactly that).

    .venv/bin/python benchmarks/bisync_bench.py [CHANGES] [DEALS]
"""

from __future__ import annotations

import sqlite3
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pdsync.api.client import PipedriveClient
from pdsync.bisync import BisyncRequest, run_cycle
from pdsync.config import Connection
from pdsync.emulator.config import BURST_API_TOKEN, EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.run import SyncRequest, run_sync

WINDOW_SECONDS = 2.0


def _factory(server: EmulatorServer, counter: list[PipedriveClient]):  # type: ignore[no-untyped-def]
    def make(_name: object, _on_wait: object) -> PipedriveClient:
        client = PipedriveClient(Connection(api_token=server.config.token, base_url=server.url))
        counter.append(client)
        return client

    return make


def busy_cycle(changes: int) -> None:
    config = EmulatorConfig(seed=1, deals=max(changes, 100), plan="growth", rate_limits=True)
    bound = BURST_API_TOKEN["growth"] / WINDOW_SECONDS
    with EmulatorServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        target = f"sqlite:///{Path(tmp) / 'replica.db'}"
        clients: list[PipedriveClient] = []
        request = BisyncRequest(streams=("deals",), target=target)
        run_cycle(request, client_factory=_factory(server, clients))
        db = sqlite3.connect(Path(tmp) / "replica.db", isolation_level=None)
        ids = [
            r[0]
            for r in db.execute(
                "SELECT id FROM deals WHERE _pdsync_deleted_at IS NULL LIMIT ?", (changes,)
            )
        ]
        db.executemany("UPDATE deals SET title = 'Bench ' || id WHERE id = ?", [(i,) for i in ids])
        httpx.post(server.url + "/_emulator/stats/reset")
        clients.clear()
        started = time.perf_counter()
        report = run_cycle(request, client_factory=_factory(server, clients))
        elapsed = time.perf_counter() - started
        stats = httpx.get(server.url + "/_emulator/stats").json()
        used = sum(stats["requests_by_operation"].values())
        writes = stats["requests_by_operation"].get("updateDeal", 0)
        print(f"busy cycle: {len(ids)} local updates, {report.pushed} pushed in {elapsed:.1f} s")
        print(
            f"  {used} requests ({writes} writes) = {used / elapsed:.1f} req/s;"
            f" bound {bound:.0f} req/s -> {used / elapsed / bound:.0%} of the bound;"
            f" writes are {writes / used:.0%} of the requests; 429s: {stats['responses_429']}"
        )
        if report.pull is not None:
            pushing = elapsed - report.pull.seconds
            sent = used - report.pull.requests
            print(
                f"  push phase alone: {sent} requests in {pushing:.1f} s ="
                f" {sent / pushing / bound:.0%} of the bound; the pull: {report.pull.requests}"
                f" requests in {report.pull.seconds:.1f} s"
            )


def idle_cycle(deals: int) -> None:
    config = EmulatorConfig(seed=1, deals=deals, rate_limits=False)
    with EmulatorServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        target = f"sqlite:///{Path(tmp) / 'replica.db'}"
        clients: list[PipedriveClient] = []
        streams = ("organizations", "persons", "deals")
        started = time.perf_counter()
        run_cycle(
            BisyncRequest(streams=streams, target=target), client_factory=_factory(server, clients)
        )
        print(f"idle: first cycle ({deals} deals) {time.perf_counter() - started:.1f} s")
        httpx.post(server.url + "/_emulator/stats/reset")
        run_sync(
            SyncRequest(streams=streams, target=target), client_factory=_factory(server, clients)
        )
        sync_requests = sum(
            httpx.get(server.url + "/_emulator/stats").json()["requests_by_operation"].values()
        )
        httpx.post(server.url + "/_emulator/stats/reset")
        started = time.perf_counter()
        run_cycle(
            BisyncRequest(streams=streams, target=target), client_factory=_factory(server, clients)
        )
        elapsed = time.perf_counter() - started
        stats = httpx.get(server.url + "/_emulator/stats").json()["requests_by_operation"]
        print(
            f"idle cycle: {sum(stats.values())} requests in {elapsed:.2f} s"
            f" (plain incremental sync: {sync_requests}); by operation: {stats}"
        )


if __name__ == "__main__":
    busy_cycle(int(sys.argv[1]) if len(sys.argv) > 1 else 1000)
    idle_cycle(int(sys.argv[2]) if len(sys.argv) > 2 else 20_000)
