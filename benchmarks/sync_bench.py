"""Sync benchmark on the emulator: every stream of the default sync, against the true minimum.

Run:  .venv/bin/python benchmarks/sync_bench.py [--deals 20000] [--plan growth --latency-ms 50]
      .venv/bin/python benchmarks/sync_bench.py --deals 20000 --no-limits

The emulator runs in its own process (seed 42), so this process's CPU time and peak
RSS are the client's. One invocation does:

1. *Full sync* of every stream ``pdsync sync`` takes by default, into SQLite. Per
   stream: rows, requests (the emulator's count per operation), the true minimum, the
   ratio. The minimum is ``ceil(rows / page limit)`` per list (v1 files page at most
   100) with the rows *the API lists* (counted by ``pdsync verify``, not by the sync),
   one call per unpaginated list and per field endpoint, ``ceil(deals with products /
   100)`` for deal products, plus one listing per deleted pass (deals ``status=deleted``).
   Then wall time vs the rate-limit bound (requests ÷ the plan's allowed rate), rows/s
   (wall and client CPU), peak RSS, and ``pdsync verify``'s verdict.
2. *Resume*: a sync in a child process is killed (SIGKILL) after ``--kill-after``
   seconds; a second run finishes the job. Prints its requests vs the work left (the
   minimum for the rows not committed at the kill) and vs the uninterrupted run, then
   ``verify``'s verdict on the resumed replica.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import resource
import signal
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
from pdsync.catalog.registry import CATALOG
from pdsync.catalog.streams import StreamSpec, endpoint
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import BURST_API_TOKEN, DEFAULT_TOKEN
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.report import SyncReport
from pdsync.sync.run import default_streams, incremental_capable
from pdsync.verify import VerifyReport, verify_replica


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def emulator(deals: int, latency_ms: float, limits: bool, plan: str) -> Iterator[str]:
    port = free_port()
    command = [sys.executable, "-m", "pdsync", "emulator", "serve", "--port", str(port),
               "--size", str(deals), "--latency-ms", str(latency_ms), "--plan", plan,
               "--seed", "42"]  # fmt: skip
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


def make_client(url: str, limits: bool) -> PipedriveClient:
    connection = Connection(api_token=DEFAULT_TOKEN, base_url=url)
    # With limits, the shared governor learns the plan's limits from the headers. Without,
    # the emulator sends none, and a governor left alone would keep the lowest plan's
    # 20 requests / 2 s: the benchmark gives it a limit that never binds instead.
    if limits:
        return PipedriveClient(connection)
    return PipedriveClient(connection, governor=RateGovernor(burst_limit=1_000_000))


def run_sync(
    client: PipedriveClient, db: Path, workers: int, reconcile_every: timedelta | None = None
) -> SyncReport:
    destination = open_destination(f"sqlite:///{db}")
    selections = select_streams(incremental_capable(), requested=default_streams())
    options = SyncOptions(workers=workers)
    if reconcile_every is not None:
        options = SyncOptions(workers=workers, reconcile_every=reconcile_every)
    try:
        return SyncEngine(client, destination, selections, options).run()
    finally:
        destination.close()


def run_verify(client: PipedriveClient, db: Path) -> VerifyReport:
    destination = open_destination(f"sqlite:///{db}", readonly=True)
    try:
        return verify_replica(client, destination, default_streams())
    finally:
        destination.close()


# ------------------------------------------------------------------ the true minimum


def pages(rows: int, spec: StreamSpec) -> int:
    return 1 if spec.pagination == "none" else max(1, math.ceil(rows / spec.page_limit))


def deals_with_products(db: Path) -> int:
    with sqlite3.connect(db) as conn:
        sql = "SELECT COUNT(*) FROM deals WHERE products_count > 0 AND _pdsync_deleted_at IS NULL"
        return int(conn.execute(sql).fetchone()[0])


def table_rows(db: Path) -> dict[str, int]:
    with sqlite3.connect(db) as conn:
        return {
            name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0])
            for name in default_streams()
            if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,)).fetchone()
        }


def live_parents(db: Path, stream: str) -> int:
    with sqlite3.connect(db) as conn:
        sql = f'SELECT COUNT(*) FROM "{stream}" WHERE _pdsync_deleted_at IS NULL'
        return int(conn.execute(sql).fetchone()[0])


def minimum(spec: StreamSpec, listed: int, deleted: int, with_products: int, db: Path) -> int:
    """The fewest calls that can read ``listed`` records (``deleted`` by the deleted pass)."""
    parent = spec.parent
    if parent is not None:
        # Deal products: only deals whose counter says they have any. Other children: every
        # live parent (per parent, or per batch of parents), one page each at least.
        wanted = with_products if spec.name == "deal_products" else live_parents(db, parent.stream)
        return math.ceil(wanted / parent.batch_size)
    return pages(listed - deleted, spec) + sum(pages(deleted, spec) for _ in spec.passes)


def operation_of(spec: StreamSpec) -> str | None:
    op = endpoint(spec.version, spec.api_path)
    return op.operation_id if op else None


def stream_table(
    report: SyncReport, audit: VerifyReport, by_operation: dict[str, int], db: Path
) -> tuple[int, int]:
    """Print rows / requests / minimum per stream; return (requests, minimum) totals."""
    listed = {s.stream: s for s in audit.streams if s.skipped is None}
    with_products = deals_with_products(db)
    print(f"  {'stream':<22}{'rows':>9}{'listed':>9}{'requests':>10}{'minimum':>9}{'ratio':>8}")
    total_requests = total_min = 0
    attributed = 0
    for s in report.streams:
        spec = CATALOG[s.stream]
        check = listed.get(s.stream)
        api, deleted = (check.api, check.api_deleted) if check else (s.rows, 0)
        least = minimum(spec, api, deleted, with_products, db)
        op = operation_of(spec)
        used = by_operation.get(op, 0) if op else s.requests
        attributed += used
        total_requests += used
        total_min += least
        ratio = f"{used / least:.2f}" if least else "-"
        print(f"  {s.stream:<22}{s.rows:>9,}{api:>9,}{used:>10,}{least:>9,}{ratio:>8}")
    other = sum(by_operation.values()) - attributed
    if other:
        print(f"  {'(other operations)':<22}{'':>9}{'':>9}{other:>10,}")
        total_requests += other
    return total_requests, total_min


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


# ------------------------------------------------------------------------- runs


def full_run(args: argparse.Namespace, url: str, workdir: Path) -> tuple[SyncReport, int]:
    burst = BURST_API_TOKEN[args.plan]
    client = make_client(url, args.limits)
    db = workdir / "full.db"
    emulator_stats(url, reset=True)
    started, cpu = time.monotonic(), cpu_seconds()
    report = run_sync(client, db, args.workers)
    wall, cpu = time.monotonic() - started, cpu_seconds() - cpu
    rss = peak_rss_mb()
    stats = emulator_stats(url)
    audit = run_verify(client, db)
    client.close()
    limits = f"{args.plan} plan ({burst} req/2 s)" if args.limits else "limits off"
    print(f"\n== Full sync: {limits}, latency {args.latency_ms:g} ms, {args.workers} workers ==")
    used, least = stream_table(report, audit, stats["requests_by_operation"], db)
    bound = used / (burst / 2.0)
    rows = report.totals["rows"]
    print(f"requests            {used:,} (minimum {least:,}; ratio {used / least:.3f})")
    print(
        f"tokens              {stats['tokens_charged']:,}; 429 responses {stats['responses_429']}"
    )
    if args.limits:
        print(
            f"wall time           {wall:.1f} s (rate-limit bound at {burst}/2 s: {bound:.1f} s; "
            f"ratio {wall / bound:.2f})"
        )
    else:  # the client's governor is told so (make_client): no bound applies
        print(f"wall time           {wall:.1f} s (limits off: no rate-limit bound)")
    print(f"rows/s              {rows / wall:,.0f} wall, {rows / cpu:,.0f} per client CPU second")
    print(f"peak RSS            {rss:.0f} MB (client)")
    print(f"load average        {os.getloadavg()[0]:.2f} (machine; CPU figures vary with it)")
    print(
        f"verify              {audit.requests:,} requests, {audit.seconds:.1f} s: {audit.verdict()}"
    )
    return report, stats["total_requests"]


def change_account(url: str, deals: int, client: PipedriveClient) -> dict[str, int]:
    """Edits, creates and deletes on the account: the five core objects through the
    emulator's scripted activity, notes and leads through the API itself."""
    share = max(1, deals // 100)  # about 1 % of deals, in proportion for the others
    done: dict[str, int] = {}
    for entity in ("deal", "person", "organization", "product", "activity"):
        for action, count in (
            ("update", share),
            ("create", share // 2 or 1),
            ("delete", share // 5 or 1),
        ):
            body = json.dumps({"object": entity, "action": action, "count": count}).encode()
            request = urllib.request.Request(
                url + "/_emulator/mutate", data=body, method="POST",
                headers={"content-type": "application/json", "x-api-token": DEFAULT_TOKEN},
            )  # fmt: skip
            with urllib.request.urlopen(request, timeout=60):
                done[f"{entity} {action}"] = count
    notes = client.request("GET", "notes", version="v1", params={"limit": 10})["data"]
    leads = client.request("GET", "leads", version="v1", params={"limit": 10})["data"]
    for note in notes[:5]:
        client.request("PUT", f"notes/{note['id']}", version="v1", json={"content": "edited"})
    for note in notes[5:8]:
        client.request("DELETE", f"notes/{note['id']}", version="v1")
    for lead in leads[:5]:
        client.request("PATCH", f"leads/{lead['id']}", version="v1", json={"title": "edited"})
    for lead in leads[5:7]:
        client.request("DELETE", f"leads/{lead['id']}", version="v1")
    deal_id = notes[0].get("deal_id") or 1
    for n in range(5):
        client.request(
            "POST", "notes", version="v1", json={"content": f"new {n}", "deal_id": deal_id}
        )
    done.update({"note update": 5, "note delete": 3, "note create": 5,
                 "lead update": 5, "lead delete": 2})  # fmt: skip
    return done


def incremental_run(args: argparse.Namespace, url: str, workdir: Path) -> None:
    """Change every kind of record, sync incrementally, and verify the replica again."""
    client = make_client(url, args.limits)
    changes = change_account(url, args.deals, client)
    emulator_stats(url, reset=True)
    started = time.monotonic()
    # Deletes of streams Pipedrive lists no deleted records for are found by an id scan,
    # by default once a day (--reconcile-every); here every run, so verify can agree.
    report = run_sync(client, workdir / "full.db", args.workers, reconcile_every=timedelta(0))
    wall = time.monotonic() - started
    stats = emulator_stats(url)
    audit = run_verify(client, workdir / "full.db")
    client.close()
    totals = report.totals
    print("\n== Incremental sync after edits, creates and deletes (id scan on) ==")
    print(
        f"changes             {sum(changes.values()):,} ({', '.join(f'{k} {v}' for k, v in changes.items())})"
    )
    print(f"requests            {stats['total_requests']:,} in {wall:.1f} s")
    print(
        f"rows                inserted {totals.get('inserted', 0):,}, updated "
        f"{totals.get('updated', 0):,}, deleted {totals.get('deleted', 0):,}"
    )
    print(f"verify              {audit.requests:,} requests: {audit.verdict()}")


def killed_run(args: argparse.Namespace, url: str, db: Path) -> int:
    """A sync in a child process, SIGKILLed after ``--kill-after`` s; returns its requests."""
    emulator_stats(url, reset=True)
    command = [sys.executable, __file__, "--child", url, str(db), str(int(args.limits)),
               str(args.workers)]  # fmt: skip
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        child.wait(timeout=args.kill_after)
        print(f"(the sync finished before {args.kill_after} s: nothing to resume)")
    except subprocess.TimeoutExpired:
        os.kill(child.pid, signal.SIGKILL)
        child.wait()
    return int(emulator_stats(url)["total_requests"])


def resume_run(
    args: argparse.Namespace, url: str, workdir: Path, full: SyncReport, full_requests: int
) -> None:
    db = workdir / "resumed.db"
    before_kill = killed_run(args, url, db)
    at_kill = table_rows(db) if db.exists() else {}
    client = make_client(url, args.limits)
    emulator_stats(url, reset=True)
    started = time.monotonic()
    run_sync(client, db, args.workers)
    wall = time.monotonic() - started
    resumed = int(emulator_stats(url)["total_requests"])
    with_products = deals_with_products(db)
    # Work left: each stream's rows not committed at the kill, at the page limit; a stream
    # with nothing left still costs one call to learn so (and one per deleted pass).
    left = 0
    for s in full.streams:
        spec = CATALOG[s.stream]
        remaining = max(0, s.rows - at_kill.get(s.stream, 0))
        if spec.parent is not None and spec.parent.is_batch:
            share = remaining / max(1, s.rows)
            left += math.ceil(with_products * share / spec.parent.batch_size)
        else:
            left += pages(remaining, spec) + len(spec.passes)
    audit = run_verify(client, db)
    client.close()
    committed = sum(at_kill.values())
    print(f"\n== Resume after SIGKILL at {args.kill_after:g} s ==")
    print(f"killed run          {before_kill:,} requests, {committed:,} rows committed")
    print(
        f"resumed run         {resumed:,} requests in {wall:.1f} s; work left ≈ {left:,} requests "
        f"(minimum for the rows not committed); uninterrupted sync {full_requests:,}"
    )
    print(
        f"killed + resumed    {before_kill + resumed:,} requests ({(before_kill + resumed) / full_requests:.2f} × uninterrupted)"
    )
    print(f"verify              {audit.verdict()}")


def child_main(url: str, db: str, limits: str, workers: str) -> None:
    client = make_client(url, limits == "1")
    run_sync(client, Path(db), int(workers))


def main() -> None:
    if len(sys.argv) == 6 and sys.argv[1] == "--child":
        child_main(*sys.argv[2:])
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--deals", type=int, default=20_000)
    parser.add_argument("--latency-ms", type=float, default=0.0)
    parser.add_argument("--plan", default="growth", choices=sorted(BURST_API_TOKEN))
    parser.add_argument("--no-limits", dest="limits", action="store_false")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--kill-after", type=float, default=5.0, help="0: no resume run")
    args = parser.parse_args()
    print(
        f"pdsync sync benchmark: {args.deals:,} deals (persons 1x, activities 2x, notes 1/2x, "
        f"organizations 1/4x, leads 1/10x), pid {os.getpid()}"
    )
    with (
        tempfile.TemporaryDirectory(prefix="pdsync-bench-") as tmp,
        emulator(args.deals, args.latency_ms, args.limits, args.plan) as url,
    ):
        workdir = Path(tmp)
        full, full_requests = full_run(args, url, workdir)
        if args.kill_after > 0:
            resume_run(args, url, workdir, full, full_requests)
        incremental_run(args, url, workdir)  # last: it changes the account


if __name__ == "__main__":
    main()
