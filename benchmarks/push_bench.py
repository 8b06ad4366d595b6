"""Rows/s pushed to the emulator under the Growth plan's burst limit, against the bound.

The bound: Growth allows 40 requests per rolling 2-second window per API token, so no
client can write faster than 20 rows/s with one request per row. The script pushes
ROWS new persons (insert), then updates them all by id (update: one read and one
write per row), then adds followers to deals (links: one list read per deal, cached,
plus one POST per follower not already there), and prints rows/s, requests used and
the share of the bound reached.

    .venv/bin/python benchmarks/push_bench.py [ROWS]
"""

from __future__ import annotations

import csv
import sys
import tempfile
import time
from pathlib import Path

import httpx

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.emulator.config import BURST_API_TOKEN, EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.push import Journal, PushOptions, read_rows, run_push

WINDOW_SECONDS = 2.0


def _write(path: Path, header: list[str], rows: list[list[str]]) -> Path:
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(rows)
    return path


def _run(client: PipedriveClient, source: Path, options: PushOptions) -> tuple[float, int]:
    started = time.perf_counter()
    with Journal(source.with_suffix(".journal")) as journal:
        result = run_push(client, read_rows(str(source)), options, journal)
    return time.perf_counter() - started, result.applied


def main(rows: int = 200) -> None:
    config = EmulatorConfig(seed=1, deals=50, plan="growth", rate_limits=True)
    burst = BURST_API_TOKEN["growth"]
    bound = burst / WINDOW_SECONDS  # requests per second
    with EmulatorServer(config) as server, tempfile.TemporaryDirectory() as tmp:
        client = PipedriveClient(Connection(api_token=config.token, base_url=server.url))
        folder = Path(tmp)
        names = [[f"Bench {i}", f"bench{i}@example.com", str(i)] for i in range(rows)]
        inserts = _write(folder / "insert.csv", ["name", "email", "Seats requested"], names)
        elapsed, applied = _run(client, inserts, PushOptions("persons"))
        used = client.stats.requests
        stats = httpx.get(server.url + "/_emulator/stats").json()
        print(f"insert: {applied} rows in {elapsed:.1f} s = {applied / elapsed:.1f} rows/s")
        print(f"        {used} requests; bound {bound:.0f} req/s ({burst} per 2 s window)")
        print(f"        {used / elapsed / bound:.0%} of the bound; 429s: {stats['responses_429']}")
        ids = [p["id"] for p in client.iter_items("persons") if p["name"].startswith("Bench ")]
        updates = [[str(pid), f"{i + 1}"] for i, pid in enumerate(ids)]
        source = _write(folder / "update.csv", ["id", "Seats requested"], updates)
        before = client.stats.requests
        elapsed, applied = _run(client, source, PushOptions("persons", "update"))
        used = client.stats.requests - before
        print(f"update: {applied} rows in {elapsed:.1f} s = {applied / elapsed:.1f} rows/s")
        print(
            f"        {used} requests (read + write per row); {used / elapsed / bound:.0%} of the bound"
        )
        _followers(client, folder, rows, bound)
        stats = httpx.get(server.url + "/_emulator/stats").json()
        print(f"429s over all runs: {stats['responses_429']}")
        client.close()


def _followers(client: PipedriveClient, folder: Path, rows: int, bound: float) -> None:
    """ROWS follower rows: users 1-4 on deals 1..ROWS/4 (owners already follow: skipped)."""
    deals = max(1, rows // 4)
    pairs = [[str(deal), str(user)] for deal in range(1, deals + 1) for user in range(1, 5)]
    source = _write(folder / "followers.csv", ["deal", "user"], pairs)
    before = client.stats.requests
    elapsed, applied = _run(client, source, PushOptions("deal_followers"))
    used = client.stats.requests - before
    print(f"followers: {len(pairs)} rows ({applied} added) in {elapsed:.1f} s")
    print(f"        = {len(pairs) / elapsed:.1f} rows/s; {used} requests ({deals} lists)")
    print(f"        {used / elapsed / bound:.0%} of the bound")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 200)
