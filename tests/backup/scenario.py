"""The damage of the issue's scenario and the check that a restore undid it (shared by tests)."""

from __future__ import annotations

import json
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.backup.diff import StreamDiff, diff_states
from pdsync.backup.references import IdMap
from pdsync.backup.restore import STAGES
from pdsync.backup.state import State

ORGS = 4
EDITED = 5
FIELD_TYPES = ("enum", "set", "monetary", "daterange", "varchar")  # one deleted field of each


def by_stream(diffs: list[StreamDiff]) -> dict[str, StreamDiff]:
    return {d.stream: d for d in diffs}


def damage(client: PipedriveClient, snap: State, orgs_deleted: int = ORGS) -> dict[str, Any]:
    """Delete and edit through the API, as a careless admin would; return what was done."""
    orgs = sorted(snap["organizations"])[:orgs_deleted]
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


def assert_restored(snap: State, live: State, ids: IdMap) -> None:
    """The account matches the snapshot on every compared field, re-created ids mapped."""
    after = by_stream(diff_states(snap, live, ids=ids))
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
