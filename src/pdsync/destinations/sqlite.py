"""The SQLite destination: the embedded default (``sqlite:///pipedrive.db``), stdlib only.

Durability: the database runs in WAL mode with ``synchronous=NORMAL``. Each batch is one
transaction; a committed transaction is in the WAL before ``COMMIT`` returns, so killing
the process (even ``kill -9``) never loses or tears a committed batch. Only a power cut
or OS crash may roll back the last few commits — which is harmless, because their state
rolls back with them and the next run fetches those rows again. Pass
``?synchronous=full`` in the URL to pay an fsync per batch and survive power cuts too.
"""

from __future__ import annotations

import contextlib
import os
import sqlite3
import threading
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
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
from pdsync.destinations.identifiers import quote
from pdsync.destinations.sqlite_ddl import (
    FIELDS_TABLE,
    INTERNAL_DDL,
    META_TABLE,
    STATE_TABLE,
    TableInfo,
    create_or_evolve,
    full_columns,
    read_table_info,
)
from pdsync.destinations.sqlite_write import apply_batch, load_fields
from pdsync.destinations.urls import DestinationUrl, sqlite_path
from pdsync.errors import ConfigError, DestinationError, StateError
from pdsync.schema import DELETED_AT, Column, TableSchema
from pdsync.sync.state import StreamState, SyncState

__all__ = ["APPLYING_TABLE", "REPLICA_SCHEMA_VERSION", "SQLiteDestination"]

# Two-way sync (pdsync.bisync) installs this table with its change-capture triggers; a
# row in it, present only inside pdsync's own write transaction (SQLite has one writer),
# tells the triggers that the write is pdsync's and not a user's edit.
APPLYING_TABLE = "_pdsync_applying"

REPLICA_SCHEMA_VERSION = 1
_SYNCHRONOUS = ("normal", "full", "extra")
# A WAL checkpoint runs inside whichever COMMIT crosses the threshold; 64 MiB instead of
# SQLite's 4 MiB makes them 16x rarer (measured: COMMIT time 1.6 s -> 1.0 s on a 100k-row
# sync). A bigger cache_size was measured too: no gain, +50 MB RSS.
_WRITER_PRAGMAS = (
    "PRAGMA temp_store = MEMORY",
    "PRAGMA wal_autocheckpoint = 16384",
)


