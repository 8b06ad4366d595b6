"""Restoring a snapshot into another account: every record created there, references
rewired to the copies, users matched by email, pipelines and stages by name; a second
run writes nothing."""

from __future__ import annotations

from collections import Counter
from pathlib import Path

from pdsync.backup import RestoreOptions, create_snapshot, load_state, read_account
from pdsync.backup.restore import run_restore
from pdsync.backup.seal import Sealer
from pdsync.backup.store import Store
from pdsync.emulator.config import EmulatorConfig

from .conftest import Account


def test_snapshot_copied_into_another_account(
    account: Account, store: Store, tmp_path: Path
) -> None:
    target = Account(EmulatorConfig(seed=2, deals=3, rate_limits=False, company_domain="globex"))
    manifest, _ = create_snapshot(account.client, store, account="acme")
    snap = load_state(store, manifest)
    try:
        result = run_restore(target.client, store, manifest.id, RestoreOptions(into="globex"))
        fresh = Store(tmp_path / "fresh", Sealer())
        fresh.folder.mkdir()
        copy = read_account(target.client, fresh).state
        writes = target.writes()
        again = run_restore(target.client, store, manifest.id, RestoreOptions(into="globex"))
        assert target.writes() == writes
        assert {a for c in again.counts.values() for a in c} <= {"done before", "skip"}
    finally:
        target.close()
    ids = result.ids
    titles = Counter(r["title"] for r in copy["deals"].values())
    assert all(titles[r["title"]] >= 1 for r in snap["deals"].values())
    emails = {k: u["email"] for k, u in snap["users"].items()}
    their_emails = {k: u["email"] for k, u in copy["users"].items()}
    for old, row in snap["deals"].items():
        new = copy["deals"][ids["deals"][old]]
        assert new["title"] == row["title"]
        if row["person_id"] in snap["persons"]:
            person = copy["persons"][new["person_id"]]
            assert person["name"] == snap["persons"][row["person_id"]]["name"]
        if row["org_id"] in snap["organizations"]:
            org = copy["organizations"][new["org_id"]]
            assert org["name"] == snap["organizations"][row["org_id"]]["name"]
        assert their_emails[new["owner_id"]] == emails[row["owner_id"]]
    for old, note in snap["notes"].items():
        new_note = copy["notes"][ids["notes"][old]]
        if note["deal_id"] in ids["deals"]:
            assert new_note["deal_id"] == ids["deals"][note["deal_id"]]
    unmatched = {u.stream for u in result.unrestorable}
    assert unmatched <= {"pipelines", "stages", "deals"}  # deals: the label field
