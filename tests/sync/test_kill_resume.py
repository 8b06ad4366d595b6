"""kill -9 during any stream of the default sync, then run again: the replica equals an uninterrupted sync's.

One replica is killed again and again, each run resuming what the last left: first
before anything is committed, then mid-backfill, during the children (deal products)
and the deleted passes, then once during every stream of the default sync whose read
resumes (plus a seeded sample of the streams replaced whole), in a seeded order, each
kill landing right after that stream's page arrived, while it is written. A last run
goes to the end, and every table must equal the reference sync's, row for row.

A kill is triggered by the sync's own JSON progress events (``--log-format json`` on
stderr), so it lands in the stream it targets however loaded the machine is.
"""

from __future__ import annotations

import json
import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import table_dump, user_tables

from pdsync.catalog.registry import CATALOG
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.run import default_streams

Event = dict[str, Any]
Trigger = tuple[str, Callable[[Event], bool]]


@pytest.fixture(scope="module")
def slow_account() -> Iterator[EmulatorServer]:
    # Latency per request makes a run last long enough to be killed mid-way; 900 deals
    # give the big streams several pages (and windows) to be killed between. The burst
    # limit headers of the largest plan keep the client from pacing itself at the
    # lowest plan's 20 requests / 2 s (the many runs need no daily budget worry).
    config = EmulatorConfig(deals=900, seed=11, latency_ms=10, plan="ultimate", daily_budget=10**9)
    with EmulatorServer(config) as server:
        yield server


def sync_process(server: EmulatorServer, db: Path) -> subprocess.Popen[str]:
    command = [
        sys.executable,
        "-m",
        "pdsync",
        "sync",  # no stream named: the default sync, every stream it takes
        "--target",
        f"sqlite:///{db}",
        "--base-url",
        server.url,
        "--log-format",
        "json",
    ]
    env = {
        **os.environ,
        "PIPEDRIVE_API_TOKEN": server.config.token,
        "PDSYNC_CONFIG_DIR": str(db.parent),
    }
    return subprocess.Popen(
        command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True
    )


def run_to_end(server: EmulatorServer, db: Path) -> None:
    process = sync_process(server, db)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err


def kill_on(server: EmulatorServer, db: Path, trigger: Trigger) -> bool:
    """Run a sync and kill -9 it at the first event ``trigger`` matches; False if none did."""
    process = sync_process(server, db)
    assert process.stderr is not None
    killed = False
    for line in process.stderr:
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if trigger[1](event):
            process.send_signal(signal.SIGKILL)
            killed = True
            break
    process.stderr.close()
    process.wait(timeout=60)
    assert killed or process.returncode == 0
    return killed


def page_of(stream: str, partition: str | None = None) -> Trigger:
    def matches(event: Event) -> bool:
        return (
            event.get("event") == "page_fetched"
            and event.get("stream") == stream
            and (partition is None or event.get("partition") == partition)
        )

    return f"page of {stream}" + (f" ({partition})" if partition else ""), matches


def nth_commit(n: int) -> Trigger:
    seen = [0]

    def matches(event: Event) -> bool:
        seen[0] += event.get("event") == "batch_committed"
        return seen[0] == n

    return f"commit {n}", matches


def triggers(rng: random.Random) -> list[Trigger]:
    """Kill points in order: early, mid-backfill, children, deleted passes, every stream.

    Every stream whose read resumes (incremental, full reads, children) is a target;
    streams replaced whole at commit (field definitions, pipelines, users, ...) share
    one code path, so a seeded sample of them keeps the test short.
    """
    first: list[Trigger] = [
        ("before any commit", lambda e: e.get("event") == "stream_started"),
        nth_commit(12),  # mid-backfill: windows of the big streams half written
        ("children", lambda e: e.get("event") == "batch_committed" and e.get("stream") == "deal_products"),
        page_of("deals", "deleted"),
        page_of("archived_deals", "deleted"),
    ]  # fmt: skip
    names = default_streams()
    resumable = [n for n in names if CATALOG[n].delete_strategy != "full_refresh_replace"]
    replaced = [n for n in names if n not in resumable]
    every = [page_of(n) for n in resumable + rng.sample(replaced, 4)]
    rng.shuffle(every)
    # Children read only for changed parents finish in passing, during the runs killed
    # elsewhere, and then have no page left to be killed at: they go first.
    passing = [page_of(n) for n in names if _changed_parents_only(n)]
    late = [t for t in every if t[0] not in {p[0] for p in passing}]
    return first + passing + late


def _changed_parents_only(name: str) -> bool:
    parent = CATALOG[name].parent
    return parent is not None and parent.changed_only


def test_kill_9_during_every_stream_then_resume_gives_the_same_replica(
    slow_account: EmulatorServer, tmp_path: Path
) -> None:
    started = time.monotonic()
    reference = tmp_path / "reference.db"
    run_to_end(slow_account, reference)
    db = tmp_path / "killed.db"
    plan = triggers(random.Random(20240601))
    landed = [name for name, match in plan if kill_on(slow_account, db, (name, match))]
    run_to_end(slow_account, db)

    assert user_tables(db) == user_tables(reference)
    for table in user_tables(reference):
        got, want = table_dump(db, table), table_dump(reference, table)
        assert len(got) == len(set(got)), f"duplicates in {table}"
        assert got == want, f"{table} differs after kill -9 and resume"
    wanted = [name for name, _ in plan]
    assert landed == wanted, f"no kill at {sorted(set(wanted) - set(landed))}"
    print(f"{len(landed)} kills in {time.monotonic() - started:.1f} s")
