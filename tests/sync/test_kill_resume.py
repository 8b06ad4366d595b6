"""kill -9 at random moments, then run again: the replica equals an uninterrupted sync's."""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from sync_helpers import table_dump, user_tables

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

STREAMS = [
    "deals",
    "persons",
    "organizations",
    "activities",
    "notes",
    "leads",
    "deal_products",
    "stages",
]


@pytest.fixture(scope="module")
def slow_account() -> Iterator[EmulatorServer]:
    # Latency per request and per record makes a sync last long enough to be killed mid-way.
    with EmulatorServer(
        EmulatorConfig(deals=800, seed=11, latency_ms=20, rate_limits=False)
    ) as server:
        yield server


def sync_process(server: EmulatorServer, db: Path) -> subprocess.Popen[bytes]:
    command = [
        sys.executable,
        "-m",
        "pdsync",
        "sync",
        *STREAMS,
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
    return subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)


def run_to_end(server: EmulatorServer, db: Path) -> float:
    started = time.monotonic()
    process = sync_process(server, db)
    _, err = process.communicate(timeout=120)
    assert process.returncode == 0, err.decode()
    return time.monotonic() - started


def test_kill_9_at_random_points_then_resume_gives_the_same_replica(
    slow_account: EmulatorServer, tmp_path: Path
) -> None:
    reference = tmp_path / "reference.db"
    duration = run_to_end(slow_account, reference)
    rng = random.Random(20240601)
    kills = 0
    for iteration in range(2):
        db = tmp_path / f"killed-{iteration}.db"
        for _ in range(3):  # several kills in a row on the same replica
            process = sync_process(slow_account, db)
            time.sleep(rng.uniform(0.2, max(0.3, duration * 0.6)))
            if process.poll() is None:
                process.send_signal(signal.SIGKILL)
                kills += 1
            process.wait(timeout=30)
        run_to_end(slow_account, db)
        assert user_tables(db) == user_tables(reference)
        for table in user_tables(reference):
            got, want = table_dump(db, table), table_dump(reference, table)
            assert len(got) == len(set(got)), f"duplicates in {table}"
            assert got == want, f"{table} differs after kill -9 and resume"
    assert kills >= 3, "the sync should have been killed mid-way most of the time"
