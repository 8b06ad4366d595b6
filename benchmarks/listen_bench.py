"""``pdsync listen`` figures: lag from API write to committed replica row, and throughput.

A script, not a test. It runs the emulator over HTTP and a listener (the library, in this
process) on a temporary SQLite replica, then:

1. *lag*: ``--changes`` API writes (creates, changes, deletes across deals, persons,
   organizations, activities, products and leads) paced at ``--rate`` per second; for each
   applied delivery, the time from the change in the emulator (``meta.timestamp``) to the
   commit of its row; p50/p95 printed, with the listener's API requests meanwhile;
2. *throughput*: ``--deliveries`` hand-made deal deliveries posted to the receiver by
   ``--senders`` concurrent connections from another process, as fast as it takes them;
   deliveries/s journaled (answered 2xx) and applied, and per CPU second of the listener
   (a figure that does not depend on what else the machine runs).

The listener's process is pinned to one core; the senders' process to another.

    .venv/bin/python benchmarks/listen_bench.py [--rate 50] [--changes 500] [--deliveries 5000]
"""

from __future__ import annotations

import argparse
import copy
import json
import multiprocessing
import os
import sys
import tempfile
import threading
import time
import uuid
from pathlib import Path
from typing import Any

import httpx

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.live.journal import Journal
from pdsync.live.service import ListenOptions, ListenService

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.live.account import STREAMS, Writer


def lag_phase(server: EmulatorServer, service: ListenService, rate: float, changes: int) -> None:
    api = httpx.Client(base_url=server.url, headers={"x-api-token": server.config.token})
    writer = Writer(api, seed=1)
    requests_before = service.client.stats.requests
    start = time.monotonic()
    for index in range(changes):
        writer.one()
        delay = start + (index + 1) / rate - time.monotonic()
        if delay > 0:
            time.sleep(delay)
    wrote = time.monotonic() - start
    server.emulator.edges.webhooks.wait_idle(30)
    service.wait_idle(30)
    status = service.snapshot()
    print(f"lag phase: {changes} API writes in {wrote:.1f} s ({changes / wrote:.0f}/s)")
    print(
        f"  applied {status['applied']}, superseded {status['superseded']}, "
        f"lag p50 {status['lag_ms']['p50']} ms, p95 {status['lag_ms']['p95']} ms"
    )
    print(f"  listener API requests meanwhile: {service.client.stats.requests - requests_before}")
    api.close()


def throughput_phase(
    server: EmulatorServer, service: ListenService, deliveries: int, senders: int
) -> None:
    api = httpx.Client(base_url=server.url, headers={"x-api-token": server.config.token})
    deal = api.get("/api/v2/deals/1").json()["data"]
    api.close()
    deal.pop("custom_fields", None)
    bodies = []
    base = time.time()
    for n in range(deliveries):
        data = copy.deepcopy(deal)
        data["id"] = 1 + n % 200
        data["title"] = f"bench {n}"
        stamp = base + n / 1000
        data["update_time"] = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(stamp))
        meta = {
            "action": "change", "entity": "deal", "entity_id": str(data["id"]),
            "id": str(uuid.uuid4()), "version": "2.0", "attempt": 1,
            "timestamp": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(stamp))
            + f".{int(stamp * 1000) % 1000:03d}Z",
        }  # fmt: skip
        bodies.append(json.dumps({"meta": meta, "data": data, "previous": {}}).encode())
    applied_before = service.snapshot()["applied"] + service.snapshot()["superseded"]
    auth = (service.credentials.user, service.credentials.password)
    url = service.receiver.url + "/pipedrive"
    # The senders run in another process (on another core when there is one), so the CPU
    # time measured here is the listener's own: receiver, journal and applier.
    context = multiprocessing.get_context("fork")
    refused = context.Value("i", 0)
    sender = context.Process(target=_send_all, args=(url, auth, bodies, senders, refused))
    cpu = time.process_time()
    start = time.monotonic()
    sender.start()
    sender.join()
    journaled = time.monotonic() - start
    service.wait_idle(120)
    done = time.monotonic() - start
    cpu = time.process_time() - cpu
    status = service.snapshot()
    settled = status["applied"] + status["superseded"] - applied_before
    print(f"throughput: {deliveries} deliveries from {senders} connections (another process)")
    print(
        f"  journaled (2xx) {deliveries / journaled:.0f}/s, journal commits {service.journal.commits}"
    )
    print(f"  settled {settled} ({deliveries / done:.0f}/s end to end), refused {refused.value}")
    print(f"  listener CPU {cpu:.1f} s: {deliveries / cpu:.0f} deliveries per CPU second")


def _send_all(
    url: str, auth: tuple[str, str], bodies: list[bytes], senders: int, refused: Any
) -> None:
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if len(cpus) > 1:
        os.sched_setaffinity(0, {cpus[-1]})

    def send(part: list[bytes]) -> None:
        with httpx.Client(auth=auth, headers={"Content-Type": "application/json"}) as http:
            for body in part:
                if http.post(url, content=body).status_code != 200:
                    with refused.get_lock():
                        refused.value += 1

    threads = [threading.Thread(target=send, args=(bodies[i::senders],)) for i in range(senders)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rate", type=float, default=50.0)
    parser.add_argument("--changes", type=int, default=500)
    parser.add_argument("--deliveries", type=int, default=5000)
    parser.add_argument("--senders", type=int, default=8)
    args = parser.parse_args()
    cpus = sorted(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else []
    if cpus:
        os.sched_setaffinity(0, {cpus[0]})  # the emulator and the listener: one core
    config = EmulatorConfig(seed=2, deals=200, rate_limits=False)
    with tempfile.TemporaryDirectory() as folder, EmulatorServer(config) as server:
        destination = open_destination(f"sqlite:///{folder}/replica.db")
        journal = Journal(f"{folder}/replica.db.listen")
        client = PipedriveClient(Connection(api_token=config.token, base_url=server.url))
        options = ListenOptions(streams=tuple(STREAMS), port=0, catch_up_every=None)
        service = ListenService(client, destination, journal, options).start()
        service.wait_idle(60)
        print(f"start catch-up: {service.snapshot()['last_catch_up']}")
        lag_phase(server, service, args.rate, args.changes)
        throughput_phase(server, service, args.deliveries, args.senders)
        service.stop()
        journal.close()
        client.close()
        destination.close()


if __name__ == "__main__":
    main()
