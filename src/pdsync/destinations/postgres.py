"""The PostgreSQL destination (``postgresql://user@host:5432/db?schema=pipedrive``).

Needs ``pip install 'pdsync[postgres]'`` (psycopg 3). Each batch is one transaction:
its rows are bulk-loaded with ``COPY`` (text built column-wise by
:mod:`pdsync.destinations.postgres_copy`) into a temporary table, merged into the live
table with one ``INSERT … SELECT … ON CONFLICT DO UPDATE``, then its delete marks,
field mappings and state are written before ``COMMIT``.

The tables live in the schema named by ``?schema=`` (default ``public``); it is created
when missing. Other query options (``sslmode``, ``connect_timeout``, …) go to libpq
unchanged, and a password in the URL is registered as a secret so it never shows in
errors or logs (``PGPASSWORD`` and ``~/.pgpass`` work too). Types are native:
``bigint``, ``double precision``, ``boolean``, ``timestamptz``, ``date``, ``time``,
``jsonb``. PostgreSQL cuts identifiers at 63 bytes; longer column names get a
deterministic hashed form, recorded in ``_pdsync_columns``. Names that differ only by
case (``Case``/``case``) get distinct physical columns (``case__2``), as in SQLite and
DuckDB, so the same replication gives the same column names everywhere.
"""

from __future__ import annotations

import contextlib
import importlib
import itertools
import re
from collections.abc import Iterator, Mapping, Sequence
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit
from urllib.parse import quote as url_quote

from pdsync.destinations.identifiers import check_identifier, quote
from pdsync.destinations.postgres_copy import copy_text_chunks
from pdsync.destinations.sql_base import LOAD_TABLE, SQLDestination
from pdsync.destinations.sqlite_ddl import TableInfo
from pdsync.destinations.urls import DestinationUrl
from pdsync.errors import DestinationError, MissingDependencyError
from pdsync.redact import redact
from pdsync.schema import LogicalType

__all__ = ["PostgresDestination", "PostgresQueryResult", "import_psycopg"]

_TYPES: dict[LogicalType, str] = {
    "integer": "bigint",
    "real": "double precision",
    "text": "text",
    "boolean": "boolean",
    "timestamp": "timestamptz",
    "date": "date",
    "time": "time",
    "json": "jsonb",
}
DEFAULT_SCHEMA = "public"
# Statements a server-side cursor can stream (DECLARE … CURSOR FOR accepts only these).
_STREAMABLE = re.compile(r"^\s*(\(\s*)*(select|with|values|table)\b", re.IGNORECASE)


def import_psycopg() -> Any:
    """The psycopg (3) module, or the exact install line."""
    try:
        return importlib.import_module("psycopg")
    except ImportError:
        raise MissingDependencyError("psycopg", "postgres") from None


def split_schema(raw: str) -> tuple[str, str]:
    """The libpq connection URL without pdsync's ``schema`` option, and that schema."""
    parts = urlsplit(raw)
    options = parse_qsl(parts.query, keep_blank_values=True)
    schema = next((v for k, v in options if k == "schema"), DEFAULT_SCHEMA)
    # %20, never "+", for spaces: libpq decodes only percent-escapes (options=-c%20x%3Dy).
    rest = urlencode([(k, v) for k, v in options if k != "schema"], quote_via=url_quote)
    scheme = "postgresql" if parts.scheme == "postgres" else parts.scheme
    return urlunsplit((scheme, parts.netloc, parts.path, rest, parts.fragment)), schema


