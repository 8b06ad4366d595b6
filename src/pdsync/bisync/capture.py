"""Change capture: triggers on the replica's tables write each local edit into a change log.

``_pdsync_changes`` gets one row per INSERT, UPDATE or DELETE a user makes with plain
SQL: the table, the operation, the record id and, for updates and deletes, the row as
it was before (a JSON object). The current row is read from the table itself when the
change is pushed, so several edits of one record collapse into one push of the fields
that differ from the first snapshot. Writes made by pdsync (the sync writer, bisync's
own id rewrites) are marked and skipped by the triggers (see :mod:`pdsync.bisync.db`).

Installing is idempotent and runs at the start of every cycle, so columns the sync
added since (a new custom field) are captured too.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from pdsync.bisync.db import ReplicaDb
from pdsync.destinations.identifiers import quote
from pdsync.destinations.sqlite import APPLYING_TABLE

CHANGES_TABLE = "_pdsync_changes"
LOCAL_IDS = "_pdsync_local_ids"  # PostgreSQL: negative ids for rows inserted without one
# SQLite caps a function's arguments (127 by default): snapshots are built in chunks.
_PAIRS_PER_OBJECT = 60

_SQLITE_LOG = f"""CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    table_name TEXT NOT NULL,
    op TEXT NOT NULL,
    record_id TEXT,
    old_row TEXT,
    new_row TEXT,
    changed_at TEXT NOT NULL DEFAULT (strftime('%Y-%m-%dT%H:%M:%fZ', 'now')),
    error TEXT
)"""

_POSTGRES_LOG = f"""CREATE TABLE IF NOT EXISTS {CHANGES_TABLE} (
    seq bigserial PRIMARY KEY,
    table_name text NOT NULL,
    op text NOT NULL,
    record_id text,
    old_row jsonb,
    new_row jsonb,
    changed_at timestamptz NOT NULL DEFAULT clock_timestamp(),
    error text
)"""


@dataclass(frozen=True)
class LoggedChange:
    seq: int
    table: str
    op: str  # insert, update, delete
    record_id: str
    old_row: dict[str, Any] | None
    changed_at: str
    error: str | None
    new_row: dict[str, Any] | None = None  # an update's row as the user left it


def install(db: ReplicaDb, tables: list[str]) -> None:
    """Create the change log and (re)create the capture triggers on ``tables``."""
    if db.dialect == "sqlite":
        statements = [_SQLITE_LOG, f"CREATE TABLE IF NOT EXISTS {APPLYING_TABLE} (one INTEGER)"]
        for table in tables:
            statements += _sqlite_triggers(table, db.columns(table))
    else:
        statements = [_POSTGRES_LOG, f"CREATE SEQUENCE IF NOT EXISTS {LOCAL_IDS}"]
        statements.append(_postgres_function(db.schema or "public"))
        for table in tables:
            statements += _postgres_trigger(table)
            if _integer_id(db, table):
                statements.append(
                    f"ALTER TABLE {quote(table)} ALTER COLUMN id"
                    f" SET DEFAULT -nextval('{LOCAL_IDS}')"
                )
    db.script(statements)


def _sqlite_triggers(table: str, columns: list[str]) -> list[str]:
    old, new = _sqlite_snapshot(columns, "OLD"), _sqlite_snapshot(columns, "NEW")
    name = table.replace('"', "")
    guard = f"WHEN NOT EXISTS (SELECT 1 FROM {APPLYING_TABLE})"
    literal = "'" + table.replace("'", "''") + "'"
    bodies = {
        "insert": f"VALUES ({literal}, 'insert', NEW.id, NULL, NULL)",
        "update": f"VALUES ({literal}, 'update', NEW.id, {old}, {new})",
        "delete": f"VALUES ({literal}, 'delete', OLD.id, {old}, NULL)",
    }
    statements = []
    for op, values in bodies.items():
        trigger = quote(f"_pdsync_capture_{name}_{op}")
        statements.append(f"DROP TRIGGER IF EXISTS {trigger}")
        statements.append(
            f"CREATE TRIGGER {trigger} AFTER {op.upper()} ON {quote(table)} {guard} BEGIN "
            f"INSERT INTO {CHANGES_TABLE} (table_name, op, record_id, old_row, new_row) {values};"
            " END"
        )
    return statements


def _sqlite_snapshot(columns: list[str], row: str) -> str:
    """``json_object`` of the OLD or NEW row, chunked and joined by ``json_patch`` (nulls
    drop out of a patch, which reads back the same: a missing column is a null)."""
    chunks = []
    for start in range(0, len(columns), _PAIRS_PER_OBJECT):
        part = columns[start : start + _PAIRS_PER_OBJECT]
        pairs = ", ".join(f"'{c.replace(chr(39), chr(39) * 2)}', {row}.{quote(c)}" for c in part)
        chunks.append(f"json_object({pairs})")
    snapshot = chunks[0]
    for chunk in chunks[1:]:
        snapshot = f"json_patch({snapshot}, {chunk})"
    return snapshot


def _postgres_function(schema: str) -> str:
    log = f"{quote(schema)}.{CHANGES_TABLE}"
    return f"""CREATE OR REPLACE FUNCTION {quote(schema)}._pdsync_capture() RETURNS trigger
