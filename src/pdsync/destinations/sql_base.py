"""What DuckDB and PostgreSQL share: the batch logic of a server-style SQL replica.

SQLite has its own module (it predates this one and has stdlib-only quirks). DuckDB and
PostgreSQL speak the same SQL for everything pdsync needs — ``INSERT … ON CONFLICT DO
UPDATE``, ``UPDATE … RETURNING``, transactional DDL — so the whole batch logic lives
here (the catalog and driver hooks are in :mod:`pdsync.destinations.sql_catalog`).

A batch is applied as: bulk-load its (encoded, de-duplicated last-wins) rows into a
temporary load table; move them into the table with the ``ON CONFLICT DO UPDATE``
result, counting inserted vs updated (PostgreSQL: the upsert with ``RETURNING (xmax =
0)``; DuckDB: a key join first, then a plain ``INSERT`` when every key is new, an
``UPDATE … FROM`` when every key exists, the upsert otherwise); delete marks with
``UPDATE … RETURNING``; field mappings; state — all in one transaction. A full refresh
is counted against the live table at ``replace_commit``.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, TypeVar

from pdsync.destinations.base import INTERNAL_PREFIX, WRITE_MODES, Batch, BatchResult, FieldRecord
from pdsync.destinations.batch_encode import encode_batch
from pdsync.destinations.refresh_counts import refresh_count_sql, refresh_counts
from pdsync.destinations.sql_catalog import LOAD_TABLE, REPLICA_SCHEMA_VERSION, SQLCatalog
from pdsync.destinations.sqlite_ddl import FIELDS_TABLE, STATE_TABLE, TableInfo
from pdsync.destinations.sqlite_write import load_fields
from pdsync.destinations.values import encode_json
from pdsync.errors import DestinationError
from pdsync.schema import DELETED_AT, TableSchema
from pdsync.sync.state import StreamState, SyncState

__all__ = ["LOAD_TABLE", "REPLICA_SCHEMA_VERSION", "SQLDestination"]

_D = TypeVar("_D", bound="SQLDestination")

_KEY_CHUNK = 500


class SQLDestination(SQLCatalog):
    """The Destination protocol over a DB-API connection; subclasses add the driver."""

    url: str
    _conn: Any  # the driver's connection, opened by the subclass

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self: _D) -> _D:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.url!r})"

    # -- the Destination protocol ----------------------------------------------------------------

    def ensure_table(self, schema: TableSchema) -> TableSchema:
        with self._transaction():
            info = self._create_or_evolve(schema)
        self._tables[schema.name] = info
        return self._effective(schema, info)

    def write_batch(self, batch: Batch) -> BatchResult:
        if batch.mode not in WRITE_MODES:
            raise DestinationError(
                f"Unknown write mode {batch.mode!r}.", hint=f"Use one of {', '.join(WRITE_MODES)}."
            )
        if batch.deleted_ids and batch.mode.startswith("replace"):
            raise DestinationError(
                "A full-refresh batch cannot also mark deletes.",
                hint="Send deletes in a merge batch; a refresh replaces the whole table anyway.",
            )
        with self._transaction():
            info = self._tables.get(batch.schema.name)
            if info is None or not all(c in info.physical for c in batch.schema.column_names):
                info = self._create_or_evolve(batch.schema)
            result = self._apply(batch, info)
        self._tables[batch.schema.name] = info
        return result

    def _apply(self, batch: Batch, info: TableInfo) -> BatchResult:
        target = info.name
        if batch.mode == "replace_begin":
            self._create_staging(info)
        if batch.mode.startswith("replace"):
            target = self._staging_name(info.name)
            if target not in self._table_names():
                raise DestinationError(
                    f"No full refresh of {info.name!r} is in progress.",
                    hint="Start a refresh with a 'replace_begin' batch.",
                )
        inserted, updated = self._write_rows(batch, info, target)
        marked = self._mark_deleted(batch, info)
        if batch.mode.startswith("replace"):
            inserted = updated = 0  # staged rows change nothing live until the commit
        if batch.mode == "replace_commit":
            staging = self._staging_name(info.name)
            sql = refresh_count_sql(
                info.name, staging, info.primary_key, info.physical[DELETED_AT], self.q
            )
            counts = refresh_counts(self._run, sql)
            inserted, updated, marked = counts.inserted, counts.updated, counts.removed
            self._swap_in(info)
        self._save_fields(batch.field_mappings, batch.synced_at)
        self._save_state(batch.state.values(), batch.synced_at)
        return BatchResult(batch.stream, inserted=inserted, updated=updated, marked_deleted=marked)

    def _write_rows(self, batch: Batch, info: TableInfo, target: str) -> tuple[int, int]:
        if not batch.rows:
            return 0, 0
        names, columns = encode_batch(batch, dedupe=batch.mode != "append")
        physical = [info.physical[n] for n in names]
        self._load(info, physical, columns)
        try:
            rows = len(columns[0])
            if batch.mode.startswith("replace"):
                # Staging starts empty each refresh: nothing there is worth counting.
                self._run(self._insert_sql(target, physical, info.primary_key, batch.mode))
                existing = 0
            else:
                existing = self._upsert(target, physical, info.primary_key, batch.mode, rows)
        finally:
            self._drop_load()
        return rows - existing, existing

    def _upsert(
        self, target: str, physical: list[str], key: tuple[str, ...], mode: str, rows: int
    ) -> int:
        """Move the loaded rows into ``target``; return how many of their keys existed before.

        This default counts with one join of the load table against ``target``, then
        gets the ``ON CONFLICT DO UPDATE`` result without the upsert: an ``UPDATE … FROM``
        for the keys that exist and an ``INSERT`` of the keys that do not (all of them on
        a first load, none on an incremental pass). On DuckDB that is about twice as fast
        as the upsert, which probes the key index row by row. PostgreSQL overrides this
        to learn the count from its upsert.
        """
        if not key or mode != "merge":
            # A keyless table counts nothing; an append that succeeds met no existing key.
            self._run(self._insert_sql(target, physical, key, mode))
            return 0
        on = " AND ".join(f"t.{self.q(k)} = l.{self.q(k)}" for k in key)
        sql = f"SELECT COUNT(*) FROM {self.q(target)} t JOIN {LOAD_TABLE} l ON {on}"
        existing = int(self._run(sql)[0][0])
        update = self._update_sql(target, physical, key)
        if existing and update:
            self._run(update)
        if existing < rows:
            cols = ", ".join(self.q(p) for p in physical)
            new_only = f"NOT EXISTS (SELECT 1 FROM {self.q(target)} t WHERE {on})"
            where = f" WHERE {new_only}" if existing else ""
            self._run(
                f"INSERT INTO {self.q(target)} ({cols}) SELECT {cols} FROM {LOAD_TABLE} l{where}"
            )
        return existing

    def _update_sql(self, table: str, physical: list[str], key: tuple[str, ...]) -> str | None:
        """``UPDATE`` of the non-key columns from the load table (None: nothing to set)."""
        sets = [f"{self.q(p)} = l.{self.q(p)}" for p in physical if p not in key]
        if not sets:
            return None
        on = " AND ".join(f"t.{self.q(k)} = l.{self.q(k)}" for k in key)
        return f"UPDATE {self.q(table)} t SET {', '.join(sets)} FROM {LOAD_TABLE} l WHERE {on}"

    def _insert_sql(self, table: str, physical: list[str], key: tuple[str, ...], mode: str) -> str:
        cols = ", ".join(self.q(p) for p in physical)
        sql = f"INSERT INTO {self.q(table)} ({cols}) SELECT {cols} FROM {LOAD_TABLE}"
        if mode == "append" or not key:
            return sql
        updates = [f"{self.q(p)} = excluded.{self.q(p)}" for p in physical if p not in key]
        conflict = ", ".join(self.q(k) for k in key)
        action = f"DO UPDATE SET {', '.join(updates)}" if updates else "DO NOTHING"
        return f"{sql} ON CONFLICT ({conflict}) {action}"

    def _mark_deleted(self, batch: Batch, info: TableInfo) -> int:
        if not batch.deleted_ids:
            return 0
        key = info.primary_key
        if not key:
            raise DestinationError(
                f"Table {info.name!r} has no primary key, so deletes cannot be marked.",
                hint="Declare a primary key for the stream.",
            )
        deleted = self.q(info.physical[DELETED_AT])
        mark = batch.deleted_at or batch.synced_at
        keys = [_as_key(i, len(key)) for i in batch.deleted_ids]
        marked = 0
        for start in range(0, len(keys), _KEY_CHUNK):
            chunk = keys[start : start + _KEY_CHUNK]
            row = "(" + self._marks(len(key)) + ")"
            cols = "(" + ", ".join(self.q(k) for k in key) + ")"
            where = f"{cols} IN (VALUES {', '.join(row for _ in chunk)})"
            if len(key) == 1:
                where = f"{self.q(key[0])} IN ({self._marks(len(chunk))})"
            params = [mark, *(v for k in chunk for v in k)]
            marked += len(
                self._run(
                    f"UPDATE {self.q(info.name)} SET {deleted} = {self.placeholder} "
                    f"WHERE {where} AND {deleted} IS NULL RETURNING 1",
                    params,
                )
            )
        return marked

    def _create_staging(self, info: TableInfo) -> None:
        staging = self._staging_name(info.name)
        self._run(f"DROP TABLE IF EXISTS {self.q(staging)}")
        self._create_table(staging, list(info.types.items()), info.primary_key)

    def _swap_in(self, info: TableInfo) -> None:
        staging = self.q(self._staging_name(info.name))
        cols = ", ".join(self.q(p) for p in info.types)
        self._run(f"DELETE FROM {self.q(info.name)}")
        self._run(f"INSERT INTO {self.q(info.name)} ({cols}) SELECT {cols} FROM {staging}")
        self._run(f"DROP TABLE {staging}")

    def _save_fields(self, records: Sequence[FieldRecord], now: str) -> None:
        if not records:
            return
        # The column name and first_seen are frozen at first sight (see sqlite_write).
        self._run_many(
            f"INSERT INTO {FIELDS_TABLE} (entity, key, name, field_type, column_name, "
            f"options_json, first_seen, deleted) VALUES ({self._marks(8)}) "
            "ON CONFLICT (entity, key) DO UPDATE SET name = excluded.name, "
            "field_type = excluded.field_type, options_json = excluded.options_json, "
            "deleted = excluded.deleted",
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

    def _save_state(self, states: Any, now: str) -> None:
        rows = [(s.stream, s.to_json(), now) for s in states]
        if rows:
            self._run_many(
                f"INSERT INTO {STATE_TABLE} (stream, state_json, updated_at) "
                f"VALUES ({self._marks(3)}) ON CONFLICT (stream) DO UPDATE SET "
                "state_json = excluded.state_json, updated_at = excluded.updated_at",
                rows,
            )

    def read_state(self) -> SyncState:
        with self._lock:
            if STATE_TABLE not in self._table_names():
                return SyncState()
            rows = self._run(f"SELECT stream, state_json FROM {STATE_TABLE}")
        return SyncState({stream: StreamState.from_json(text) for stream, text in rows})

    def read_fields(self, entity: str | None = None) -> list[FieldRecord]:
        sql = (
            "SELECT entity, key, name, field_type, column_name, options_json, first_seen, "
            f"deleted FROM {FIELDS_TABLE}"
        )
        params: tuple[str, ...] = ()
        if entity is not None:
            sql, params = f"{sql} WHERE entity = {self.placeholder}", (entity,)
        with self._lock:
            if FIELDS_TABLE not in self._table_names():
                return []
            rows = self._run(sql + " ORDER BY entity, first_seen, key", params)
        return load_fields(rows)

    def tables(self) -> list[str]:
        with self._lock:
            return [t for t in self._table_names() if not t.startswith(INTERNAL_PREFIX)]

    def table_columns(self, table: str) -> list[str]:
        with self._lock:
            info = self._read_table_info(table)
        return list(info.types) if info else []

    def count(self, table: str, *, include_deleted: bool = True) -> int:
        with self._lock:
            info = self._tables.get(table) or self._read_table_info(table)
            if info is None:
                raise DestinationError(
                    f"No table {table!r} in {self.url}.",
                    hint=f"Tables: {', '.join(self.tables())}.",
                )
            sql = f"SELECT COUNT(*) FROM {self.q(table)}"
            if not include_deleted:
                sql += f" WHERE {self.q(info.physical.get(DELETED_AT, DELETED_AT))} IS NULL"
            return int(self._run(sql)[0][0])


def _as_key(value: Any, width: int) -> tuple[Any, ...]:
    key = tuple(value) if isinstance(value, (tuple, list)) else (value,)
    if len(key) != width:
        raise DestinationError(
            f"Deleted id {value!r} does not match a {width}-column primary key.",
            hint="Pass composite keys as tuples in primary-key order.",
        )
    return key
