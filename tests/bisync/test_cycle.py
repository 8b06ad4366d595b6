"""Two-way sync on a real SQLite replica against the emulator: each direction, merges, ids, deletes."""

from __future__ import annotations

import pytest

from pdsync.bisync.conflicts import open_conflicts
from pdsync.bisync.db import ReplicaDb
from pdsync.errors import ConfigError, DestinationError

from .conftest import Account, Cycle, Sql


def _snapshot(sql: Sql) -> list[tuple[object, ...]]:
    """Every synced row, minus the sync's own bookkeeping (its timestamp)."""
    rows = []
    for table in ("organizations", "persons", "deals"):
        columns = [r[1] for r in sql.run(f"PRAGMA table_info({table})")]
        kept = ", ".join(f'"{c}"' for c in columns if c != "_pdsync_synced_at")
        rows += sql.run(f"SELECT '{table}', {kept} FROM {table} ORDER BY id")
    return rows


def test_local_update_reaches_pipedrive_and_an_idle_cycle_writes_nothing(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    sql.run("UPDATE persons SET name = 'Chief Buyer' WHERE id = 1")
    sql.run("UPDATE deals SET title = 'Renamed locally', value = 1234 WHERE id = 2")
    account.reset_stats()
    report = cycle()
    assert account.get("persons", 1)["name"] == "Chief Buyer"
    deal = account.get("deals", 2)
    assert (deal["title"], deal["value"]) == ("Renamed locally", 1234)
    assert account.writes() == 2  # one PATCH per record, only the changed fields
    assert report.pushed == 2 and not report.errors
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0

    before = _snapshot(sql)
    account.reset_stats()
    idle = cycle()
    assert account.writes() == 0
    assert idle.outcomes == []
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0
    assert _snapshot(sql) == before


def test_pipedrive_change_reaches_the_replica_and_is_not_captured(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    account.patch("deals", 5, title="Changed in Pipedrive")
    account.reset_stats()
    cycle()
    assert sql.one("SELECT title FROM deals WHERE id = 5") == "Changed in Pipedrive"
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0  # the pull is pdsync's write
    assert account.writes() == 0


def test_edits_of_different_fields_on_both_sides_merge(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    sql.run("UPDATE deals SET title = 'Local title' WHERE id = 7")
    account.patch("deals", 7, value=777)
    report = cycle()
    deal = account.get("deals", 7)
    assert (deal["title"], deal["value"]) == ("Local title", 777)
    assert sql.run("SELECT title, value FROM deals WHERE id = 7") == [("Local title", 777)]
    assert all(not o.conflicts for o in report.outcomes)


@pytest.mark.parametrize(
    ("policy", "local_older", "expected"),
    [
        ("pipedrive-wins", False, "remote"),
        ("database-wins", False, "local"),
        ("newest-wins", True, "remote"),
        ("newest-wins", False, "local"),
        ("manual", False, "remote"),  # nothing written; Pipedrive's value stays until resolved
    ],
)
def test_same_field_conflicts_follow_the_policy(
    account: Account, cycle: Cycle, sql: Sql, policy: str, local_older: bool, expected: str
) -> None:
    cycle()
    sql.run("UPDATE persons SET name = 'Local Name' WHERE id = 3")
    account.patch("persons", 3, name="Remote Name")
    when = "2000-01-01T00:00:00.000Z" if local_older else "2999-01-01T00:00:00.000Z"
    sql.run("UPDATE _pdsync_changes SET changed_at = ?", when)
    report = cycle(conflict=f"persons={policy}")
    winner = "Local Name" if expected == "local" else "Remote Name"
    assert account.get("persons", 3)["name"] == winner
    assert sql.one("SELECT name FROM persons WHERE id = 3") == winner
    [conflict] = [c for o in report.outcomes for c in o.conflicts]
    assert (conflict.record_id, conflict.column, conflict.policy) == ("3", "name", policy)
    with ReplicaDb(sql_target(sql)) as db:
        stored = open_conflicts(db, include_resolved=True)
    assert len(stored) == 1
    assert stored[0]["winner"] == (None if policy == "manual" else expected)


def sql_target(sql: Sql) -> str:
    path = sql.conn.execute("PRAGMA database_list").fetchone()[2]
    return f"sqlite:///{path}"


def test_local_inserts_get_pipedrive_ids_and_foreign_keys_follow(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    sql.run("INSERT INTO persons (id, name) VALUES (-1, 'Nadia Local')")
    sql.run("INSERT INTO deals (id, title, person_id, value) VALUES (-7, 'Local deal', -1, 50)")
    report = cycle()
    assert not report.errors
    person_id = sql.one("SELECT id FROM persons WHERE name = 'Nadia Local'")
    assert person_id > 0
    deal = sql.run("SELECT id, person_id FROM deals WHERE title = 'Local deal'")
    assert len(deal) == 1 and deal[0][0] > 0 and deal[0][1] == person_id
    remote = account.get("deals", deal[0][0])
    assert (remote["title"], remote["person_id"]) == ("Local deal", person_id)
    assert [p["name"] for p in account.list("persons")].count("Nadia Local") == 1
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0


def test_deletes_go_both_ways(account: Account, cycle: Cycle, sql: Sql) -> None:
    cycle()
    sql.run("DELETE FROM deals WHERE id = 9")
    assert account.raw.delete("/api/v2/deals/10").status_code == 200
    cycle()
    assert account.get("deals", 9)["is_deleted"] is True
    # Marked, as sync marks it (the row stays, with the time of the delete).
    assert sql.one("SELECT _pdsync_deleted_at IS NOT NULL FROM deals WHERE id = 10") == 1
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0


def test_a_dry_run_plans_both_directions_and_writes_nothing(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    account.patch("deals", 3, title="Pending pull")
    sql.run("UPDATE persons SET name = 'Dry Run' WHERE id = 2")
    before = sql.one("SELECT max(seq) FROM _pdsync_changes")
    account.reset_stats()
    report = cycle(dry_run=True)
    assert account.writes() == 0
    assert [o.item.action for o in report.outcomes if o.item] == ["update"]
    assert any('"Dry Run"' in line for line in report.lines())
    assert any(line.startswith("  deals: 1 records changed") for line in report.lines())
    assert sql.one("SELECT title FROM deals WHERE id = 3") != "Pending pull"
    assert sql.one("SELECT max(seq) FROM _pdsync_changes") == before
    assert account.get("persons", 2)["name"] != "Dry Run"


def test_a_rejected_value_stays_in_the_change_log_with_the_error(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    sql.run("UPDATE deals SET status = 'sideways' WHERE id = 11")
    sql.run("UPDATE deals SET title = 'Fine edit' WHERE id = 12")
    report = cycle()
    assert account.get("deals", 12)["title"] == "Fine edit"
    [bad] = report.errors
    assert bad.change.record_id == "11" and "status" in (bad.error or "")
    assert sql.run("SELECT record_id, error IS NOT NULL FROM _pdsync_changes") == [("11", 1)]


def test_mass_local_deletes_stop_the_cycle(account: Account, cycle: Cycle, sql: Sql) -> None:
    cycle()
    sql.run("DELETE FROM deals WHERE id <= 20")
    account.reset_stats()
    with pytest.raises(ConfigError, match="allow-mass-delete"):
        cycle()
    assert account.writes() == 0


def test_duckdb_is_refused_with_the_reason(cycle: Cycle, tmp_path: object) -> None:
    with pytest.raises(ConfigError, match="no triggers"):
        cycle(target="duckdb:///x.duckdb")


def test_an_edit_of_a_record_deleted_in_pipedrive_is_dropped_and_reported(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    deal = account.list("deals")[0]["id"]
    sql.run("UPDATE deals SET title = 'Too late' WHERE id = ?", deal)
    assert account.raw.delete(f"/api/v2/deals/{deal}").status_code == 200
    report = cycle()
    [outcome] = report.outcomes
    assert outcome.dropped and "deleted in Pipedrive" in outcome.dropped and not report.errors
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0


def test_clearing_a_field_is_refused_with_the_column_named(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    deal = account.list("deals")[0]["id"]  # a live one (the seed deletes some)
    title = account.get("deals", deal)["title"]
    sql.run("UPDATE deals SET title = NULL WHERE id = ?", deal)
    account.reset_stats()
    report = cycle()
    [bad] = report.errors
    assert "title" in (bad.error or "") and "never clears" in (bad.error or "")
    assert account.writes() == 0 and account.get("deals", deal)["title"] == title


def test_a_database_that_is_not_a_replica_gets_no_triggers(cycle: Cycle, tmp_path: object) -> None:
    import sqlite3
    from pathlib import Path

    path = Path(str(tmp_path)) / "app.db"
    with sqlite3.connect(path) as app:
        app.execute("CREATE TABLE deals (id INTEGER PRIMARY KEY, title TEXT)")
    with pytest.raises(DestinationError, match="not a pdsync replica"):
        cycle(target=f"sqlite:///{path}")
    with sqlite3.connect(path) as app:
        assert app.execute(
            "SELECT count(*) FROM sqlite_master WHERE type = 'trigger'"
        ).fetchone() == (0,)


def test_a_dry_run_before_any_replica_creates_nothing(cycle: Cycle, tmp_path: object) -> None:
    from pathlib import Path

    path = Path(str(tmp_path)) / "none.db"
    with pytest.raises(ConfigError, match="without --dry-run"):
        cycle(target=f"sqlite:///{path}", dry_run=True)
    assert not path.exists()


def test_an_edit_overwritten_by_a_pull_before_it_was_pushed_still_reaches_pipedrive(
    account: Account, cycle: Cycle, sql: Sql, sqlite_target: str
) -> None:
    """The race of an edit made while a cycle runs: the cycle's pull rewrites the row."""
    from pdsync.sync.run import SyncRequest, run_sync

    cycle()
    sql.run("UPDATE deals SET title = 'Edited mid-cycle' WHERE id = 2")
    account.patch("deals", 2, value=4242)
    run_sync(SyncRequest(streams=["deals"], target=sqlite_target), client_factory=account.client)
    assert sql.one("SELECT title FROM deals WHERE id = 2") != "Edited mid-cycle"  # overwritten
    cycle()
    deal = account.get("deals", 2)
    assert (deal["title"], deal["value"]) == ("Edited mid-cycle", 4242)
    assert sql.run("SELECT title, value FROM deals WHERE id = 2") == [("Edited mid-cycle", 4242)]


def test_an_edit_pointing_at_a_local_insert_follows_its_new_id(
    account: Account, cycle: Cycle, sql: Sql
) -> None:
    cycle()
    sql.run("INSERT INTO persons (id, name) VALUES (-3, 'Pointed At')")
    sql.run("UPDATE deals SET person_id = -3 WHERE id = 5")
    report = cycle()
    assert not report.errors
    person = sql.one("SELECT id FROM persons WHERE name = 'Pointed At'")
    assert person > 0 and account.get("deals", 5)["person_id"] == person
    assert sql.one("SELECT person_id FROM deals WHERE id = 5") == person
