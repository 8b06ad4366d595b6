"""Extended columns (filters.conditions, permission_sets.contents): per record, only when changed."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sync_helpers import CAPABLE, rows

from pdsync.api.client import PipedriveClient
from pdsync.destinations import open_destination
from pdsync.sync.engine import SyncEngine
from pdsync.sync.replication import parse_replication, select_streams
from pdsync.sync.report import SyncReport, format_report

STREAMS = ["filters", "permission_sets"]


def run(client: PipedriveClient, db: Path, *, extended: bool | None = None) -> SyncReport:
    selections = select_streams(CAPABLE, requested=STREAMS, extended_requests=extended)
    destination = open_destination(f"sqlite:///{db}")
    try:
        return SyncEngine(client, destination, selections).run()
    finally:
        destination.close()


def listed(client: PipedriveClient, path: str) -> list[dict[str, Any]]:
    return list(client.get(path, version="v1")["data"])


def test_extended_columns_cost_a_call_per_new_or_changed_record_only(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "extended.db"
    filters, sets = listed(client, "filters"), listed(client, "permissionSets")
    assert filters and sets

    first = run(client, db)
    assert first.requests == 2 + len(filters) + len(sets)  # two lists, one call per record
    for f in filters:
        stored = rows(db, "SELECT conditions FROM filters WHERE id = ?", [f["id"]])[0][0]
        live = client.get(f"filters/{f['id']}", version="v1")["data"]["conditions"]
        assert json.loads(stored) == live
    for p in sets:
        stored = rows(db, "SELECT contents FROM permission_sets WHERE id = ?", [p["id"]])[0][0]
        live = client.get(f"permissionSets/{p['id']}", version="v1")["data"]["contents"]
        assert json.loads(stored) == live

    second = run(client, db)
    assert second.requests == 2  # nothing changed: the list calls alone
    assert rows(db, "SELECT COUNT(*) FROM filters WHERE conditions IS NULL")[0][0] == 0

    target = filters[0]["id"]
    detail = client.get(f"filters/{target}", version="v1")["data"]
    client.put(
        f"filters/{target}",
        version="v1",
        json={"name": "renamed for the test", "conditions": detail["conditions"]},
    )
    third = run(client, db)
    assert third.requests == 3  # the lists and the one changed filter
    assert third.stream("filters").updated == 1
    assert (
        rows(db, "SELECT name FROM filters WHERE id = ?", [target])[0][0] == "renamed for the test"
    )


def test_extended_requests_false_cuts_the_calls_to_the_lists(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "suppressed.db"
    report = run(client, db, extended=False)
    assert report.requests == 2
    assert rows(db, "SELECT COUNT(*) FROM filters WHERE conditions IS NOT NULL")[0][0] == 0
    assert rows(db, "SELECT COUNT(*) FROM permission_sets")[0][0] > 0
    assert "filters: extended requests off, conditions left empty" in report.warnings
    assert "Warning: filters: extended requests off" in format_report(report)
    assert report.extra["extended_requests_off"] == [
        "filters: extended requests off, conditions left empty",
        "permission_sets: extended requests off, contents left empty",
    ]
    # Turned back on, the empty values are fetched even though no record changed.
    again = run(client, db)
    assert again.requests == 2 + again.stream("filters").rows + again.stream("permission_sets").rows
    assert rows(db, "SELECT COUNT(*) FROM filters WHERE conditions IS NULL")[0][0] == 0


def test_the_replication_file_switch_applies_per_stream() -> None:
    config = parse_replication(
        {
            "defaults": {"extended_requests": False},
            "streams": {"filters": None, "permission_sets": {"extended_requests": True}},
        }
    )
    chosen = {s.name: s.extended_requests for s in select_streams(CAPABLE, config=config)}
    assert chosen == {"filters": False, "permission_sets": True}
    flag = select_streams(CAPABLE, config=config, extended_requests=True)
    assert all(s.extended_requests for s in flag)  # the command line wins


@pytest.fixture
def other_targets(tmp_path: Path) -> Iterator[list[str]]:
    """DuckDB, and PostgreSQL when a server is there (a fresh schema, dropped afterwards)."""
    targets = [f"duckdb:///{tmp_path / 'extended.duckdb'}"]
    schema = f"pdsync_ext_{uuid.uuid4().hex[:10]}"
    try:
        import psycopg
        from test_postgres_target import SERVER

        psycopg.connect(SERVER, connect_timeout=3).close()
    except Exception:  # no PostgreSQL here: DuckDB alone shows the JSON read-back
        yield targets
        return
    sep = "&" if "?" in SERVER else "?"
    yield [*targets, f"{SERVER}{sep}schema={schema}"]
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


def test_kept_values_read_back_from_duckdb_and_postgresql_cost_no_call(
    client: PipedriveClient, other_targets: list[str]
) -> None:
    for target in other_targets:
        selections = select_streams(CAPABLE, requested=STREAMS)
        reports = []
        for _ in range(2):
            destination = open_destination(target)
            try:
                reports.append(SyncEngine(client, destination, selections).run())
            finally:
                destination.close()
        first, second = reports
        assert first.requests > 2 and second.requests == 2, target
        assert second.stream("filters").updated == 0, target
