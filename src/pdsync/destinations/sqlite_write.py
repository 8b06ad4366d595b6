"""Applying one batch to SQLite, inside a transaction the caller owns.

Merge is ``INSERT … ON CONFLICT (pk) DO UPDATE SET`` of the batch's columns only, so a
column the batch does not carry (a custom field deleted in Pipedrive) keeps its data.
Inserted vs updated is counted before the write with ONE indexed lookup of the whole
batch's keys, passed as a single JSON array parameter (``IN (SELECT value FROM
json_each(?))``): no per-500-key statements, no flattened parameter lists. A full
refresh is counted against the live table at ``replace_commit`` (see refresh_counts).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Sequence
from typing import Any

from pdsync.destinations.base import Batch, BatchResult, FieldRecord
from pdsync.destinations.batch_encode import check_row_keys
from pdsync.destinations.identifiers import quote
from pdsync.destinations.refresh_counts import RefreshCounts, refresh_count_sql, refresh_counts
from pdsync.destinations.sqlite_ddl import (
    FIELDS_TABLE,
    STATE_TABLE,
    TableInfo,
    create_staging,
    full_columns,
    staging_name,
)
from pdsync.destinations.values import compile_encoder, encode_json
from pdsync.errors import DestinationError
from pdsync.schema import DELETED_AT, SYNCED_AT
from pdsync.sync.state import StreamState

__all__ = ["apply_batch"]


def apply_batch(conn: sqlite3.Connection, batch: Batch, info: TableInfo) -> BatchResult:
    """Write rows, delete marks, field mappings and state; the caller commits."""
    if batch.deleted_ids and batch.mode.startswith("replace"):
        raise DestinationError(
            "A full-refresh batch cannot also mark deletes.",
            hint="Send deletes in a merge batch; a refresh replaces the whole table anyway.",
        )
    target = info.name
    if batch.mode == "replace_begin":
        create_staging(conn, info)
    if batch.mode.startswith("replace"):
        target = staging_name(info.name)
        if conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (target,)).fetchone() is None:
            raise DestinationError(
                f"No full refresh of {info.name!r} is in progress.",
                hint="Start a refresh with a 'replace_begin' batch.",
            )
    inserted, updated = _write_rows(conn, batch, info, target)
    marked = _mark_deleted(conn, batch, info)
    if batch.mode.startswith("replace"):
        inserted = updated = 0  # staged rows change nothing live until the commit
    if batch.mode == "replace_commit":
        counts = _refresh_counts(conn, info)
        inserted, updated, marked = counts.inserted, counts.updated, counts.removed
        _swap_in(conn, info)
    _save_fields(conn, batch.field_mappings, batch.synced_at)
    _save_state(conn, batch.state.values(), batch.synced_at)
    return BatchResult(batch.stream, inserted=inserted, updated=updated, marked_deleted=marked)


def _write_rows(
    conn: sqlite3.Connection, batch: Batch, info: TableInfo, target: str
) -> tuple[int, int]:
    if not batch.rows:
        return 0, 0
    columns = full_columns(batch.schema)
    encoder = compile_encoder(columns)
    check_row_keys(batch.stream, batch.rows, set(encoder.names))
    encoded = encoder.columns(batch.rows, {SYNCED_AT: batch.synced_at})
    names = list(encoder.names)
    count = len(batch.rows)
    key_cols = [encoded[names.index(k)] for k in batch.schema.primary_key]
    if any(None in col for col in key_cols):
        raise DestinationError(
            f"A row of {batch.stream!r} has no value for its primary key {list(batch.schema.primary_key)}.",
            hint="This is a bug in the stream's normalisation; please report it.",
        )
    keys = set(key_cols[0]) if len(key_cols) == 1 else set(zip(*key_cols, strict=True))
    existing = _existing_keys(conn, target, info, keys) if key_cols else 0
    if existing == 0:
        # Only new rows (a first sync): a column NULL in every row is left to its NULL
        # default instead of being bound row by row (sparse custom fields, unset dates).
        # Nothing to update either, so no row can keep an old value of it.
        kept = [i for i, col in enumerate(encoded) if col.count(None) != count]
        if len(kept) < len(names):
            names = [names[i] for i in kept]
            encoded = [encoded[i] for i in kept]
    physical = [info.physical[n] for n in names]
    values = list(zip(*encoded, strict=True))
    conn.executemany(_insert_sql(target, physical, info.primary_key, batch.mode), values)
    if not key_cols:
        return len(values), 0
    return len(keys) - existing, existing


def _insert_sql(table: str, physical: list[str], key: tuple[str, ...], mode: str) -> str:
    cols = ", ".join(quote(p) for p in physical)
    marks = ", ".join("?" for _ in physical)
    sql = f"INSERT INTO {quote(table)} ({cols}) VALUES ({marks})"
    if mode == "append" or not key:
        return sql
    updates = [f"{quote(p)} = excluded.{quote(p)}" for p in physical if p not in key]
    conflict = ", ".join(quote(k) for k in key)
    action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
    return f"{sql} ON CONFLICT ({conflict}) {action}"


def _existing_keys(conn: sqlite3.Connection, table: str, info: TableInfo, keys: set[Any]) -> int:
    """How many of ``keys`` (values, or tuples for a composite key) ``table`` holds."""
    # json_each yields each array element with SQLite's own type (integer, real, text),
    # and the key column's affinity applies to the comparison, as with a bound value.
    array = encode_json(list(keys))
    key = info.primary_key
    if len(key) == 1:
        sql = f"SELECT COUNT(*) FROM {quote(table)} WHERE {quote(key[0])} IN (SELECT value FROM json_each(?))"
    else:
        on = " AND ".join(
            f"t.{quote(k)} = json_extract(j.value, '$[{i}]')" for i, k in enumerate(key)
        )
        sql = f"SELECT COUNT(*) FROM json_each(?) j JOIN {quote(table)} t ON {on}"
    return int(conn.execute(sql, (array,)).fetchone()[0])


def _refresh_counts(conn: sqlite3.Connection, info: TableInfo) -> RefreshCounts:
    sql = refresh_count_sql(
        info.name, staging_name(info.name), info.primary_key, info.physical[DELETED_AT], quote
    )
    return refresh_counts(lambda text: conn.execute(text).fetchall(), sql)


def _mark_deleted(conn: sqlite3.Connection, batch: Batch, info: TableInfo) -> int:
    if not batch.deleted_ids:
        return 0
    key = info.primary_key
    if not key:
        raise DestinationError(
            f"Table {info.name!r} has no primary key, so deletes cannot be marked.",
            hint="Declare a primary key for the stream.",
        )
    deleted = quote(info.physical[DELETED_AT])
    where = " AND ".join(f"{quote(k)} = ?" for k in key)
    sql = f"UPDATE {quote(info.name)} SET {deleted} = ? WHERE {where} AND {deleted} IS NULL"
    mark = batch.deleted_at or batch.synced_at
    params = [(mark, *_as_key(i, len(key))) for i in batch.deleted_ids]
    cursor = conn.executemany(sql, params)
    return max(cursor.rowcount, 0)


def _as_key(value: Any, width: int) -> tuple[Any, ...]:
    key = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(key) != width:
        raise DestinationError(
            f"Deleted id {value!r} does not match a {width}-column primary key.",
            hint="Pass composite keys as tuples in primary-key order.",
        )
    return key


def _swap_in(conn: sqlite3.Connection, info: TableInfo) -> None:
    """Replace the live rows with the staging rows, in the caller's transaction."""
    staging = quote(staging_name(info.name))
    cols = ", ".join(quote(p) for p in info.types)
    conn.execute(f"DELETE FROM {quote(info.name)}")
    conn.execute(f"INSERT INTO {quote(info.name)} ({cols}) SELECT {cols} FROM {staging}")
    conn.execute(f"DROP TABLE {staging}")


