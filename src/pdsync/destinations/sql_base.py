"""What DuckDB and PostgreSQL share: a server-style SQL replica behind the protocol.

SQLite has its own module (it predates this one and has stdlib-only quirks). DuckDB and
PostgreSQL speak the same SQL for everything pdsync needs — ``information_schema``,
``INSERT … ON CONFLICT DO UPDATE``, ``UPDATE … RETURNING``, transactional DDL — so the
whole batch logic lives here, and each driver supplies only what truly differs: how to
connect, how to bulk-load a batch into a temporary table (Arrow for DuckDB, ``COPY`` for
PostgreSQL), SQL types, identifier rules and error translation.

A batch is applied as: bulk-load its (de-duplicated, last-wins) rows into a temporary
load table; count which keys already exist with one join; one ``INSERT … SELECT … ON
CONFLICT DO UPDATE``; delete marks with ``UPDATE … RETURNING``; field mappings; state —
all in one transaction.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pdsync import __version__
from pdsync.destinations.base import (
    INTERNAL_PREFIX,
    WRITE_MODES,
    Batch,
    BatchResult,
    FieldRecord,
    utc_now,
)
from pdsync.destinations.identifiers import allocate_physical, check_identifier, quote
from pdsync.destinations.sqlite_ddl import (
    COLUMNS_TABLE,
    FIELDS_TABLE,
    INTERNAL_DDL,
    META_TABLE,
    STATE_TABLE,
    TableInfo,
    full_columns,
)
from pdsync.destinations.sqlite_write import load_fields
from pdsync.destinations.values import converter_for, encode_json
from pdsync.errors import DestinationError, SchemaError, StateError
from pdsync.schema import DELETED_AT, SYNCED_AT, Column, LogicalType, TableSchema
from pdsync.sync.state import StreamState, SyncState

__all__ = [
    "LOAD_TABLE",
    "REPLICA_SCHEMA_VERSION",
    "SQLDestination",
    "encode_batch",
    "encode_columns",
    "keep_last",
]

REPLICA_SCHEMA_VERSION = 1
LOAD_TABLE = "_pdsync_load"
_KEY_CHUNK = 500


_NONE = type(None)
# Value types a column of each logical type may hold as they are, with no conversion.
_AS_IS: dict[LogicalType, frozenset[type]] = {
    "integer": frozenset({int, _NONE}),
    "real": frozenset({int, float, _NONE}),
    "text": frozenset({str, int, float, _NONE}),
    "boolean": frozenset({bool, _NONE}),
    "timestamp": frozenset({str, _NONE}),
    "date": frozenset({str, _NONE}),
    "time": frozenset({str, _NONE}),
    "json": frozenset({str, _NONE}),
}


def encode_columns(
    columns: Sequence[Column], rows: Sequence[Mapping[str, Any]], constants: Mapping[str, Any]
) -> list[list[Any]]:
    """The rows as one value list per column, encoded like :func:`make_row_encoder`.

    Column-wise, a column whose values already have a bindable type (checked with one
    C-level ``map(type, …)``) is not touched value by value: on wide tables this is
    several times faster than encoding row by row. JSON columns always go through the
    converter (a str there is a JSON string, not JSON text).
    """
    out = []
    for col in columns:
        default = constants.get(col.name)
        name = col.name
        values = [row.get(name, default) for row in rows]
        if col.type == "json" or not set(map(type, values)) <= _AS_IS[col.type]:
            values = list(map(converter_for(col.type), values))
        out.append(values)
    return out


def keep_last(key_columns: Sequence[Sequence[Any]], count: int) -> list[int] | None:
    """Row positions to keep so each key appears once (its last row), or None if all are unique."""
    if not key_columns:
        return None
    keys: Any = key_columns[0] if len(key_columns) == 1 else zip(*key_columns, strict=False)
    last = {k: i for i, k in enumerate(keys)}
    return None if len(last) == count else sorted(last.values())


def encode_batch(batch: Batch, *, dedupe: bool) -> tuple[list[str], list[list[Any]]]:
    """The batch's rows as (column names, one encoded value list per column).

    Refuses rows with columns the schema lacks or without a primary-key value; with
    ``dedupe`` keeps only the last row of each key (``ON CONFLICT`` may not touch a row
    twice in one statement, and last-wins is what applying the rows in order means).
    """
    columns = full_columns(batch.schema)
    known = {c.name for c in columns}
    for row in batch.rows:
        if not known.issuperset(row):
            unknown = sorted(set(row) - known)
            raise SchemaError(
                f"Rows of {batch.stream!r} carry columns the batch schema lacks: {unknown[:5]}.",
                hint="Add the columns to the batch's TableSchema (this is a bug in the sync engine).",
            )
    names = [c.name for c in columns]
    values = encode_columns(columns, batch.rows, {SYNCED_AT: batch.synced_at})
    keys = [values[names.index(k)] for k in batch.schema.primary_key]
    if any(None in key for key in keys):
        raise DestinationError(
            f"A row of {batch.stream!r} has no value for its primary key {list(batch.schema.primary_key)}.",
            hint="This is a bug in the stream's normalisation; please report it.",
        )
    keep = keep_last(keys, len(batch.rows)) if dedupe else None
    if keep is not None:
        values = [[col[i] for i in keep] for col in values]
    return names, values


def short_internal_name(kind: str, table: str, max_bytes: int) -> str:
    """``_pdsync_<kind>__<table>``, hashed down when a database cannot hold it whole."""
    name = f"{INTERNAL_PREFIX}{kind}__{table}"
    if len(name.encode()) <= max_bytes:
        return name
    return f"{INTERNAL_PREFIX}{kind}__{hashlib.sha1(table.encode()).hexdigest()[:16]}"


class SQLDestination(abc.ABC):
    """The Destination protocol over a DB-API connection; subclasses add the driver."""

    url: str
    placeholder = "?"  # the driver's parameter marker
    max_identifier_bytes: int = 255
    fold: Callable[[str], str] = staticmethod(str.lower)  # how the database compares names
    engine = "SQL"

    def __init__(self, *, readonly: bool) -> None:
        self.readonly = readonly
        self._lock = threading.RLock()
        self._tables: dict[str, TableInfo] = {}

    # -- what each driver provides ---------------------------------------------------------

    @abc.abstractmethod
    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        """Execute and return all rows (``[]`` when the statement returns none)."""

    @abc.abstractmethod
    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None: ...

    @abc.abstractmethod
    def _begin(self) -> None: ...

    @abc.abstractmethod
    def _commit(self) -> None: ...

    @abc.abstractmethod
    def _rollback(self) -> None: ...

    @abc.abstractmethod
    def _load(self, info: TableInfo, physical: list[str], columns: list[list[Any]]) -> None:
        """Fill the temporary ``LOAD_TABLE`` (columns ``physical``) with ``columns``' values."""

    @abc.abstractmethod
    def _drop_load(self) -> None: ...

    @abc.abstractmethod
    def sql_type(self, logical: LogicalType) -> str: ...

    @abc.abstractmethod
    def _is_driver_error(self, exc: BaseException) -> bool: ...

    def q(self, name: str) -> str:
        """A quoted identifier safe to embed in a statement run with parameters."""
        return quote(name)

    # -- opening -----------------------------------------------------------------------------

    def _table_names(self) -> list[str]:
        rows = self._run(
            "SELECT table_name FROM information_schema.tables "
            "WHERE table_catalog = current_database() AND table_schema = current_schema() "
            "ORDER BY table_name"
        )
        return [r[0] for r in rows]

    def _check_replica(self) -> None:
        names = set(self._table_names())
        if META_TABLE in names:
            self._check_meta()
        elif names:
            raise DestinationError(
                f"{self.url} holds tables but is not a pdsync replica (no {META_TABLE}).",
                hint="pdsync will not write into another application's tables: "
                "point --target at a new database file or schema.",
            )
        elif not self.readonly:
            with self._transaction():
                for ddl in INTERNAL_DDL:
                    self._run(ddl)
                self._run_many(
                    f"INSERT INTO {META_TABLE} (key, value) VALUES ({self._marks(2)})",
                    [
                        ("replica", "pdsync"),
                        ("schema_version", str(REPLICA_SCHEMA_VERSION)),
                        ("created_at", utc_now()),
                        ("created_by", f"pdsync {__version__}"),
                    ],
                )

    def _check_meta(self) -> None:
        meta = dict(self._run(f"SELECT key, value FROM {META_TABLE}"))
        version = str(meta.get("schema_version", ""))
        if meta.get("replica") != "pdsync" or not version.isdigit():
            raise StateError(f"{self.url} has a damaged {META_TABLE} table.")
        if int(version) > REPLICA_SCHEMA_VERSION:
            raise StateError(
                f"{self.url} was written by a newer pdsync (replica schema {version}).",
                hint="Upgrade pdsync (pip install -U pdsync) to use this replica.",
            )

    # -- transactions ------------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[None]:
        if self.readonly:
            raise DestinationError(
                f"{self.url} is open read-only.", hint="Open it without readonly to write."
            )
        with self._lock:
            self._begin()
            try:
                yield
                self._commit()
            except BaseException as exc:
                self._rollback()
                self._tables.clear()  # DDL may have been rolled back with the rows
                if self._is_driver_error(exc):
                    raise self._write_error(exc) from None
                raise

    def _write_error(self, exc: BaseException) -> DestinationError:
        text = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
        lowered = text.lower()
        if "constraint" in lowered or "duplicate key" in lowered:
            hint = "A row broke a table constraint (e.g. a duplicate key in append mode); nothing of the batch was written."
        elif (
            "conversion" in lowered or "invalid input" in lowered or "could not convert" in lowered
        ):
            hint = "A value does not fit its column's type; nothing of the batch was written."
        else:
            hint = "Nothing of the batch was written; run the sync again."
        return DestinationError(f"{self.engine} write to {self.url} failed: {text}.", hint=hint)

    def _marks(self, count: int) -> str:
        return ", ".join(self.placeholder for _ in range(count))

    # -- catalog -----------------------------------------------------------------------------

    def _read_table_info(self, table: str) -> TableInfo | None:
        cols = self._run(
            "SELECT column_name, data_type FROM information_schema.columns WHERE "
            f"table_schema = current_schema() AND table_name = {self.placeholder} "
            "ORDER BY ordinal_position",
            (table,),
        )
        if not cols:
            return None
        key = self._run(
            "SELECT kcu.column_name FROM information_schema.table_constraints tc "
            "JOIN information_schema.key_column_usage kcu "
            "ON kcu.constraint_schema = tc.constraint_schema "
            "AND kcu.constraint_name = tc.constraint_name AND kcu.table_name = tc.table_name "
            "WHERE tc.table_schema = current_schema() AND tc.table_name = "
            f"{self.placeholder} AND tc.constraint_type = 'PRIMARY KEY' "
            "ORDER BY kcu.ordinal_position",
            (table,),
        )
        mapped = dict(
            self._run(
                f"SELECT column_name, physical_name FROM {COLUMNS_TABLE} "
                f"WHERE table_name = {self.placeholder}",
                (table,),
            )
        )
        names = {c[0] for c in cols}
        physical = {k: v for k, v in mapped.items() if v in names}
        used = set(physical.values())
        physical.update({c[0]: c[0] for c in cols if c[0] not in used})
        types = {c[0]: str(c[1]) for c in cols}
        return TableInfo(table, physical, types, tuple(r[0] for r in key))

    def _check_schema(self, schema: TableSchema) -> None:
        check_identifier(schema.name, "table")
        if schema.name.startswith(INTERNAL_PREFIX):
            raise SchemaError(
                f"Table name {schema.name!r} is reserved: names starting with "
                f"{INTERNAL_PREFIX!r} belong to pdsync.",
                hint="Give the stream another table name.",
            )
        if len(schema.name.encode()) > self.max_identifier_bytes:
            raise SchemaError(
                f"Table name {schema.name[:40]!r}… is longer than {self.engine} allows "
                f"({self.max_identifier_bytes} bytes).",
                hint="Map the stream to a shorter table name in the replication file.",
            )
        missing = [k for k in schema.primary_key if schema.column(k) is None]
        if missing:
            raise SchemaError(
                f"Table {schema.name!r}: primary key column(s) {missing} are not in its columns.",
                hint="This is a bug in the stream's declaration; please report it.",
            )

    def _allocate(self, existing: Mapping[str, str], wanted: Sequence[str]) -> dict[str, str]:
        return allocate_physical(
            existing, wanted, fold=self.fold, max_bytes=self.max_identifier_bytes
        )

    def _create_table(self, table: str, spec: list[tuple[str, str]], key: tuple[str, ...]) -> None:
        parts = [
            f"{self.q(name)} {sqltype}{' NOT NULL' if name in key else ''}"
            for name, sqltype in spec
        ]
        if key:
            parts.append(f"PRIMARY KEY ({', '.join(self.q(k) for k in key)})")
        self._run(f"CREATE TABLE {self.q(table)} ({', '.join(parts)})")

    def _save_mapping(self, table: str, mapping: Mapping[str, str]) -> None:
        self._run_many(
            f"INSERT INTO {COLUMNS_TABLE} (table_name, column_name, physical_name) "
            f"VALUES ({self._marks(3)}) ON CONFLICT (table_name, column_name) "
            "DO UPDATE SET physical_name = excluded.physical_name",
            [(table, logical, physical) for logical, physical in mapping.items()],
        )

    def _create_or_evolve(self, schema: TableSchema) -> TableInfo:
        """Create the table or add its new columns, inside the caller's transaction."""
        self._check_schema(schema)
        columns = full_columns(schema)
        info = self._read_table_info(schema.name)
        if info is None:
            phys = self._allocate({}, [c.name for c in columns])
            key = tuple(phys[k] for k in schema.primary_key)
            self._create_table(
                schema.name, [(phys[c.name], self.sql_type(c.type)) for c in columns], key
            )
            self._save_mapping(schema.name, phys)
            self._create_indexes(schema, phys)
        else:
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
            phys = self._allocate(info.physical, [c.name for c in new])
            staging = self._staging_name(schema.name)
            has_staging = staging in self._table_names()
            for col in new:
                add = f"ADD COLUMN {self.q(phys[col.name])} {self.sql_type(col.type)}"
                self._run(f"ALTER TABLE {self.q(schema.name)} {add}")
                if has_staging:
                    self._run(f"ALTER TABLE {self.q(staging)} {add}")
            self._save_mapping(schema.name, {c.name: phys[c.name] for c in new})
        fresh = self._read_table_info(schema.name)
        assert fresh is not None
        return fresh

    def _create_indexes(self, schema: TableSchema, phys: Mapping[str, str]) -> None:
        """Secondary indexes on the cursor; subclasses without a use for them skip it."""
        if schema.cursor is None or schema.cursor not in phys:
            return
        name = short_internal_name(
            "idx", f"{schema.name}__{phys[schema.cursor]}", self.max_identifier_bytes
        )
        self._run(
            f"CREATE INDEX IF NOT EXISTS {self.q(name)} ON {self.q(schema.name)} "
            f"({self.q(phys[schema.cursor])})"
        )

    def _staging_name(self, table: str) -> str:
        return short_internal_name("staging", table, self.max_identifier_bytes)

    def _effective(self, schema: TableSchema, info: TableInfo) -> TableSchema:
        logical_of = {p: name for name, p in info.physical.items()}
        declared = {c.name: c for c in full_columns(schema)}
        columns = []
        for physical in info.types:
            col = declared.get(logical_of.get(physical, physical))
            if col is None:
                columns.append(Column(physical, "text"))
            else:
                columns.append(
                    Column(physical, col.type, col.source, col.description, col.nullable)
                )
        key = tuple(info.physical.get(k, k) for k in schema.primary_key)
        cursor = info.physical.get(schema.cursor, schema.cursor) if schema.cursor else None
        return TableSchema(schema.name, tuple(columns), key, cursor, schema.indexes)

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
        if batch.mode == "replace_commit":
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
            existing = self._count_existing(target, info.primary_key) if info.primary_key else 0
            self._run(self._insert_sql(target, physical, info.primary_key, batch.mode))
        finally:
            self._drop_load()
        return len(columns[0]) - existing, existing

    def _count_existing(self, target: str, key: tuple[str, ...]) -> int:
        on = " AND ".join(f"t.{self.q(k)} = l.{self.q(k)}" for k in key)
        rows = self._run(f"SELECT COUNT(*) FROM {self.q(target)} t JOIN {LOAD_TABLE} l ON {on}")
        return int(rows[0][0])

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
