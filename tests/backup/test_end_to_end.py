"""The issue's scenario at a small size, on the emulator: snapshot; delete organizations with
their persons and deals (with notes, activities, products, participants) and custom fields;
edit deals, deal product prices and a product's prices; the diff reports exactly that;
restore --deleted --changed; the account then matches the snapshot (ids mapped) and every
reference points at the re-created record; a second restore writes nothing."""

from __future__ import annotations

from pdsync.backup import RestoreOptions, Store, create_snapshot, load_state, read_account
from pdsync.backup.diff import diff_states
from pdsync.backup.restore import STAGES, run_restore

from .conftest import Account
from .scenario import assert_restored, by_stream, damage


def test_snapshot_damage_diff_restore(account: Account, store: Store) -> None:
    manifest, _ = create_snapshot(account.client, store, account="acme")
    snap = load_state(store, manifest)
    done = damage(account.client, snap)
    assert done["persons"] and done["notes"] and done["activities"] and len(done["fields"]) == 5

    diff = by_stream(diff_states(snap, read_account(account.client, store).state))
    assert diff["organizations"].deleted == done["organizations"]
    assert diff["persons"].deleted == done["persons"]
    assert diff["deals"].deleted == done["deals"]
    assert diff["notes"].deleted == done["notes"]
    assert diff["activities"].deleted == done["activities"]
    assert set(diff["deal_fields"].deleted) == done["fields"]
    assert len(diff["deals"].columns_removed) >= 5  # the deleted fields, once per stream
    assert sorted(diff["deals"].changed) == done["edited"]
    assert {c.field for cs in diff["deals"].changed.values() for c in cs} == {"title"}
    lost_products = {k for k, r in snap["deal_products"].items() if r["deal_id"] in done["deals"]}
    assert set(diff["deal_products"].deleted) == lost_products
    assert sorted(diff["deal_products"].changed) == sorted(done["priced"])
    assert list(diff["products"].changed) == [done["product"]]
    assert not diff["deal_participants"].changed and diff["deal_participants"].deleted
    for stream in ("leads", "pipelines", "stages", "users"):
        assert diff[stream].empty, stream

    writes = account.writes()
    plan = run_restore(account.client, store, manifest.id, RestoreOptions(dry_run=True))
    assert account.writes() == writes
    assert plan.counts["deals"]["create"] == len(done["deals"])
    assert not [s for s, counts in plan.counts.items() if "error" in counts]

    result = run_restore(account.client, store, manifest.id, RestoreOptions())
    assert not [u for u in result.unrestorable if u.stream in STAGES and "label" not in str(u.key)]
    ids = result.ids
    assert set(ids["organizations"]) == set(done["organizations"])
    assert set(ids["deals"]) == set(done["deals"])

    live = read_account(account.client, store).state
    assert_restored(snap, live, ids)

    # Every reference points at the re-created record.
    for old_note in done["notes"]:
        new_note = live["notes"][ids["notes"][old_note]]
        assert new_note["deal_id"] == ids["deals"][snap["notes"][old_note]["deal_id"]]
    for old_deal in done["deals"]:
        deal = live["deals"][ids["deals"][old_deal]]
        old = snap["deals"][old_deal]
        assert deal["org_id"] == ids["organizations"].get(old["org_id"], old["org_id"])
        assert deal["person_id"] == ids["persons"].get(old["person_id"], old["person_id"])
    new_deals = {ids["deals"][d] for d in done["deals"]}
    attached = {r["deal_id"] for r in live["deal_products"].values() if r["deal_id"] in new_deals}
    had = {
        ids["deals"][r["deal_id"]] for k, r in snap["deal_products"].items() if k in lost_products
    }
    assert attached == had

    writes = account.writes()
    again = run_restore(account.client, store, manifest.id, RestoreOptions())
    assert account.writes() == writes
    planned = {a for counts in again.counts.values() for a in counts}
    assert planned <= {"skip", "done before"}, again.counts
