"""Deleted deals Pipedrive still lists (``status=deleted``, 30 days) reach the replica, marked.

On the first sync and every later one, a deleted deal the replica lacks is inserted with
its full record and marked deleted; one it has is marked; nothing is inserted twice.
"""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

from sync_helpers import rows, sync

from pdsync.api.client import PipedriveClient
from pdsync.sync.deletes import DELETED_HISTORY

STREAMS = ["deals", "archived_deals"]


def deleted_in_api(client: PipedriveClient, path: str) -> dict[int, dict[str, Any]]:
    return {d["id"]: d for d in client.iter_items(path, params={"status": "deleted"})}


def marked(db: Path, table: str) -> dict[int, tuple[Any, ...]]:
    found = rows(
        db,
        f"SELECT id, title, is_deleted, update_time, _pdsync_deleted_at FROM {table} "
        "WHERE _pdsync_deleted_at IS NOT NULL",
    )
    return {r[0]: r[1:] for r in found}


def test_first_sync_inserts_deals_deleted_before_it_with_their_records(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "deleted.db"
    gone = next(iter(client.iter_items("deals")))
    client.patch(f"deals/{gone['id']}", json={"is_archived": True})
    client.delete(f"deals/{gone['id']}")  # an archived deal deleted: /deals/archived lists it
    api = deleted_in_api(client, "deals")
    archived = deleted_in_api(client, "deals/archived")
    assert api and archived, "the emulated account should hold deleted deals of both kinds"

    report = sync(client, db, STREAMS)

    got = marked(db, "deals")
    assert set(got) == set(api)
    for deal_id, (title, is_deleted, update_time, deleted_at) in got.items():
        assert title == api[deal_id]["title"]  # the full record, not an id-only stub
        assert is_deleted == 1 and deleted_at is not None
        assert update_time == api[deal_id]["update_time"]
    assert set(marked(db, "archived_deals")) == set(archived)
    deals = report.stream("deals")
    assert deals.deleted == len(api)
    assert deals.inserted == rows(db, "SELECT COUNT(*) FROM deals")[0][0]
    assert report.stream("archived_deals").deleted == len(archived)

    # A second run changes nothing and duplicates nothing.
    before = rows(db, "SELECT * FROM deals ORDER BY id")
    again = sync(client, db, STREAMS)
    assert again.stream("deals").deleted == 0 and again.stream("deals").inserted == 0
    after = rows(db, "SELECT * FROM deals ORDER BY id")
    assert [r[:-2] for r in after] == [r[:-2] for r in before]  # synced_at may move


def test_deals_created_and_deleted_between_two_runs_arrive_marked(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "between.db"
    sync(client, db, STREAMS)
    live = next(iter(client.iter_items("deals")))
    new = client.post("deals", json={"title": "Here and gone"})["data"]
    client.delete(f"deals/{new['id']}")
    client.delete(f"deals/{live['id']}")

    report = sync(client, db, STREAMS)

    assert report.stream("deals").deleted == 2
    got = marked(db, "deals")
    assert got[new["id"]][0] == "Here and gone" and got[new["id"]][1] == 1
    assert got[live["id"]][0] == live["title"]
    assert rows(db, "SELECT COUNT(*) FROM deals WHERE id = ?", (new["id"],)) == [(1,)]


def test_a_replica_made_before_deleted_inserts_catches_up_once(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "old.db"
    sync(client, db, ["deals"])
    api = deleted_in_api(client, "deals")
    # Make it look like a replica of an older pdsync: no deleted rows, no history flag.
    with sqlite3.connect(db) as conn:
        conn.execute("DELETE FROM deals WHERE _pdsync_deleted_at IS NOT NULL")
        (text,) = conn.execute(
            "SELECT state_json FROM _pdsync_state WHERE stream = 'deals'"
        ).fetchone()
        state = json.loads(text)
        state["extra"].pop(DELETED_HISTORY)
        conn.execute(
            "UPDATE _pdsync_state SET state_json = ? WHERE stream = 'deals'", (json.dumps(state),)
        )
    assert marked(db, "deals") == {}

    report = sync(client, db, ["deals"])

    assert set(marked(db, "deals")) == set(api)
    assert report.stream("deals").deleted == len(api)
    assert sync(client, db, ["deals"]).stream("deals").deleted == 0
