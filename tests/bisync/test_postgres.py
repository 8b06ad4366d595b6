"""Two-way sync on a real PostgreSQL replica: capture by triggers, ids from a default, no echo."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .conftest import Account, Cycle, Sql


@pytest.fixture
def pg(pg_target: str) -> Iterator[Sql]:
    db = Sql(pg_target)
    yield db
    db.conn.close()


def test_postgres_round_trip(account: Account, cycle: Cycle, pg_target: str, pg: Sql) -> None:
    cycle(target=pg_target)
    pg.run("UPDATE deals SET title = 'PG title' WHERE id = 4")
    pg.run("INSERT INTO persons (name) VALUES ('Pg Person')")  # no id: the column defaults
    local_id = pg.one("SELECT id FROM persons WHERE name = 'Pg Person'")
    assert local_id < 0
    pg.run("UPDATE deals SET person_id = ? WHERE id = 6", local_id)
    pg.run("DELETE FROM deals WHERE id = 8")
    account.patch("deals", 5, title="Remote title")
    account.reset_stats()
    report = cycle(target=pg_target)
    assert not report.errors
    assert account.get("deals", 4)["title"] == "PG title"
    new_id = pg.one("SELECT id FROM persons WHERE name = 'Pg Person'")
    assert new_id > 0 and account.get("persons", new_id)["name"] == "Pg Person"
    assert account.get("deals", 6)["person_id"] == new_id
    assert pg.one("SELECT person_id FROM deals WHERE id = 6") == new_id
    assert account.get("deals", 8)["is_deleted"] is True
    assert pg.one("SELECT title FROM deals WHERE id = 5") == "Remote title"
    assert pg.one("SELECT count(*) FROM _pdsync_changes") == 0

    account.reset_stats()
    idle = cycle(target=pg_target)
    assert account.writes() == 0 and idle.outcomes == []
    assert pg.one("SELECT count(*) FROM _pdsync_changes") == 0


def test_postgres_same_field_conflict_kept_for_manual_resolution(
    account: Account, cycle: Cycle, pg_target: str, pg: Sql
) -> None:
    cycle(target=pg_target)
    pg.run("UPDATE persons SET name = 'Local PG' WHERE id = 2")
    account.patch("persons", 2, name="Remote PG")
    report = cycle(target=pg_target, conflict="manual")
    [conflict] = [c for o in report.outcomes for c in o.conflicts]
    assert conflict.winner is None
    assert account.get("persons", 2)["name"] == "Remote PG"
    assert pg.run("SELECT column_name, winner FROM _pdsync_conflicts") == [("name", None)]
