"""The issue's scenario at a small size, on the emulator: snapshot; delete organizations with
their persons and deals (with notes, activities, products, participants) and custom fields;
edit deals, deal product prices and a product's prices; the diff reports exactly that;
restore --deleted --changed; the account then matches the snapshot (ids mapped) and every
reference points at the re-created record; a second restore writes nothing."""

from __future__ import annotations

import json
from typing import Any

from pdsync.backup import RestoreOptions, Store, create_snapshot, load_state, read_account
from pdsync.backup.diff import StreamDiff, diff_states
from pdsync.backup.restore import STAGES, run_restore
from pdsync.backup.state import State

from .conftest import Account

ORGS = 4
EDITED = 5
FIELD_TYPES = ("enum", "set", "monetary", "daterange", "varchar")  # one deleted field of each


def _by_stream(diffs: list[StreamDiff]) -> dict[str, StreamDiff]:
    return {d.stream: d for d in diffs}


def _damage(account: Account, snap: State) -> dict[str, Any]:
    """Delete and edit through the API, as a careless admin would; return what was done."""
    client = account.client
    orgs = sorted(snap["organizations"])[:ORGS]
    persons = sorted(k for k, r in snap["persons"].items() if r["org_id"] in orgs)
    deals = sorted(
        k for k, r in snap["deals"].items() if r["org_id"] in orgs or r["person_id"] in persons
    )
    notes = sorted(k for k, r in snap["notes"].items() if r["deal_id"] in deals)
    activities = sorted(k for k, r in snap["activities"].items() if r["deal_id"] in deals)
    for note in notes:
        client.delete(f"notes/{note}", version="v1")
    for activity in activities:
        client.delete(f"activities/{activity}")
    for deal in deals:
        client.delete(f"deals/{deal}")
    for person in persons:
        client.delete(f"persons/{person}")
    for org in orgs:
        client.delete(f"organizations/{org}")
    custom = sorted(
        (r for r in snap["deal_fields"].values() if r["is_custom_field"]),
        key=lambda r: r["field_code"],
    )
    fields = {next(r["field_code"] for r in custom if r["field_type"] == t) for t in FIELD_TYPES}
    for code in fields:
        client.delete(f"dealFields/{code}")
    edited = sorted(k for k in snap["deals"] if k not in deals)[:EDITED]
    for deal in edited:
        client.patch(f"deals/{deal}", json={"title": f"Renamed {deal}"})
    priced = sorted(
        (r for r in snap["deal_products"].values() if r["deal_id"] in edited), key=lambda r: r["id"]
    )[:3]
    for row in priced:
        path = f"deals/{row['deal_id']}/products/{row['id']}"
        client.patch(path, json={"item_price": row["item_price"] + 100})
    product = sorted(snap["products"])[0]
    prices = [
        {k: v for k, v in p.items() if k != "product_id"} | {"price": 1.0}
        for p in snap["products"][product]["prices"]
    ]
    client.patch(f"products/{product}", json={"prices": prices})
    return {
        "organizations": orgs,
        "persons": persons,
        "deals": deals,
        "notes": notes,
        "activities": activities,
        "fields": fields,
        "edited": edited,
        "priced": [r["id"] for r in priced],
        "product": product,
    }


def test_snapshot_damage_diff_restore(account: Account, store: Store) -> None:
    manifest, _ = create_snapshot(account.client, store, account="acme")
    snap = load_state(store, manifest)
    done = _damage(account, snap)
    assert done["persons"] and done["notes"] and done["activities"] and len(done["fields"]) == 5

    diff = _by_stream(diff_states(snap, read_account(account.client, store).state))
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

    result = run_restore(account.client, store, manifest.id, RestoreOptions())
    assert not [u for u in result.unrestorable if u.stream in STAGES and "label" not in str(u.key)]
    ids = result.ids
    assert set(ids["organizations"]) == set(done["organizations"])
    assert set(ids["deals"]) == set(done["deals"])

    live = read_account(account.client, store).state
    after = _by_stream(diff_states(snap, live, ids=ids))
    for stream in (*STAGES, "deal_fields"):
        remaining = after[stream]
        if stream == "deals":
            # Deal labels: the emulator's dealFields list no label options, so push
            # cannot check them; the restore reports them (asserted above) instead.
            assert all({c.field for c in cs} == {"label_ids"} for cs in remaining.changed.values())
            remaining.changed.clear()
        if stream == "notes":
            # The emulator ignores add_time on POST /v1/notes (Pipedrive accepts it).
            assert all({c.field for c in cs} == {"add_time"} for cs in remaining.changed.values())
            remaining.changed.clear()
        assert remaining.empty, json.dumps(remaining.to_json(), default=str)

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
    had = {ids["deals"][r["deal_id"]] for k, r in snap["deal_products"].items() if k in lost_products}
    assert attached == had

    writes = account.writes()
    again = run_restore(account.client, store, manifest.id, RestoreOptions())
    assert account.writes() == writes
    planned = {a for counts in again.counts.values() for a in counts}
    assert planned <= {"skip", "done before"}, again.counts
