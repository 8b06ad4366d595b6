"""SQLite catalog work: pdsync's internal tables, table creation and evolution.

Every statement quotes its identifiers (see :mod:`pdsync.destinations.identifiers`).
Columns are never dropped or retyped: a field deleted in Pipedrive keeps its column and
its old data; a new field becomes ``ALTER TABLE … ADD COLUMN``.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from pdsync.destinations.base import INTERNAL_PREFIX
from pdsync.destinations.identifiers import allocate_physical, check_identifier, quote
from pdsync.destinations.values import sqlite_type
from pdsync.errors import SchemaError
from pdsync.schema import DELETED_AT, SYNCED_AT, Column, TableSchema

__all__ = [
    "INTERNAL_DDL",
    "META_TABLE",
    "TableInfo",
    "create_or_evolve",
    "full_columns",
    "read_table_info",
    "staging_name",
]

META_TABLE = "_pdsync_meta"
STATE_TABLE = "_pdsync_state"
FIELDS_TABLE = "_pdsync_fields"
COLUMNS_TABLE = "_pdsync_columns"  # logical column name -> physical name, per table

INTERNAL_DDL = (
    f"CREATE TABLE IF NOT EXISTS {META_TABLE} (key TEXT PRIMARY KEY, value TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {STATE_TABLE} (stream TEXT PRIMARY KEY, "
    "state_json TEXT NOT NULL, updated_at TEXT NOT NULL)",
    f"CREATE TABLE IF NOT EXISTS {FIELDS_TABLE} (entity TEXT NOT NULL, key TEXT NOT NULL, "
    "name TEXT NOT NULL, field_type TEXT NOT NULL, column_name TEXT NOT NULL, "
    "options_json TEXT, first_seen TEXT NOT NULL, deleted INTEGER NOT NULL DEFAULT 0, "
    "PRIMARY KEY (entity, key))",
    f"CREATE TABLE IF NOT EXISTS {COLUMNS_TABLE} (table_name TEXT NOT NULL, "
    "column_name TEXT NOT NULL, physical_name TEXT NOT NULL, "
    "PRIMARY KEY (table_name, column_name))",
)


def staging_name(table: str) -> str:
    """The staging table a full refresh of ``table`` loads into before the swap."""
    return f"{INTERNAL_PREFIX}staging__{table}"


@dataclass(frozen=True)
class TableInfo:
    """What pdsync knows of an existing table: logical->physical names, types, key."""

    name: str
    physical: dict[str, str]  # logical column name -> physical column name
    types: dict[str, str]  # physical column name -> declared SQL type
    primary_key: tuple[str, ...]  # physical names, in key order


def full_columns(schema: TableSchema) -> tuple[Column, ...]:
    """The schema's columns plus pdsync's bookkeeping columns."""
    extra = tuple(
        Column(name, "timestamp", source="pdsync")
        for name in (SYNCED_AT, DELETED_AT)
        if schema.column(name) is None
    )
    return schema.columns + extra


def read_table_info(conn: sqlite3.Connection, table: str) -> TableInfo | None:
    rows = conn.execute(f"PRAGMA table_info({quote(table)})").fetchall()
    if not rows:
        return None
    mapped = dict(
        conn.execute(
            f"SELECT column_name, physical_name FROM {COLUMNS_TABLE} WHERE table_name = ?",
            (table,),
        ).fetchall()
    )
    physical_names = {r[1] for r in rows}
    physical = {k: v for k, v in mapped.items() if v in physical_names}
    used = set(physical.values())
    physical.update({r[1]: r[1] for r in rows if r[1] not in used})
    key = tuple(r[1] for r in sorted((r for r in rows if r[5]), key=lambda r: r[5]))
    return TableInfo(table, physical, {r[1]: r[2] for r in rows}, key)


def _check_schema(schema: TableSchema) -> None:
    check_identifier(schema.name, "table")
    if schema.name.startswith(INTERNAL_PREFIX):
        raise SchemaError(
            f"Table name {schema.name!r} is reserved: names starting with "
            f"{INTERNAL_PREFIX!r} belong to pdsync.",
            hint="Give the stream another table name.",
        )
    missing = [k for k in schema.primary_key if schema.column(k) is None]
    if missing:
        raise SchemaError(
            f"Table {schema.name!r}: primary key column(s) {missing} are not in its columns.",
            hint="This is a bug in the stream's declaration; please report it.",
        )


def _create_sql(table: str, cols: list[tuple[str, str, bool]], key: tuple[str, ...]) -> str:
    parts = [
        f"{quote(name)} {sqltype}{' NOT NULL' if notnull else ''}"
        for name, sqltype, notnull in cols
    ]
    if key:
        parts.append(f"PRIMARY KEY ({', '.join(quote(k) for k in key)})")
    return f"CREATE TABLE {quote(table)} ({', '.join(parts)})"


def _create_indexes(conn: sqlite3.Connection, schema: TableSchema, phys: dict[str, str]) -> None:
    wanted = list(schema.indexes)
    if schema.cursor and schema.column(schema.cursor) is not None:
        wanted.insert(0, (schema.cursor,))
    for index_cols in wanted:
        physical = [phys[c] for c in index_cols if c in phys]
        if not physical:
            continue
        name = f"{INTERNAL_PREFIX}idx__{schema.name}__{'__'.join(physical)}"
        cols_sql = ", ".join(quote(p) for p in physical)
        conn.execute(
            f"CREATE INDEX IF NOT EXISTS {quote(name)} ON {quote(schema.name)} ({cols_sql})"
        )


def _save_mapping(conn: sqlite3.Connection, table: str, mapping: dict[str, str]) -> None:
    conn.executemany(
        f"INSERT INTO {COLUMNS_TABLE} (table_name, column_name, physical_name) VALUES (?, ?, ?) "
        "ON CONFLICT (table_name, column_name) DO UPDATE SET physical_name = excluded.physical_name",
        [(table, logical, physical) for logical, physical in mapping.items()],
    )


def create_or_evolve(conn: sqlite3.Connection, schema: TableSchema) -> TableInfo:
    """Create the table (and its indexes) or add its new columns; inside the caller's txn."""
    _check_schema(schema)
    columns = full_columns(schema)
    info = read_table_info(conn, schema.name)
    if info is None:
        phys = allocate_physical({}, (c.name for c in columns))
        key = tuple(phys[k] for k in schema.primary_key)
        spec = [(phys[c.name], sqlite_type(c.type), phys[c.name] in key) for c in columns]
        conn.execute(_create_sql(schema.name, spec, key))
        _save_mapping(conn, schema.name, phys)
        _create_indexes(conn, schema, phys)
        info = read_table_info(conn, schema.name)
        assert info is not None
        return info
    wanted_key = tuple(info.physical.get(k, k) for k in schema.primary_key)
    if wanted_key != info.primary_key:
        raise SchemaError(
            f"Table {schema.name!r} has primary key {list(info.primary_key)}, "
            f"but the stream now declares {list(schema.primary_key)}.",
            hint="A primary key cannot change in place: sync into a new target, or drop the table.",
        )
    new = [c for c in columns if c.name not in info.physical]
    if not new:
        return info
    phys = allocate_physical(info.physical, (c.name for c in new))
    staging = staging_name(schema.name)
    has_staging = read_table_info(conn, staging) is not None
    for col in new:
        add = f"ADD COLUMN {quote(phys[col.name])} {sqlite_type(col.type)}"
        conn.execute(f"ALTER TABLE {quote(schema.name)} {add}")
        if has_staging:
            conn.execute(f"ALTER TABLE {quote(staging)} {add}")
    _save_mapping(conn, schema.name, {c.name: phys[c.name] for c in new})
    _create_indexes(conn, schema, phys)
    info = read_table_info(conn, schema.name)
    assert info is not None
    return info


def create_staging(conn: sqlite3.Connection, info: TableInfo) -> None:
    """(Re)create the empty staging table of ``info``: same columns, types and key."""
    staging = staging_name(info.name)
    conn.execute(f"DROP TABLE IF EXISTS {quote(staging)}")
    key = set(info.primary_key)
    spec = [(p, t, p in key) for p, t in info.types.items()]
    conn.execute(_create_sql(staging, spec, info.primary_key))
