"""kill -9 in the middle of a cycle, then run again: both sides converge, nothing is created twice.

The cycle runs in a child process that kills itself (SIGKILL) right after its Nth write
to Pipedrive landed, before it could record it: the worst moment for a journal.
"""

from __future__ import annotations

import signal
import subprocess
import sys
import textwrap
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest

from pdsync.api.client import PipedriveClient
from pdsync.bisync import BisyncRequest, run_cycle
from pdsync.config import Connection
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.run import SyncRequest, run_sync

from .conftest import STREAMS, Sql

_CHILD = textwrap.dedent(
    """
    import os, signal, sys
    from pdsync.api.client import PipedriveClient
    from pdsync.bisync import BisyncRequest, run_cycle
    from pdsync.config import Connection

    url, token, target, kill_after = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4])
    writes = 0
    original = PipedriveClient.send

    def send(self, method, path, **kwargs):
        global writes
        answer = original(self, method, path, **kwargs)
        if method in ("POST", "PATCH", "PUT", "DELETE"):
            writes += 1
            if writes == kill_after:
                os.kill(os.getpid(), signal.SIGKILL)  # landed, not yet recorded
        return answer

    PipedriveClient.send = send
    factory = lambda name, on_wait: PipedriveClient(Connection(api_token=token, base_url=url))
    run_cycle(BisyncRequest(streams=sys.argv[5].split(","), target=target), client_factory=factory)
    """
)


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(seed=1, deals=40, rate_limits=False)) as running:
        yield running


@pytest.mark.parametrize(
    ("kill_after", "sync_between"),
    [(1, True), (2, False), (4, False)],  # after a create (then a plain sync), a create, a delete
)
def test_kill_mid_cycle_then_rerun_converges(
    server: EmulatorServer, tmp_path: Path, kill_after: int, sync_between: bool
) -> None:
    target = f"sqlite:///{tmp_path / 'replica.db'}"
    token = server.config.token

    def cycle() -> None:
        factory = lambda _n, _w: PipedriveClient(Connection(api_token=token, base_url=server.url))  # noqa: E731
        run_cycle(BisyncRequest(streams=STREAMS, target=target), client_factory=factory)

    cycle()
    sql = Sql(target)
    sql.run("INSERT INTO persons (id, name) VALUES (-1, 'Killed Midway')")
    sql.run("INSERT INTO deals (id, title, person_id) VALUES (-2, 'Killed deal', -1)")
    sql.run("UPDATE deals SET title = 'Killed update' WHERE id = 3")
    sql.run("DELETE FROM deals WHERE id = 4")
    child = subprocess.run(
        [
            sys.executable,
            "-c",
            _CHILD,
            server.url,
            token,
            target,
            str(kill_after),
            ",".join(STREAMS),
        ],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert child.returncode == -signal.SIGKILL, child.stderr[-2000:]
    if sync_between:  # a plain `pdsync sync` pulls the created person in before the rerun
        factory = lambda _n, _w: PipedriveClient(Connection(api_token=token, base_url=server.url))  # noqa: E731
        run_sync(
            SyncRequest(streams=STREAMS, target=target, reconcile_every=timedelta(0)),
            client_factory=factory,
        )

    cycle()  # the rerun
    with httpx.Client(base_url=server.url, headers={"x-api-token": token}) as raw:
        persons = raw.get("/api/v2/persons", params={"limit": 500}).json()["data"]
        deals = raw.get("/api/v2/deals", params={"limit": 500}).json()["data"]
        assert [p["name"] for p in persons].count("Killed Midway") == 1
        assert [d["title"] for d in deals].count("Killed deal") == 1
        person = next(p for p in persons if p["name"] == "Killed Midway")
        deal = next(d for d in deals if d["title"] == "Killed deal")
        assert deal["person_id"] == person["id"]
        assert raw.get("/api/v2/deals/3").json()["data"]["title"] == "Killed update"
        assert raw.get("/api/v2/deals/4").json()["data"]["is_deleted"] is True
    assert sql.run("SELECT id, person_id FROM deals WHERE title = 'Killed deal'") == [
        (deal["id"], person["id"])
    ]
    assert sql.run("SELECT id, _pdsync_deleted_at FROM persons WHERE name = 'Killed Midway'") == [
        (person["id"], None)
    ]
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0
    sql.conn.close()
