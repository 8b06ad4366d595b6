"""A record that arrives by webhook becomes the same row a sync would write: custom fields
by name, typed values (enum labels, sets, money, ranges, references) in their columns."""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import Any

import httpx

from pdsync.destinations import open_destination
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.engine import SyncEngine
from pdsync.sync.replication import StreamSelection

from .account import STREAMS, Writer
from .conftest import ListenerFactory, api_for, client_for, emulator_config, settle

# Not in a webhook's typed time values (fact sheet §9): kept from the last sync instead.
NOT_CARRIED_SUFFIX = "_timezone"


def custom_values(api: httpx.Client, fields_path: str) -> dict[str, Any]:
    """One value of each interesting custom field type, keyed by field code."""
    fields = {
        f["field_type"]: f
        for f in api.get(fields_path).raise_for_status().json()["data"]
        if f.get("is_custom_field")
    }
    values: dict[str, Any] = {
        "enum": lambda f: f["options"][1]["id"],
        "set": lambda f: [o["id"] for o in f["options"][:2]],
        "monetary": lambda f: {"value": 12.5, "currency": "USD"},
        "daterange": lambda f: {"value": "2026-01-01", "until": "2026-02-01"},
        "time": lambda f: {"value": "10:00:00", "timezone_id": 1},
        "people": lambda f: 2,
        "user": lambda f: 1,
        "org": lambda f: 3,
        "double": lambda f: 4.5,
        "date": lambda f: "2026-03-04",
        "varchar": lambda f: "hello",
    }
    return {f["field_code"]: make(f) for kind, make in values.items() if (f := fields.get(kind))}


def table(path: Path, stream: str, *, deleted: bool = False) -> dict[Any, dict[str, Any]]:
    """Live rows (or, with ``deleted``, rows marked deleted) without pdsync's own columns."""
    where = "IS NOT NULL" if deleted else "IS NULL"
    with sqlite3.connect(path) as conn:
        conn.row_factory = sqlite3.Row
        rows = conn.execute(f'SELECT * FROM "{stream}" WHERE _pdsync_deleted_at {where}').fetchall()
    return {
        row["id"]: {
            k: row[k]
            for k in row.keys()  # noqa: SIM118 (a sqlite3.Row iterates its values)
            if not k.startswith("_pdsync_") and not k.endswith(NOT_CARRIED_SUFFIX)
        }
        for row in rows
    }


def test_webhook_rows_equal_sync_rows(tmp_path: Path, start_listener: ListenerFactory) -> None:
    with EmulatorServer(emulator_config(seed=9)) as server, api_for(server) as api:
        service = start_listener(server)
        settle(server, service)
        writer = Writer(api, seed=5)
        for _ in range(60):
            writer.one()
        deal_values = custom_values(api, "/api/v2/dealFields")
        person_values = custom_values(api, "/api/v2/personFields")
        for deal in writer.ids["deals"][:4]:
            writer.change("deals", deal, deal_values)
        for person in writer.ids["persons"][:4]:
            writer.change("persons", person, person_values)
        settle(server, service)
        status = service.snapshot()
        assert status["received"] == 68 and status["failed"] == 0
        assert status["applied"] + status["superseded"] == 68
        assert service.snapshot()["catch_ups"] == 1  # rows came by webhook, not by a catch-up

        fresh = tmp_path / "fresh.db"
        destination = open_destination(f"sqlite:///{fresh}")
        with client_for(server) as client:
            selections = [StreamSelection(s, "incremental", s) for s in STREAMS]
            SyncEngine(client, destination, selections).run()
        destination.close()

    for stream in STREAMS:
        live, synced = table(tmp_path / "replica.db", stream), table(fresh, stream)
        assert live.keys() == synced.keys(), stream
        for key, row in synced.items():
            assert live[key] == row, f"{stream} {key}"
        # A sync sees only some deletes (deals: all); the listener marks every one it is told.
        gone = table(tmp_path / "replica.db", stream, deleted=True)
        assert gone.keys() >= table(fresh, stream, deleted=True).keys(), stream
        assert all(row.get("is_deleted", 1) for row in gone.values()), stream