LANGUAGE plpgsql AS $$
BEGIN
    IF coalesce(current_setting('pdsync.applying', true), '') = 'on' THEN
        RETURN NULL;
    END IF;
    IF TG_OP = 'INSERT' THEN
        INSERT INTO {log} (table_name, op, record_id) VALUES (TG_TABLE_NAME, 'insert', NEW.id::text);
    ELSIF TG_OP = 'UPDATE' THEN
        INSERT INTO {log} (table_name, op, record_id, old_row, new_row)
        VALUES (TG_TABLE_NAME, 'update', NEW.id::text, to_jsonb(OLD), to_jsonb(NEW));
    ELSE
        INSERT INTO {log} (table_name, op, record_id, old_row)
        VALUES (TG_TABLE_NAME, 'delete', OLD.id::text, to_jsonb(OLD));
    END IF;
    RETURN NULL;
END $$"""


def _postgres_trigger(table: str) -> list[str]:
    trigger = quote(f"_pdsync_capture_{table}")
    return [
        f"DROP TRIGGER IF EXISTS {trigger} ON {quote(table)}",
        f"CREATE TRIGGER {trigger} AFTER INSERT OR UPDATE OR DELETE ON {quote(table)}"
        " FOR EACH ROW EXECUTE FUNCTION _pdsync_capture()",
    ]


def _integer_id(db: ReplicaDb, table: str) -> bool:
    found = db.scalar(
        "SELECT data_type FROM information_schema.columns"
        " WHERE table_schema = ? AND table_name = ? AND column_name = 'id'",
        (db.schema, table),
    )
    return found in ("bigint", "integer")


def pending(db: ReplicaDb, tables: list[str]) -> list[LoggedChange]:
    """The logged changes of ``tables``, oldest first."""
    if CHANGES_TABLE not in db.tables() or not tables:
        return []
    marks = ", ".join("?" for _ in tables)
    rows = db.rows(
        "SELECT seq, table_name, op, record_id, old_row, changed_at, error, new_row"
        f" FROM {CHANGES_TABLE}"
        f" WHERE table_name IN ({marks}) ORDER BY seq",
        tables,
    )
    return [
        LoggedChange(
            int(r["seq"]),
            str(r["table_name"]),
            str(r["op"]),
            str(r["record_id"]),
            _snapshot(r["old_row"]),
            str(r["changed_at"]),
            r["error"],
            _snapshot(r["new_row"]),
        )
        for r in rows
    ]


def _snapshot(value: Any) -> dict[str, Any] | None:
    if value is None:
        return None
    if isinstance(value, dict):
        return value
    loaded = json.loads(value)
    return loaded if isinstance(loaded, dict) else None


def clear(db: ReplicaDb, table: str, record_id: str, up_to: int) -> None:
    """Forget a record's changes up to ``up_to`` (call inside ``db.transaction()``)."""
    db.execute(
        f"DELETE FROM {CHANGES_TABLE} WHERE table_name = ? AND record_id = ? AND seq <= ?",
        (table, record_id, up_to),
    )


def note_error(db: ReplicaDb, table: str, record_id: str, up_to: int, message: str) -> None:
    """Keep a record's changes, with what stopped them, for the user to fix."""
    with db.transaction():
        db.execute(
            f"UPDATE {CHANGES_TABLE} SET error = ? WHERE table_name = ? AND record_id = ?"
            " AND seq <= ?",
            (message, table, record_id, up_to),
        )


def rename_record(db: ReplicaDb, table: str, old_id: str, new_id: str) -> None:
    """Later changes of a row whose local id was replaced follow it (inside a transaction)."""
    db.execute(
        f"UPDATE {CHANGES_TABLE} SET record_id = ? WHERE table_name = ? AND record_id = ?",
        (new_id, table, old_id),
    )


def rewrite_reference(db: ReplicaDb, column: str, old: Any, new: Any) -> None:
    """Pending edits that point at a local id (``person_id = -1``) point at Pipedrive's id
    from now on (call inside ``db.transaction()``, with the rows' own rewrite)."""
    if db.dialect == "sqlite":
        path = '$."' + column.replace('"', "") + '"'
        db.execute(
            f"UPDATE {CHANGES_TABLE} SET new_row = json_set(new_row, ?, ?)"
            " WHERE new_row IS NOT NULL AND json_extract(new_row, ?) = ?",
            (path, new, path, old),
        )
        return
    cast = "bigint" if isinstance(new, int) else "text"
    db.execute(
        f"UPDATE {CHANGES_TABLE} SET new_row = jsonb_set(new_row, ARRAY[?], to_jsonb(?::{cast}))"
        " WHERE new_row ->> ? = ?",
        (column, new, column, str(old)),
    )
