"""End to end: every stream of the catalog into SQLite, compared with the emulator through its API."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from sync_helpers import rows, sync

from pdsync.api.client import PipedriveClient
from pdsync.catalog.registry import CATALOG


def api_all(client: PipedriveClient, path: str, **params: Any) -> list[dict[str, Any]]:
    return list(client.iter_items(path, params=params))


def field_columns(db: Path, entity: str) -> dict[str, tuple[str, str]]:
    """field key -> (column, field_type) from the replica's published mapping."""
    found = rows(
        db, "SELECT key, column_name, field_type FROM _pdsync_fields WHERE entity = ?", (entity,)
    )
    return {key: (column, ftype) for key, column, ftype in found}


def check_deals_match_api(client: PipedriveClient, db: Path) -> None:
    api_deals = {d["id"]: d for d in api_all(client, "deals")}
    live = {r[0] for r in rows(db, "SELECT id FROM deals WHERE _pdsync_deleted_at IS NULL")}
    assert live == set(api_deals), "live replica deals differ from the API's deal list"
    fields = {f["field_code"]: f for f in api_all(client, "dealFields")}
    columns = field_columns(db, "deal")
    checked = {"enum": 0, "monetary": 0, "set": 0}
    for deal_id, deal in api_deals.items():
        for key, value in (deal.get("custom_fields") or {}).items():
            column, ftype = columns[key]
            if ftype == "enum" and value is not None:
                labels = {o["id"]: o["label"] for o in fields[key]["options"]}
                got = rows(
                    db, f'SELECT "{column}", "{column}_id" FROM deals WHERE id = ?', (deal_id,)
                )
                assert got == [(labels[value], value)]
                checked["enum"] += 1
            elif ftype == "monetary" and value is not None:
                got = rows(
                    db,
                    f'SELECT "{column}", "{column}_currency" FROM deals WHERE id = ?',
                    (deal_id,),
                )
                assert got == [(float(value["value"]), value["currency"])]
                checked["monetary"] += 1
            elif ftype == "set" and value:
                labels = {o["id"]: o["label"] for o in fields[key]["options"]}
                (got,) = rows(db, f'SELECT "{column}" FROM deals WHERE id = ?', (deal_id,))
                stored = (
                    got[0] if got[0] is None or not got[0].startswith("[") else json.loads(got[0])
                )
                assert stored in ([labels[i] for i in value], ", ".join(labels[i] for i in value))
                checked["set"] += 1
    assert all(checked.values()), f"the account should exercise every compared type: {checked}"
    named = rows(
        db,
        "SELECT name, column_name FROM _pdsync_fields WHERE entity='deal' AND key = ?",
        (next(iter(columns)),),
    )
    assert named and named[0][1]


def test_every_stream_syncs_and_matches_the_api(client: PipedriveClient, tmp_path: Path) -> None:
    db = tmp_path / "replica.db"
    report = sync(client, db)
    skipped = {s.stream for s in report.streams if s.skipped}
    assert not skipped, skipped  # the emulator serves every stream of the catalog
    for name in set(CATALOG) - skipped:
        assert rows(db, f'SELECT COUNT(*) FROM "{name}"')[0][0] >= 0
    assert report.stream("deals").inserted > 100
    for path, table in [
        ("persons", "persons"),
        ("organizations", "organizations"),
        ("activities", "activities"),
    ]:
        assert rows(db, f'SELECT COUNT(*) FROM "{table}"')[0][0] == len(api_all(client, path))
    check_deals_match_api(client, db)
    # The bookmark is committed and never past the sync's start.
    state = json.loads(rows(db, "SELECT state_json FROM _pdsync_state WHERE stream='deals'")[0][0])
    assert state["bookmark"] is not None and state["backfill"] is None


def test_changes_deletes_and_a_new_field_arrive_incrementally(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "replica.db"
    streams = ["deals", "persons", "deal_products", "deal_fields"]
    sync(client, db, streams)
    deals = api_all(client, "deals")
    client.patch(f"deals/{deals[0]['id']}", json={"title": "Renamed by the test"})
    client.delete(f"deals/{deals[1]['id']}")
    person = api_all(client, "persons")[0]
    client.delete(f"persons/{person['id']}")
    created = client.post("dealFields", json={"field_name": "Test score", "field_type": "double"})[
        "data"
    ]
    client.patch(f"deals/{deals[2]['id']}", json={"custom_fields": {created["field_code"]: 4.5}})
    before = client.stats.requests

    report = sync(client, db, streams, reconcile_every=timedelta(0))

    assert rows(db, "SELECT title FROM deals WHERE id = ?", (deals[0]["id"],)) == [
        ("Renamed by the test",)
    ]
    assert rows(db, "SELECT test_score FROM deals WHERE id = ?", (deals[2]["id"],)) == [(4.5,)]
    marked = rows(
        db,
        "SELECT _pdsync_deleted_at IS NOT NULL, title FROM deals WHERE id = ?",
        (deals[1]["id"],),
    )
    assert marked == [(1, deals[1]["title"])], "a deleted deal keeps its row, marked"
    assert rows(
        db, "SELECT _pdsync_deleted_at IS NOT NULL FROM persons WHERE id = ?", (person["id"],)
    ) == [(1,)]
    assert report.stream("deals").updated == 2 and report.stream("deals").deleted == 1
    assert report.stream("persons").deleted == 1
    check_deals_match_api(client, db)
    # Incremental cost: a handful of calls, not a re-read (fields, 2 deal reads, deleted pass, scans).
    assert client.stats.requests - before < 15


def test_a_renamed_field_keeps_its_column_and_a_deleted_one_its_data(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "replica.db"
    sync(client, db, ["deals"])
    fields = [
        f
        for f in api_all(client, "dealFields")
        if f.get("is_custom_field") and f["field_type"] == "varchar"
    ]
    renamed, dropped = fields[0], fields[1]
    columns = field_columns(db, "deal")
    old_column, dropped_column = (
        columns[renamed["field_code"]][0],
        columns[dropped["field_code"]][0],
    )
    kept = rows(db, f'SELECT COUNT("{dropped_column}") FROM deals')[0][0]
    client.patch(f"dealFields/{renamed['field_code']}", json={"field_name": "Completely new name"})
    client.delete(f"dealFields/{dropped['field_code']}")
    sync(client, db, ["deals"], full_refresh=True)
    assert field_columns(db, "deal")[renamed["field_code"]][0] == old_column
    assert rows(db, f'SELECT COUNT("{dropped_column}") FROM deals')[0][0] == kept > 0
    deleted_flag = rows(
        db, "SELECT deleted FROM _pdsync_fields WHERE key = ?", (dropped["field_code"],)
    )
    assert deleted_flag == [(1,)]
