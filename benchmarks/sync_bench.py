"""Sync benchmark on the emulator: requests vs the minimum, wall time vs the rate-limit bound, rows/s, RSS.

Run:  .venv/bin/python benchmarks/sync_bench.py [--deals 100000] [--latency-ms 30]

1. *Limited run*: an emulator process with the Growth plan's burst limit (40 requests
   per 2 s for an API token) and latency on; a full sync of deals, persons,
   organizations, activities (and their field definitions). Prints requests used vs
   the minimum possible (Σ ceil(rows/500) + one call per field endpoint, read from
   ``/_emulator/stats``), tokens, wall time vs the bound (requests ÷ allowed rate).
2. *Incremental run* after 1% of the deals and persons changed through the API.
3. *Throughput run*: a second emulator with limits and latency off: rows/s.
Peak RSS is this process's (the sync; the emulator runs in its own process).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import socket
import sqlite3
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import BURST_API_TOKEN, DEFAULT_TOKEN
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import StreamSelection
from pdsync.sync.report import SyncReport

STREAMS = ["deals", "persons", "organizations", "activities", "deal_products"]
TOP_LEVEL = STREAMS[:4]
FIELD_ENDPOINTS = 3  # dealFields, personFields, organizationFields


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator(deals: int, latency_ms: float, limits: bool, plan: str) -> Iterator[str]:
    port = free_port()
    command = [
        sys.executable,
        "-m",
        "pdsync",
        "emulator",
        "serve",
        "--port",
        str(port),
        "--size",
        str(deals),
        "--latency-ms",
        str(latency_ms),
        "--plan",
        plan,
        "--seed",
        "42",
    ]
    if not limits:
        command.append("--no-rate-limits")
    process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(600):
            try:
                emulator_stats(url)
                break
            except OSError:
                time.sleep(0.1)
        yield url
    finally:
        process.terminate()
        process.wait(timeout=30)


def emulator_stats(url: str, reset: bool = False) -> dict[str, Any]:
    path = "/_emulator/stats/reset" if reset else "/_emulator/stats"
    request = urllib.request.Request(url + path, method="POST" if reset else "GET")
    with urllib.request.urlopen(request, timeout=5) as response:
        data: dict[str, Any] = json.loads(response.read())
        return data


def run_sync(client: PipedriveClient, db: Path, **options: Any) -> SyncReport:
    destination = open_destination(f"sqlite:///{db}")
    selections = [StreamSelection(s, "incremental", s) for s in STREAMS]
    try:
        return SyncEngine(client, destination, selections, SyncOptions(**options)).run()
    finally:
        destination.close()


def minimum_requests(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        counts = [conn.execute(f'SELECT COUNT(*) FROM "{s}"').fetchone()[0] for s in TOP_LEVEL]
        # deal_products: one batch call per 100 deals that have products (and ≤ 500 rows).
        parents = conn.execute("SELECT COUNT(*) FROM deals WHERE products_count > 0").fetchone()[0]
    return (
        sum(max(1, math.ceil(c / 500)) for c in counts) + math.ceil(parents / 100) + FIELD_ENDPOINTS
    )


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def change_one_percent(client: PipedriveClient) -> int:
    """Edit 1% of the deals and 1% of the persons through the API (the oldest ids first)."""
    changed = 0
    for path, key in (("deals", "title"), ("persons", "name")):
        ids = [r["id"] for r in client.iter_items(path, params={"sort_by": "id"})]
        for record_id in ids[: max(1, len(ids) // 100)]:
            client.patch(f"{path}/{record_id}", json={key: f"changed {record_id}"})
            changed += 1
    return changed


def limited_run(args: argparse.Namespace, workdir: Path) -> None:
    burst = BURST_API_TOKEN[args.plan]
    with emulator(args.deals, args.latency_ms, True, args.plan) as url:
        client = PipedriveClient(Connection(api_token=DEFAULT_TOKEN, base_url=url))
        db = workdir / "limited.db"
        emulator_stats(url, reset=True)
        started = time.monotonic()
        report = run_sync(client, db, workers=args.workers)
        wall = time.monotonic() - started
        stats = emulator_stats(url)
        used, minimum = stats["total_requests"], minimum_requests(db)
        bound = used / (burst / 2.0)
        rows = report.totals["rows"]
        print(
            f"\n== Full sync, {args.plan} plan ({burst} req/2 s), latency {args.latency_ms} ms =="
        )
        print(f"rows                {rows:,}")
        print(f"requests            {used:,} (minimum {minimum:,}; ratio {used / minimum:.3f})")
        print(f"tokens              {stats['tokens_charged']:,}")
        print(f"429 responses       {stats['responses_429']}")
        print(
            f"wall time           {wall:.1f} s (rate-limit bound {bound:.1f} s; ratio {wall / bound:.2f})"
        )
        print(f"peak RSS            {peak_rss_mb():.0f} MB")
        changed = change_one_percent(client)
        emulator_stats(url, reset=True)
        started = time.monotonic()
        report = run_sync(client, db, workers=args.workers, reconcile_every=timedelta(hours=24))
        wall = time.monotonic() - started
        stats = emulator_stats(url)
        print(
            f"\n== Incremental sync after {changed:,} records changed (1% of deals and persons) =="
        )
        print(
            f"rows read           {report.totals['rows']:,} (updated {report.totals['updated']:,})"
        )
        for s in report.streams:
            print(
                f"  {s.stream:<18}{s.rows:>8,} rows, {s.updated:,} updated, {s.deleted:,} deleted"
            )
        print(
            f"requests            {stats['total_requests']:,}   tokens {stats['tokens_charged']:,}"
        )
        print(f"wall time           {wall:.1f} s")
        client.close()


def throughput_run(args: argparse.Namespace, workdir: Path) -> None:
    with emulator(args.deals, 0, False, args.plan) as url:
        client = PipedriveClient(
            Connection(api_token=DEFAULT_TOKEN, base_url=url),
            governor=RateGovernor(burst_limit=1_000_000),
        )
        started = time.monotonic()
        report = run_sync(client, workdir / "fast.db", workers=args.workers)
        wall = time.monotonic() - started
        rows = report.totals["rows"]
        print("\n== Full sync, limits and latency off ==")
        print(f"rows                {rows:,} in {wall:.1f} s = {rows / wall:,.0f} rows/s")
        print(f"requests            {report.requests:,}")
        print(f"peak RSS            {peak_rss_mb():.0f} MB")
        client.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=100_000)
    parser.add_argument("--latency-ms", type=float, default=30.0)
    parser.add_argument("--plan", default="growth")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--only", choices=["limited", "throughput"])
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="pdsync-bench-") as tmp:
        workdir = Path(tmp)
        print(
            f"pdsync sync benchmark: {args.deals:,} deals (persons 1x, activities 2x, organizations 1/4x), pid {os.getpid()}"
        )
        if args.only in (None, "throughput"):
            throughput_run(args, workdir)
        if args.only in (None, "limited"):
            limited_run(args, workdir)


if __name__ == "__main__":
    main()
