"""Load the event ingest endpoint and report acknowledgement throughput and latency.

Starts the Pipedrive emulator (rate limits on, plan lite = 20 requests / 2 s) and a
real ``pdsync events serve`` subprocess against it, then fires single-event
``POST /v1/track`` requests (one event per request: the hard case for durable
storage) from several client processes over keep-alive connections. Every 200
means the event is fsynced in the outbox. Prints acknowledged events/s, p50/p99
acknowledgement latency, the number of group commits, and how far delivery got
while the load ran (it is bounded by the rate limit, not by ingest).

    .venv/bin/python benchmarks/events_load.py [--events 20000] [--procs 2] [--conns 16]
"""

from __future__ import annotations

import argparse
import base64
import http.client
import json
import multiprocessing
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "tests"))

from events.process import ServeProcess, free_port, write_config  # noqa: E402
from pdsync.emulator.config import EmulatorConfig  # noqa: E402
from pdsync.emulator.server import EmulatorServer  # noqa: E402

WRITE_KEY = "wk-benchmark-0001"


def _connection_worker(port: int, start: int, count: int, out: list[float]) -> None:
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(start, start + count):
        body = json.dumps(
            {
                "userId": f"load-{n % 500}",
                "event": "Page Viewed",
                "messageId": f"load-{n}",
                "properties": {"path": "/pricing"},
            }
        )
        began = time.perf_counter()
        conn.request("POST", "/v1/track", body=body, headers=headers)
        response = conn.getresponse()
        response.read()
        if response.status != 200:
            raise RuntimeError(f"HTTP {response.status}")
        out.append(time.perf_counter() - began)
    conn.close()


def _client_process(args: tuple[int, int, int, int]) -> list[float]:
    port, first, count, conns = args
    latencies: list[float] = []
    per_conn = count // conns
    threads = [
        threading.Thread(
            target=_connection_worker, args=(port, first + i * per_conn, per_conn, latencies)
        )
        for i in range(conns)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def run(events: int, procs: int, conns: int) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorServer(EmulatorConfig(deals=50, plan="lite")) as emu,
    ):
        port = free_port()
        serve = ServeProcess(write_config(Path(tmp), WRITE_KEY), emu.url, emu.config.token, port)
        try:
            per_proc = events // procs
            began = time.perf_counter()
            with multiprocessing.Pool(procs) as pool:
                chunks = pool.map(
                    _client_process, [(port, i * per_proc, per_proc, conns) for i in range(procs)]
                )
            elapsed = time.perf_counter() - began
            health = serve.health()
        finally:
            serve.stop()
    latencies = sorted(x for chunk in chunks for x in chunk)
    return {
        "events": len(latencies),
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "client_connections": procs * conns,
        "delivered_during_load": health["delivered"],
        "failed_during_load": health["failed"],
        "pending_after_load": health["pending"],
        "group_commits": health["commits"],
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--conns", type=int, default=16, help="keep-alive connections per process")
    options = parser.parse_args()
    print(json.dumps(run(options.events, options.procs, options.conns), indent=2))


if __name__ == "__main__":
    main()