class SQLiteDestination:
    """A pdsync replica in one SQLite file. Thread-safe; one writer at a time."""

    def __init__(
        self,
        path: str | os.PathLike[str],
        *,
        readonly: bool = False,
        synchronous: str = "normal",
        url: str | None = None,
    ) -> None:
        self.path = str(path)
        self.url = url or f"sqlite:///{self.path}"
        self.readonly = readonly
        self._lock = threading.RLock()
        self._tables: dict[str, TableInfo] = {}
        self._mark_applying = False  # set by _check_replica
        self._conn = self._connect(synchronous)
        try:
            self._check_replica()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def from_url(cls, url: DestinationUrl, *, readonly: bool = False) -> SQLiteDestination:
        sync = url.options.get("synchronous", "normal").lower()
        if sync not in _SYNCHRONOUS:
            raise ConfigError(
                f"Unknown synchronous={sync!r} in {url.safe!r}.",
                hint="Use synchronous=normal (default) or synchronous=full.",
            )
        return cls(sqlite_path(url), readonly=readonly, synchronous=sync, url=url.safe)

    # -- opening -------------------------------------------------------------------------

    def _connect(self, synchronous: str) -> sqlite3.Connection:
        memory = self.path == ":memory:"
        try:
            if self.readonly:
                if not memory and not Path(self.path).is_file():
                    raise DestinationError(
                        f"No SQLite replica at {self.path!r}.",
                        hint="Run `pdsync sync` first, or point --target at an existing replica.",
                    )
                uri = f"file:{Path(self.path).absolute().as_posix()}?mode=ro"
                conn = sqlite3.connect(uri, uri=True, isolation_level=None, check_same_thread=False)
            else:
                if not memory:
                    Path(self.path).parent.mkdir(parents=True, exist_ok=True)
                conn = sqlite3.connect(self.path, isolation_level=None, check_same_thread=False)
            conn.execute("PRAGMA busy_timeout = 10000")
            conn.execute("SELECT COUNT(*) FROM sqlite_master").fetchone()  # is it SQLite at all?
            if not self.readonly:
                conn.execute("PRAGMA journal_mode = WAL")
                conn.execute(f"PRAGMA synchronous = {synchronous.upper()}")
                for pragma in _WRITER_PRAGMAS:
                    conn.execute(pragma)
        except sqlite3.DatabaseError as exc:
            raise self._open_error(exc) from None
        except OSError as exc:
            raise DestinationError(
                f"Cannot create the directory for {self.path!r}: {exc.strerror}.",
                hint="Choose a path you can write to, e.g. --target sqlite:///pipedrive.db.",
            ) from None
        return conn

    def _open_error(self, exc: sqlite3.DatabaseError) -> DestinationError:
        text = str(exc)
        if "not a database" in text or "malformed" in text:
            return DestinationError(
                f"{self.path!r} is not a SQLite database ({text}).",
                hint="Point --target at a new path or an existing pdsync replica.",
            )
        return DestinationError(
            f"Cannot open the SQLite database {self.path!r} ({text}).",
            hint="Check that the path is a file you can read and write, on a disk with space left.",
        )

    def _check_replica(self) -> None:
        names = {r[0] for r in self._conn.execute("SELECT name FROM sqlite_master")}
        self._mark_applying = APPLYING_TABLE in names and not self.readonly
        if META_TABLE in names:
            self._check_meta()
        elif names:
            raise DestinationError(
                f"{self.path!r} is a SQLite database but not a pdsync replica "
                "(it has tables and no _pdsync_meta).",
                hint="pdsync will not write into another application's database: "
                "point --target at a new file.",
            )
        elif not self.readonly:
            self._initialise()

    def _check_meta(self) -> None:
        meta = dict(self._conn.execute(f"SELECT key, value FROM {META_TABLE}").fetchall())
        version = meta.get("schema_version", "")
        if meta.get("replica") != "pdsync" or not version.isdigit():
            raise StateError(f"{self.path!r} has a damaged _pdsync_meta table.")
        if int(version) > REPLICA_SCHEMA_VERSION:
            raise StateError(
                f"{self.path!r} was written by a newer pdsync (replica schema {version}).",
                hint="Upgrade pdsync (pip install -U pdsync) to use this replica.",
            )

    def _initialise(self) -> None:
        with self._transaction():
            for ddl in INTERNAL_DDL:
                self._conn.execute(ddl)
            self._conn.executemany(
                f"INSERT INTO {META_TABLE} (key, value) VALUES (?, ?)",
                [
                    ("replica", "pdsync"),
                    ("schema_version", str(REPLICA_SCHEMA_VERSION)),
                    ("created_at", utc_now()),
                    ("created_by", f"pdsync {__version__}"),
                ],
            )

    # -- transactions --------------------------------------------------------------------

    @contextlib.contextmanager
    def _transaction(self) -> Iterator[sqlite3.Connection]:
        """BEGIN IMMEDIATE … COMMIT; anything raised inside rolls everything back."""
        if self.readonly:
            raise DestinationError(
                f"{self.url} is open read-only.", hint="Open it without readonly to write."
            )
        with self._lock:
            try:
                self._conn.execute("BEGIN IMMEDIATE")
                if self._mark_applying:
                    self._conn.execute(f"INSERT INTO {APPLYING_TABLE} VALUES (1)")
                yield self._conn
                if self._mark_applying:
                    self._conn.execute(f"DELETE FROM {APPLYING_TABLE}")
                self._conn.execute("COMMIT")
            except BaseException as exc:
                if self._conn.in_transaction:
                    self._conn.execute("ROLLBACK")
                self._tables.clear()  # DDL may have been rolled back with the rows
                if isinstance(exc, sqlite3.Error):
                    raise self._write_error(exc) from None
                raise

    def _write_error(self, exc: sqlite3.Error) -> DestinationError:
        text = str(exc)
        if isinstance(exc, sqlite3.IntegrityError):
            hint = "A row broke a table constraint (e.g. a duplicate key in append mode); nothing of the batch was written."
        elif "readonly" in text or "disk" in text or "full" in text:
            hint = "Check the file's permissions and the free disk space; nothing of the batch was written."
        else:
            hint = "Nothing of the batch was written; run the sync again."
        return DestinationError(f"SQLite write to {self.path!r} failed: {text}.", hint=hint)

    # -- the Destination protocol ----------------------------------------------------------

    def ensure_table(self, schema: TableSchema) -> TableSchema:
        with self._transaction() as conn:
            info = create_or_evolve(conn, schema)
        self._tables[schema.name] = info
        return self._effective(schema, info)

    def _info_for(self, conn: sqlite3.Connection, schema: TableSchema) -> TableInfo:
        info = self._tables.get(schema.name)
        names = [c.name for c in schema.columns]
        if info is None or not all(n in info.physical for n in names):
            info = create_or_evolve(conn, schema)
        return info

    def write_batch(self, batch: Batch) -> BatchResult:
        if batch.mode not in WRITE_MODES:
            raise DestinationError(
                f"Unknown write mode {batch.mode!r}.", hint=f"Use one of {', '.join(WRITE_MODES)}."
            )
        with self._transaction() as conn:
            info = self._info_for(conn, batch.schema)
            result = apply_batch(conn, batch, info)
        self._tables[batch.schema.name] = info
        return result

    def read_state(self) -> SyncState:
        if not self._has_table(STATE_TABLE):
            return SyncState()
        with self._lock:
            rows = self._conn.execute(f"SELECT stream, state_json FROM {STATE_TABLE}").fetchall()
        return SyncState({stream: StreamState.from_json(text) for stream, text in rows})

    def read_fields(self, entity: str | None = None) -> list[FieldRecord]:
        if not self._has_table(FIELDS_TABLE):
            return []
        sql = (
            "SELECT entity, key, name, field_type, column_name, options_json, first_seen, "
            f"deleted FROM {FIELDS_TABLE}"
        )
        params: tuple[str, ...] = ()
        if entity is not None:
            sql, params = sql + " WHERE entity = ?", (entity,)
        with self._lock:
            rows = self._conn.execute(sql + " ORDER BY entity, first_seen, key", params).fetchall()
        return load_fields(rows)

    def tables(self) -> list[str]:
        with self._lock:
            rows = self._conn.execute(
                "SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name"
            ).fetchall()
        return [r[0] for r in rows if not r[0].startswith(INTERNAL_PREFIX)]

    def table_columns(self, table: str) -> list[str]:
        with self._lock:
            return [r[1] for r in self._conn.execute(f"PRAGMA table_info({quote(table)})")]

    def count(self, table: str, *, include_deleted: bool = True) -> int:
        sql = f"SELECT COUNT(*) FROM {quote(table)}"
        if not include_deleted:
            info = self._table_info(table)
            sql += f" WHERE {quote(info.physical.get(DELETED_AT, DELETED_AT))} IS NULL"
        return int(self.query(sql).fetchmany(1)[0][0])

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> SQLiteQueryResult:
        try:
            with self._lock:
                cursor = self._conn.execute(sql, params)
        except sqlite3.Error as exc:
            raise DestinationError(
                f"Query failed: {exc}.",
                hint='Check the SQL; `pdsync query "select name from sqlite_master"` lists the tables.',
            ) from None
        return SQLiteQueryResult(cursor)

    def close(self) -> None:
        with self._lock:
            self._conn.close()

    def __enter__(self) -> SQLiteDestination:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"SQLiteDestination({self.url!r})"

    # -- helpers ---------------------------------------------------------------------------

    def _has_table(self, name: str) -> bool:
        with self._lock:
            row = self._conn.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (name,))
            return row.fetchone() is not None

    def _table_info(self, table: str) -> TableInfo:
        with self._lock:
            info = self._tables.get(table) or read_table_info(self._conn, table)
        if info is None:
            raise DestinationError(
                f"No table {table!r} in {self.url}.", hint=f"Tables: {', '.join(self.tables())}."
            )
        return info

    @staticmethod
    def _effective(schema: TableSchema, info: TableInfo) -> TableSchema:
        logical_of = {p: name for name, p in info.physical.items()}
        declared = {c.name: c for c in full_columns(schema)}
        columns = []
        for physical in info.types:
            logical = logical_of.get(physical, physical)
            col = declared.get(logical)
            if col is None:
                columns.append(Column(physical, _logical_type(info.types[physical])))
            else:
                columns.append(
                    Column(physical, col.type, col.source, col.description, col.nullable)
                )
        key = tuple(info.physical.get(k, k) for k in schema.primary_key)
        cursor = info.physical.get(schema.cursor, schema.cursor) if schema.cursor else None
        return TableSchema(schema.name, tuple(columns), key, cursor, schema.indexes)


def _logical_type(sql_type: str) -> Any:
    return {"INTEGER": "integer", "REAL": "real"}.get(sql_type.upper(), "text")


class SQLiteQueryResult:
    """A query's column names and its rows, streamed from the cursor."""

    def __init__(self, cursor: sqlite3.Cursor) -> None:
        self._cursor = cursor
        self.columns: list[str] = [d[0] for d in cursor.description or ()]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        return iter(self._cursor)

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        return list(self._cursor.fetchmany(size))
