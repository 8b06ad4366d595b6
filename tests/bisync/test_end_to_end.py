"""The issue's end-to-end scenario, on SQLite and on a real PostgreSQL server.

After a first cycle: 10 local updates, 10 Pipedrive updates, 3 same-field conflicts,
3 different-field edits of one record, 5 local inserts (a person and a deal pointing at
it among them), 3 local deletes and 3 Pipedrive deletes. One cycle leaves both sides
equal on every compared field, with each conflict reported; the next sends nothing.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from .conftest import Account, Cycle, Sql

DEAL_FIELDS = ("title", "value", "person_id", "org_id")
PERSON_FIELDS = ("name", "org_id")


def _live(account: Account, stream: str, fields: tuple[str, ...]) -> dict[int, tuple[Any, ...]]:
    return {r["id"]: tuple(r.get(f) for f in fields) for r in account.list(stream)}


def _replica(sql: Sql, table: str, fields: tuple[str, ...]) -> dict[int, tuple[Any, ...]]:
    columns = ", ".join(fields)
    rows = sql.run(f"SELECT id, {columns} FROM {table} WHERE _pdsync_deleted_at IS NULL")
    if table == "deals":
        rows = sql.run(
            f"SELECT id, {columns} FROM {table} WHERE _pdsync_deleted_at IS NULL"
            " AND status != 'deleted'"
        )
    return {
        r[0]: tuple(
            float(v) if isinstance(v, int | float) and f == "value" else v
            for f, v in zip(fields, r[1:], strict=True)
        )
        for r in rows
    }


@pytest.mark.parametrize("where", ["sqlite_target", "pg_target"])
def test_one_cycle_converges_and_the_next_is_idle(
    account: Account, cycle: Cycle, where: str, request: pytest.FixtureRequest
) -> None:
    target: str = request.getfixturevalue(where)
    run = lambda **kw: cycle(target=target, reconcile_every=timedelta(0), **kw)  # noqa: E731
    run()
    sql = Sql(target)
    ids = sorted(d["id"] for d in account.list("deals"))  # live deals (the seed deletes some)
    for deal_id in ids[:10]:  # 10 local updates
        sql.run("UPDATE deals SET title = ? WHERE id = ?", f"Local {deal_id}", deal_id)
    for deal_id in ids[10:20]:  # 10 Pipedrive updates
        account.patch("deals", deal_id, title=f"Remote {deal_id}")
    for person_id in (1, 2, 3):  # 3 same-field conflicts
        sql.run("UPDATE persons SET name = ? WHERE id = ?", f"DB {person_id}", person_id)
        account.patch("persons", person_id, name=f"PD {person_id}")
    sql.run(
        "UPDATE deals SET title = 'Both sides' WHERE id = ?", ids[20]
    )  # different fields, one record
    sql.run("UPDATE deals SET org_id = 2 WHERE id = ?", ids[20])
    account.patch("deals", ids[20], value=2121)
    sql.run("INSERT INTO persons (id, name) VALUES (-1, 'Inserted Person')")  # 5 local inserts
    sql.run("INSERT INTO organizations (id, name) VALUES (-1, 'Inserted Org')")
    sql.run("INSERT INTO deals (id, title, person_id) VALUES (-1, 'Inserted deal 1', -1)")
    sql.run("INSERT INTO deals (id, title) VALUES (-2, 'Inserted deal 2')")
    sql.run("INSERT INTO persons (id, name, org_id) VALUES (-2, 'Person of org', -1)")
    sql.run("DELETE FROM deals WHERE id IN (?, ?, ?)", *ids[21:24])  # 3 local deletes
    for deal_id in ids[24:26]:  # 3 Pipedrive deletes
        assert account.raw.delete(f"/api/v2/deals/{deal_id}").status_code == 200
    assert account.raw.delete("/api/v2/persons/10").status_code == 200

    report = run(conflict="persons=database-wins")
    assert not report.errors, [o.error for o in report.errors]
    conflicts = [c for o in report.outcomes for c in o.conflicts]
    assert sorted((c.record_id, c.winner) for c in conflicts) == [
        ("1", "local"),
        ("2", "local"),
        ("3", "local"),
    ]
    assert sum(1 for line in report.lines() if line.strip().startswith("conflict ")) == 3
    assert _replica(sql, "deals", DEAL_FIELDS) == _live(account, "deals", DEAL_FIELDS)
    assert _replica(sql, "persons", PERSON_FIELDS) == _live(account, "persons", PERSON_FIELDS)
    both = account.get("deals", ids[20])
    assert (both["title"], both["org_id"], both["value"]) == ("Both sides", 2, 2121)
    org = sql.one("SELECT id FROM organizations WHERE name = 'Inserted Org'")
    assert org > 0 and sql.one("SELECT org_id FROM persons WHERE name = 'Person of org'") == org
    assert sql.one("SELECT _pdsync_deleted_at IS NOT NULL FROM persons WHERE id = 10") in (1, True)

    account.reset_stats()
    idle = run()
    assert account.writes() == 0 and idle.outcomes == []
    assert sql.one("SELECT count(*) FROM _pdsync_changes") == 0
    sql.conn.close()
