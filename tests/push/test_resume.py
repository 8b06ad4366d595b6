"""Nothing is written twice: lost answers are read back, reruns skip applied rows,
and a push killed with SIGKILL halfway ends, after a rerun, with every row applied once."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from collections import Counter
from pathlib import Path

import pytest

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.push import Journal, PushOptions, read_rows, run_push

from .conftest import Account, Push, write_csv


def _names(account: Account) -> Counter[str]:
    persons = account.client.iter_items("persons", params={"limit": 500})
    return Counter(p["name"] for p in persons)


def _faulty_account(tmp_path: Path, rules: list[dict[str, object]]) -> Account:
    script = tmp_path / "faults.json"
    script.write_text(json.dumps(rules), encoding="utf-8")
    return Account(EmulatorConfig(seed=1, deals=50, rate_limits=False, faults=f"script={script}"))


@pytest.mark.parametrize("landed", [True, False])
def test_create_whose_answer_is_lost_is_never_duplicated(tmp_path: Path, landed: bool) -> None:
    # The 2nd person POST fails: either after the write landed (connection reset) or before.
    rule = {"fault": "reset" if landed else "500", "match": "POST /api/v2/persons", "nth": 2}
    account = _faulty_account(tmp_path, [{**rule, "apply": landed}])

    source = write_csv(tmp_path / "in.csv", [{"name": f"Lost {i}"} for i in range(4)])
    with Journal(tmp_path / "j.db") as journal:
        result = run_push(account.client, read_rows(str(source)), PushOptions("persons"), journal)
    names = _names(account)
    assert [names[f"Lost {i}"] for i in range(4)] == [1, 1, 1, 1]
    assert result.applied == 4 and result.failed == 0
    posts = account.stats()["requests_by_operation"]["addPerson"]
    assert posts == (4 if landed else 5)  # a retry only when the read-back found nothing
    account.close()


def test_rerun_skips_rows_applied_before(account: Account, push: Push, tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    rows = [{"name": f"Rerun {i}"} for i in range(3)]
    first, _ = push("persons", rows, journal=journal)
    writes = account.writes()
    second, items = push("persons", [*rows, {"name": "Rerun 3"}], journal=journal)
    assert first.applied == 3 and second.applied == 1
    assert [i.action for i in items[:3]] == ["create"] * 3  # the journal keeps what happened
    assert account.writes() == writes + 1
    assert all(n == 1 for name, n in _names(account).items() if name.startswith("Rerun"))


def test_dry_run_leaves_the_journal_untouched(push: Push, tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    push("persons", [{"name": "Dry Journal"}], journal=journal, dry_run=True)
    assert not journal.exists()


def _done_rows(journal: Path) -> int:
    if not journal.exists():
        return 0
    try:
        with sqlite3.connect(journal, timeout=0.1) as db:
            return int(db.execute("SELECT count(*) FROM rows WHERE status='done'").fetchone()[0])
    except sqlite3.OperationalError:
        return 0


def _push_process(server: EmulatorServer, source: Path) -> subprocess.Popen[bytes]:
    env = {**os.environ, "PIPEDRIVE_API_TOKEN": server.config.token}
    env.pop("PDSYNC_CONNECTION", None)
    cmd = [sys.executable, "-m", "pdsync", "push", "persons", "--input", str(source)]
    cmd += ["--base-url", server.url, "--quiet"]
    return subprocess.Popen(cmd, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)


def test_push_killed_halfway_then_rerun_applies_each_row_once(tmp_path: Path) -> None:
    rows = [{"name": f"Killed {i:03d}", "email": f"killed{i}@example.com"} for i in range(60)]
    source = write_csv(tmp_path / "people.csv", rows)
    journal = tmp_path / "people.csv.persons-insert.pdsync-journal"
    config = EmulatorConfig(seed=1, deals=50, rate_limits=False, latency_ms=15)
    with EmulatorServer(config) as server:
        process = _push_process(server, source)
        deadline = time.monotonic() + 60
        while _done_rows(journal) < 15 and time.monotonic() < deadline:
            if process.poll() is not None:
                pytest.fail(f"push ended before it was killed: {process.stderr.read()!r}")  # type: ignore[union-attr]
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        killed_at = _done_rows(journal)
        assert 15 <= killed_at < 60, "the kill must land halfway"
        rerun = _push_process(server, source)
        _, err = rerun.communicate(timeout=120)
        assert rerun.returncode == 0, err.decode()
        client = PipedriveClient(Connection(api_token=config.token, base_url=server.url))
        names = Counter(p["name"] for p in client.iter_items("persons"))
        client.close()
    assert [names[r["name"]] for r in rows] == [1] * 60
    assert _done_rows(journal) == 60


def test_rerun_reads_back_a_create_left_sending(
    account: Account, push: Push, tmp_path: Path
) -> None:
    """A kill between sending a POST and recording its answer leaves the row 'sending'."""
    journal = tmp_path / "journal.db"
    rows = [{"name": "Left Sending 1"}, {"name": "Left Sending 2"}]
    _, first = push("persons", rows, journal=journal)
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE rows SET status='sending', record_id=NULL WHERE row_number=2")
    posts = account.stats()["requests_by_operation"]["addPerson"]
    _, items = push("persons", rows, journal=journal)
    assert account.stats()["requests_by_operation"]["addPerson"] == posts  # no second POST
    assert items[1].status == "done" and items[1].record_id == first[1].record_id
    assert "found by read-back" in items[1].message
    assert _names(account)["Left Sending 2"] == 1


def test_rerun_sends_a_create_that_never_landed(
    account: Account, push: Push, tmp_path: Path
) -> None:
    journal = tmp_path / "journal.db"
    push("persons", [{"name": "Never Landed"}], journal=journal, dry_run=False)
    account.client.request("DELETE", f"persons/{_only_id(account, 'Never Landed')}")
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE rows SET status='sending', record_id=NULL WHERE row_number=1")
    result, items = push("persons", [{"name": "Never Landed"}], journal=journal)
    assert items[0].action == "create" and result.applied == 1


def _only_id(account: Account, name: str) -> int:
    ids = [p["id"] for p in account.client.iter_items("persons") if p["name"] == name]
    assert len(ids) == 1
    return int(ids[0])