class PostgresDestination(SQLDestination):
    """A pdsync replica in one PostgreSQL schema. Thread-safe; one writer at a time."""

    engine = "PostgreSQL"
    placeholder = "%s"
    max_identifier_bytes = 63
    # System columns every PostgreSQL table has: a custom field named "xmax" gets "xmax__2".
    reserved_columns = frozenset({"tableoid", "xmin", "cmin", "xmax", "cmax", "ctid", "oid"})

    def __init__(
        self, conninfo: str, *, schema: str = DEFAULT_SCHEMA, readonly: bool = False
    ) -> None:
        super().__init__(readonly=readonly)
        self._psycopg = import_psycopg()
        self.schema = check_identifier(schema, "schema")
        self.url = redact(conninfo) + ("" if schema == DEFAULT_SCHEMA else f" (schema {schema})")
        self._conn = self._connect(conninfo)
        try:
            self._check_replica()
        except BaseException:
            self._conn.close()
            raise

    @classmethod
    def from_url(cls, url: DestinationUrl, *, readonly: bool = False) -> PostgresDestination:
        conninfo, schema = split_schema(url.raw)
        return cls(conninfo, schema=schema, readonly=readonly)

    def _connect(self, conninfo: str) -> Any:
        try:
            conn = self._psycopg.connect(conninfo, autocommit=True)
        except self._psycopg.Error as exc:
            raise DestinationError(
                f"Cannot connect to PostgreSQL at {redact(conninfo)}: "
                f"{redact(str(exc)).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__}.",
                hint="Check host, port, user and database in the URL, that the server runs, "
                "and the password (in the URL, PGPASSWORD or ~/.pgpass).",
            ) from None
        try:
            conn.execute("SET TIME ZONE 'UTC'")
            if self.readonly:
                conn.execute("SET default_transaction_read_only = on")
            elif not self._schema_exists(conn):
                conn.execute(f"CREATE SCHEMA IF NOT EXISTS {quote(self.schema)}")
            if not self.readonly:
                # Tells two-way sync's change-capture triggers (pdsync.bisync) that this
                # session's writes are pdsync's own, not a user's edits.
                conn.execute("SET pdsync.applying = 'on'")
            conn.execute(f"SET search_path TO {quote(self.schema)}")
        except self._psycopg.Error as exc:
            conn.close()
            raise DestinationError(
                f"Cannot use schema {self.schema!r} in {redact(conninfo)}: {str(exc).strip()}.",
                hint="Grant the user CREATE on the database, or create the schema first.",
            ) from None
        return conn

    def _schema_exists(self, conn: Any) -> bool:
        found = conn.execute(
            "SELECT 1 FROM information_schema.schemata WHERE schema_name = %s", (self.schema,)
        ).fetchone()
        return found is not None

    # -- driver hooks ---------------------------------------------------------------------

    def q(self, name: str) -> str:
        # psycopg reads % as a parameter marker anywhere in a statement run with parameters.
        return quote(name).replace("%", "%%")

    def _run(self, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
        with self._conn.cursor() as cursor:
            cursor.execute(sql, tuple(params))
            return list(cursor.fetchall()) if cursor.description else []

    def _run_many(self, sql: str, rows: Sequence[Sequence[Any]]) -> None:
        if rows:
            with self._conn.cursor() as cursor:
                cursor.executemany(sql, rows)

    def _begin(self) -> None:
        self._conn.execute("BEGIN")

    def _commit(self) -> None:
        self._conn.execute("COMMIT")

    def _rollback(self) -> None:
        with contextlib.suppress(
            self._psycopg.Error
        ):  # the connection is gone; nothing was committed
            self._conn.execute("ROLLBACK")

    def _is_driver_error(self, exc: BaseException) -> bool:
        return isinstance(exc, self._psycopg.Error)

    def sql_type(self, logical: LogicalType) -> str:
        return _TYPES[logical]

    def _load(self, info: TableInfo, physical: list[str], columns: list[list[Any]]) -> None:
        # A fresh temp table per batch measured as fast as one kept per session and
        # truncated (ON COMMIT DELETE ROWS made COMMIT slower): the catalog churn costs
        # about 1 ms a batch, and the planner always sees the load table's true size.
        cols = ", ".join(self.q(p) for p in physical)
        self._run(
            f"CREATE TEMP TABLE {LOAD_TABLE} ON COMMIT DROP AS "
            f"SELECT {cols} FROM {self.q(info.name)} WITH NO DATA"
        )
        raw_cols = ", ".join(quote(p) for p in physical)  # COPY takes no parameters
        copy_sql = f"COPY {LOAD_TABLE} ({raw_cols}) FROM STDIN"
        self._run("SAVEPOINT pdsync_load")
        try:
            self._copy(copy_sql, columns)
        except self._psycopg.DataError as exc:
            if "0x00" not in str(exc):
                raise
            # PostgreSQL text cannot hold NUL characters; only then pay for a scan of
            # every value, replacing NUL with U+FFFD (the Unicode replacement character).
            self._run("ROLLBACK TO SAVEPOINT pdsync_load")
            self._copy(copy_sql, [_without_nul(c) for c in columns])
        self._run("RELEASE SAVEPOINT pdsync_load")

    def _copy(self, copy_sql: str, columns: list[list[Any]]) -> None:
        chunks = copy_text_chunks(columns)  # column-wise text: ~3x faster than write_row
        with self._conn.cursor() as cursor, cursor.copy(copy_sql) as copy:
            if chunks is not None:
                for chunk in chunks:
                    copy.write(chunk)
                return
            write = copy.write_row  # a value type the text builder does not know
            for row in zip(*columns, strict=True):
                write(row)

    def _upsert(
        self, target: str, physical: list[str], key: tuple[str, ...], mode: str, rows: int
    ) -> int:
        # The upsert reports which rows it created: a fresh row version has xmax = 0,
        # one that ON CONFLICT updated carries the updating transaction's id. No second
        # scan of the target (a join against an un-analysed temp table may seq-scan it).
        insert = self._insert_sql(target, physical, key, mode)
        if not key:
            self._run(insert)
            return 0
        counted = self._run(
            f"WITH done AS ({insert} RETURNING (xmax = 0) AS fresh) "
            "SELECT COUNT(*) FILTER (WHERE fresh) FROM done"
        )
        return rows - int(counted[0][0])  # DO NOTHING returns no row for existing keys

    def _drop_load(self) -> None:
        self._run(f"DROP TABLE IF EXISTS pg_temp.{LOAD_TABLE}")

    # -- reading ----------------------------------------------------------------------------

    def query(
        self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()
    ) -> PostgresQueryResult:
        bound: Any = params if isinstance(params, Mapping) else tuple(params)
        try:
            with self._lock:
                if _STREAMABLE.match(sql):
                    # A server-side cursor streams big results in constant memory.
                    # A fresh name each time: ``id(object())`` repeats once the object is
                    # freed, and a result not read to its end keeps its cursor open.
                    name = f"pdsync_q{next(_CURSOR_NUMBERS)}"
                    cursor = self._conn.cursor(name=name, withhold=True)
                    cursor.itersize = 2000
                else:
                    cursor = self._conn.cursor()
                cursor.execute(sql, bound or None)
        except self._psycopg.Error as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            raise DestinationError(
                f"Query failed: {first}.",
                hint=f"Check the SQL; tables are in schema {self.schema!r} "
                "(select table_name from information_schema.tables).",
            ) from None
        return PostgresQueryResult(cursor)


_CURSOR_NUMBERS = itertools.count(1)


def _without_nul(values: list[Any]) -> list[Any]:
    return [v.replace("\x00", "\ufffd") if isinstance(v, str) else v for v in values]


class PostgresQueryResult:
    """A query's column names and rows; big SELECTs stream from a server-side cursor."""

    def __init__(self, cursor: Any) -> None:
        self._cursor = cursor
        self.columns: list[str] = [d.name for d in cursor.description or ()]

    def __iter__(self) -> Iterator[tuple[Any, ...]]:
        if self._cursor.description is None:
            return
        while True:
            chunk = self._cursor.fetchmany(2000)
            if not chunk:
                self._cursor.close()
                return
            yield from chunk

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]:
        if self._cursor.closed or self._cursor.description is None:
            return []
        rows = list(self._cursor.fetchmany(size))
        if len(rows) < size:
            self._cursor.close()  # read to its end: free the server-side cursor now
        return rows
