"""Push reads the field mappings of a replica `pdsync sync` wrote (SQL destinations store
them as column_name / options_json)."""

from __future__ import annotations

import sqlite3
from datetime import timedelta
from pathlib import Path

from pdsync.destinations import open_destination
from pdsync.push.replica import Replica
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.run import incremental_capable

from .conftest import Account


def test_field_mappings_of_a_synced_replica(account: Account, tmp_path: Path) -> None:
    path = tmp_path / "replica.db"
    destination = open_destination(f"sqlite:///{path}")
    selections = select_streams(incremental_capable(), requested=["deals"])
    SyncEngine(
        account.client, destination, selections, SyncOptions(reconcile_every=timedelta(0))
    ).run()
    destination.close()
    with sqlite3.connect(path) as db:
        stored = dict(
            db.execute(
                "SELECT key, column_name FROM _pdsync_fields WHERE entity = 'deal'"
            ).fetchall()
        )
    replica = Replica(f"sqlite:///{path}")
    try:
        mappings = replica.field_mappings("deal")
    finally:
        replica.close()
    assert {m.key: m.column for m in mappings} == stored
    custom = [m for m in mappings if m.is_custom]
    assert custom and all(len(m.key) == 40 for m in custom)
    assert any(m.options for m in custom if m.field_type == "enum")
