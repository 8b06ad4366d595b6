"""A restore killed with SIGKILL halfway, then run again, ends as an uninterrupted one:
every deleted record re-created once, every reference rewired, nothing duplicated."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import httpx
import pytest

import pdsync
from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.backup import create_snapshot, load_state, open_account_store, read_account
from pdsync.backup.restore import load_id_map, restore_folder
from pdsync.backup.seal import Sealer
from pdsync.backup.store import Store
from pdsync.config import Connection
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

from .scenario import assert_restored, damage

WRITES = ("add", "update", "delete", "post", "patch", "put")


def _writes(server: EmulatorServer) -> int:
    stats = httpx.get(f"{server.url}/_emulator/stats").json()["requests_by_operation"]
    return sum(n for op, n in stats.items() if op.lower().startswith(WRITES))


def _restore(server: EmulatorServer, root: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PIPEDRIVE_API_TOKEN": server.config.token}
    env["PYTHONPATH"] = str(Path(pdsync.__file__).parents[1])
    env.pop("PDSYNC_CONNECTION", None)
    cmd = [sys.executable, "-m", "pdsync", "restore", "latest", "--to", str(root)]
    cmd += ["--base-url", server.url]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_restore_killed_halfway_then_rerun(tmp_path: Path) -> None:
    root = tmp_path / "backups"
    # Rate limits on, at the highest plan: the CLI learns 120 requests per 2 s from the headers.
    config = EmulatorConfig(seed=3, deals=25, plan="ultimate", latency_ms=2)
    with EmulatorServer(config) as server:
        client = PipedriveClient(
            Connection(api_token=config.token, base_url=server.url),
            governor=RateGovernor(burst_limit=100_000, search_limit=100_000),
        )
        store = open_account_store(client, root, create=True)
        manifest, _ = create_snapshot(client, store, account="acme")
        snap = load_state(store, manifest)
        damage(client, snap, orgs_deleted=2)
        before = _writes(server)

        process = _restore(server, root)
        deadline = time.monotonic() + 60
        while _writes(server) < before + 20 and time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"restore ended before the kill: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.005)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_after = _writes(server) - before
        rerun = _restore(server, root)
        _, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err.decode()
        total = _writes(server) - before

        # The account as a first read sees it (the store's cache reads children only for
        # parents whose update time moved, and adding a participant does not move it).
        fresh = Store(tmp_path / "fresh", Sealer())
        live = read_account(client, fresh).state
        ids = load_id_map(restore_folder(store, manifest.id))
        client.close()
    assert 20 <= killed_after < total, "the kill must land halfway"
    assert_restored(snap, live, ids)
    for stream in ("organizations", "persons", "deals", "activities", "notes", "deal_products"):
        assert len(live[stream]) == len(snap[stream]), stream  # nothing created twice
    titles = Counter(r["title"] for r in live["deals"].values())
    assert titles == Counter(r["title"] for r in snap["deals"].values())