def _save_fields(conn: sqlite3.Connection, records: Sequence[FieldRecord], now: str) -> None:
    if not records:
        return
    # The column name and first_seen are frozen at first sight: a rename in Pipedrive
    # must never move data to another column.
    conn.executemany(
        f"INSERT INTO {FIELDS_TABLE} (entity, key, name, field_type, column_name, options_json, "
        "first_seen, deleted) VALUES (?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (entity, key) DO UPDATE "
        "SET name = excluded.name, field_type = excluded.field_type, "
        "options_json = excluded.options_json, deleted = excluded.deleted",
        [
            (
                r.entity,
                r.key,
                r.name,
                r.field_type,
                r.column,
                encode_json(r.options),
                r.first_seen or now,
                int(r.deleted),
            )
            for r in records
        ],
    )


def _save_state(conn: sqlite3.Connection, states: Iterable[StreamState], now: str) -> None:
    conn.executemany(
        f"INSERT INTO {STATE_TABLE} (stream, state_json, updated_at) VALUES (?, ?, ?) "
        "ON CONFLICT (stream) DO UPDATE SET state_json = excluded.state_json, "
        "updated_at = excluded.updated_at",
        [(s.stream, s.to_json(), now) for s in states],
    )


def load_fields(rows: Iterable[tuple[Any, ...]]) -> list[FieldRecord]:
    """``_pdsync_fields`` rows (in INSERT column order) as records."""
    return [
        FieldRecord(
            entity=r[0],
            key=r[1],
            name=r[2],
            field_type=r[3],
            column=r[4],
            options=None if r[5] is None else json.loads(r[5]),
            first_seen=r[6],
            deleted=bool(r[7]),
        )
        for r in rows
    ]
