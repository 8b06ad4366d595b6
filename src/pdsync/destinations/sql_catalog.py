"""The plumbing DuckDB and PostgreSQL share below the batch logic: the catalog.

:class:`SQLCatalog` declares the driver hooks (connect, run, bulk-load, types, error
translation) and implements, once for both engines, what sits under every batch:
checking that a database is a pdsync replica, transactions, reading a table's columns
and key from ``information_schema``, creating a table or adding its new columns
(recording deterministic physical names in ``_pdsync_columns``), and staging names.
The batch logic itself is in :mod:`pdsync.destinations.sql_base`.
"""

from __future__ import annotations

import abc
import contextlib
import hashlib
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from typing import Any

from pdsync import __version__
from pdsync.destinations.base import INTERNAL_PREFIX, utc_now
from pdsync.destinations.identifiers import allocate_physical, check_identifier, quote
from pdsync.destinations.sqlite_ddl import (
    COLUMNS_TABLE,
    INTERNAL_DDL,
    META_TABLE,
    TableInfo,
    full_columns,
)
from pdsync.errors import DestinationError, SchemaError, StateError
from pdsync.schema import Column, LogicalType, TableSchema

__all__ = ["LOAD_TABLE", "REPLICA_SCHEMA_VERSION", "SQLCatalog", "short_internal_name"]

REPLICA_SCHEMA_VERSION = 1
LOAD_TABLE = "_pdsync_load"


def short_internal_name(kind: str, table: str, max_bytes: int) -> str:
    """``_pdsync_<kind>__<table>``, hashed down when a database cannot hold it whole."""
    name = f"{INTERNAL_PREFIX}{kind}__{table}"
    if len(name.encode()) <= max_bytes:
        return name
    return f"{INTERNAL_PREFIX}{kind}__{hashlib.sha1(table.encode()).hexdigest()[:16]}"


class SQLCatalog(abc.ABC):
    """Driver hooks, opening checks, transactions and DDL over a DB-API connection."""

    url: str
    placeholder = "?"  # the driver's parameter marker
    max_identifier_bytes: int = 255
    fold: Callable[[str], str] = staticmethod(str.lower)  # how the database compares names
    reserved_columns: frozenset[str] = frozenset()  # names a table cannot have
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
            existing,
            wanted,
            fold=self.fold,
            max_bytes=self.max_identifier_bytes,
            reserved=self.reserved_columns,
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
