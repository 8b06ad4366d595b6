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

import httpx  # noqa: E402

from events.emulated import create_fields  # noqa: E402
from events.process import ServeProcess, free_port, write_config  # noqa: E402
from pdsync.api.client import PipedriveClient  # noqa: E402
from pdsync.config import Connection  # noqa: E402
from pdsync.emulator.config import EmulatorConfig  # noqa: E402
from pdsync.emulator.server import EmulatorServer  # noqa: E402

WRITE_KEY = "wk-benchmark-0001"
PLAN = "lite"
BURST_LIMIT = 20  # plan lite: requests per token per window
SEARCH_LIMIT = 10  # search endpoints, every plan
WINDOW_S = 2.0


def _connection_worker(port: int, start: int, count: int, users: int, out: list[float]) -> None:
    auth = "Basic " + base64.b64encode(f"{WRITE_KEY}:".encode()).decode()
    headers = {"Authorization": auth, "Content-Type": "application/json"}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for n in range(start, start + count):
        body = json.dumps(
            {
                "userId": f"load-{n % users}",
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


def _client_process(args: tuple[int, int, int, int, int]) -> list[float]:
    port, first, count, conns, users = args
    latencies: list[float] = []
    per_conn = count // conns
    threads = [
        threading.Thread(
            target=_connection_worker, args=(port, first + i * per_conn, per_conn, users, latencies)
        )
        for i in range(conns)
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return latencies


def _emulator_stats(emu: EmulatorServer, *, reset: bool = False) -> dict[str, Any]:
    if reset:
        httpx.post(emu.url + "/_emulator/stats/reset", timeout=5)
        return {}
    return dict(httpx.get(emu.url + "/_emulator/stats", timeout=5).json())


def _prepare_account(emu: EmulatorServer) -> None:
    """The custom fields the config names (user_id_field, group_id_field): without them
    every event is rightly dead-lettered ("'App user id' is not a field of persons")."""
    client = PipedriveClient(Connection(api_token=emu.config.token, base_url=emu.url))
    try:
        create_fields(client)
    finally:
        client.close()


def _deliver_for(serve: ServeProcess, seconds: float) -> tuple[dict[str, Any], float]:
    """Let delivery run ``seconds`` more (bounded); returns the health and the real time taken."""
    began = time.perf_counter()
    deadline = began + seconds
    health = serve.health()
    while time.perf_counter() < deadline and health["pending"] > 0:
        time.sleep(0.5)
        health = serve.health()
    return health, time.perf_counter() - began


def run(events: int, procs: int, conns: int, users: int, deliver_seconds: float) -> dict[str, Any]:
    with (
        tempfile.TemporaryDirectory() as tmp,
        EmulatorServer(EmulatorConfig(deals=50, plan=PLAN)) as emu,
    ):
        _prepare_account(emu)
        _emulator_stats(emu, reset=True)
        port = free_port()
        serve = ServeProcess(write_config(Path(tmp), WRITE_KEY), emu.url, emu.config.token, port)
        try:
            per_proc = events // procs
            began = time.perf_counter()
            with multiprocessing.Pool(procs) as pool:
                chunks = pool.map(
                    _client_process,
                    [(port, i * per_proc, per_proc, conns, users) for i in range(procs)],
                )
            elapsed = time.perf_counter() - began
            during = serve.health()
            after, delivery_window = _deliver_for(serve, deliver_seconds)
            api = _emulator_stats(emu)
        finally:
            serve.stop()
    latencies = sorted(x for chunk in chunks for x in chunk)
    delivered = after["delivered"]
    delivery_seconds = elapsed + delivery_window
    per_event = api["total_requests"] / delivered if delivered else None
    return {
        "events": len(latencies),
        "users": users,
        "seconds": round(elapsed, 2),
        "events_per_s": round(len(latencies) / elapsed),
        "p50_ms": round(statistics.median(latencies) * 1000, 2),
        "p99_ms": round(latencies[int(len(latencies) * 0.99) - 1] * 1000, 2),
        "client_connections": procs * conns,
        "group_commits": during["commits"],
        "delivered_during_load": during["delivered"],
        "failed_during_load": during["failed"],
        "delivery_seconds": round(delivery_seconds, 1),
        "delivered": delivered,
        "failed": after["failed"],
        "pending_at_end": after["pending"],
        "delivered_per_s": round(delivered / delivery_seconds, 2),
        "api_requests": api["total_requests"],
        "api_requests_by_operation": api["requests_by_operation"],
        "responses_429": api["responses_429"],
        "requests_per_delivered_event": None if per_event is None else round(per_event, 2),
        "bound_events_per_s": None
        if per_event is None
        else round(BURST_LIMIT / WINDOW_S / per_event, 2),
        "plan_limit": f"{PLAN}: {BURST_LIMIT} requests / {WINDOW_S:g} s ({SEARCH_LIMIT} for search)",
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=20_000)
    parser.add_argument("--procs", type=int, default=2, help="client processes")
    parser.add_argument("--conns", type=int, default=16, help="keep-alive connections per process")
    parser.add_argument("--users", type=int, default=200, help="distinct userIds in the load")
    parser.add_argument(
        "--deliver-seconds",
        type=float,
        default=30.0,
        help="how long delivery keeps running after the load, to measure its rate",
    )
    options = parser.parse_args()
    result = run(
        options.events, options.procs, options.conns, options.users, options.deliver_seconds
    )
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
