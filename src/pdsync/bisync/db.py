"""Bisync's own connection to the replica: SQLite or PostgreSQL, writes marked as pdsync's.

Every write bisync makes through this connection (an id rewritten after a create, the
change log cleared) is marked the way the sync writer's are, so the capture triggers do
not record it as a user's edit: on SQLite a row in ``_pdsync_applying`` that exists only
inside the write transaction (SQLite has one writer at a time, so no other connection
ever sees it), on PostgreSQL the session setting ``pdsync.applying``.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import json
import sqlite3
from collections.abc import Iterator, Sequence
from decimal import Decimal
from pathlib import Path
from typing import Any

from pdsync.destinations.identifiers import quote
from pdsync.destinations.postgres import DEFAULT_SCHEMA, import_psycopg, split_schema
from pdsync.destinations.sqlite import APPLYING_TABLE
from pdsync.destinations.urls import parse_destination_url, sqlite_path
from pdsync.errors import ConfigError, DestinationError
from pdsync.redact import redact

Row = dict[str, Any]


class ReplicaDb:
    """A small DB-API facade with the two dialects bisync supports."""

    dialect: str
    schema: str | None = None

    def __init__(self, url: str, *, create: bool = True) -> None:
        parsed = parse_destination_url(url)
        self.url = parsed.safe
        if parsed.scheme == "sqlite":
            self.dialect = "sqlite"
            path = sqlite_path(parsed)
            self.path = str(path)
            if not create and not Path(self.path).is_file():
                raise ConfigError(
                    f"No replica at {self.path!r} yet.",
                    hint="Run `pdsync bisync` (without --dry-run) once: the first cycle is a sync.",
                )
            self._conn: Any = sqlite3.connect(self.path, isolation_level=None)
            self._conn.execute("PRAGMA busy_timeout = 10000")
        elif parsed.scheme in ("postgresql", "postgres"):
            self.dialect = "postgres"
            conninfo, self.schema = split_schema(parsed.raw)
            self.path = redact(conninfo) + (
                "" if self.schema == DEFAULT_SCHEMA else f"/{self.schema}"
            )
            psycopg = import_psycopg()
            try:
                self._conn = psycopg.connect(conninfo, autocommit=True)
            except psycopg.Error as exc:
                raise DestinationError(
                    f"Cannot connect to PostgreSQL at {redact(conninfo)}: {str(exc).strip()}.",
                    hint="Check the --target URL and that the server runs.",
                ) from None
            self._conn.execute("SET TIME ZONE 'UTC'")
            self._conn.execute(f"SET search_path TO {quote(self.schema)}")
            self._conn.execute("SET pdsync.applying = 'on'")
        elif parsed.scheme == "duckdb":
            raise ConfigError(
                "bisync cannot capture changes in DuckDB: DuckDB has no triggers.",
                hint="Use a SQLite or PostgreSQL target for two-way sync; "
                "`pdsync sync` and `pdsync push` still work with DuckDB.",
            )
        else:
            raise ConfigError(
                f"bisync works on SQLite and PostgreSQL targets, not {parsed.scheme}://.",
                hint="Pass --target sqlite:///pipedrive.db or --target postgresql://user@host/db.",
            )

    # -- reading --------------------------------------------------------------------------

    def rows(self, sql: str, params: Sequence[Any] = ()) -> list[Row]:
        cursor = self._exec(sql, params)
        if cursor.description is None:
            return []
        names = [d[0] for d in cursor.description]
        return [{n: plain(v) for n, v in zip(names, row, strict=True)} for row in cursor]

    def scalar(self, sql: str, params: Sequence[Any] = ()) -> Any:
        found = self.rows(sql, params)
        return next(iter(found[0].values())) if found else None

    def tables(self) -> set[str]:
        if self.dialect == "sqlite":
            found = self.rows("SELECT name FROM sqlite_master WHERE type = 'table'")
        else:
            found = self.rows(
                "SELECT table_name AS name FROM information_schema.tables WHERE table_schema = ?",
                (self.schema,),
            )
        return {str(r["name"]) for r in found}

    def columns(self, table: str) -> list[str]:
        if self.dialect == "sqlite":
            return [str(r["name"]) for r in self.rows(f"PRAGMA table_info({quote(table)})")]
        found = self.rows(
            "SELECT column_name FROM information_schema.columns"
            " WHERE table_schema = ? AND table_name = ? ORDER BY ordinal_position",
            (self.schema, table),
        )
        return [str(r["column_name"]) for r in found]

    def row(self, table: str, record_id: Any) -> Row | None:
        found = self.rows(f"SELECT * FROM {quote(table)} WHERE id = ?", (record_id,))
        return found[0] if found else None

    # -- writing (always marked as pdsync's own) ------------------------------------------

    def execute(self, sql: str, params: Sequence[Any] = ()) -> None:
        self._exec(sql, params)

    def _exec(self, sql: str, params: Sequence[Any]) -> Any:
        if self.dialect == "sqlite":
            return self._conn.execute(sql, tuple(params))
        # psycopg reads % as a placeholder only when parameters are passed.
        return self._conn.execute(sql.replace("?", "%s"), tuple(params) or None)

    def script(self, statements: Sequence[str]) -> None:
        with self.transaction():
            for statement in statements:
                self._conn.execute(statement)

    @contextlib.contextmanager
    def transaction(self) -> Iterator[None]:
        """One atomic write whose changes the capture triggers ignore."""
        marker = self.dialect == "sqlite" and APPLYING_TABLE in self.tables()
        self._conn.execute("BEGIN IMMEDIATE" if self.dialect == "sqlite" else "BEGIN")
        try:
            if marker:
                self._conn.execute(f"INSERT INTO {APPLYING_TABLE} VALUES (1)")
            yield
            if marker:
                self._conn.execute(f"DELETE FROM {APPLYING_TABLE}")
            self._conn.execute("COMMIT")
        except BaseException:
            self._conn.execute("ROLLBACK")
            raise

    def close(self) -> None:
        self._conn.close()

    def __enter__(self) -> ReplicaDb:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def plain(value: Any) -> Any:
    """A driver value as JSON would carry it: what the change log's snapshots hold."""
    if isinstance(value, (dt.datetime, dt.date, dt.time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


def same_cell(a: Any, b: Any) -> bool:
    """True when two replica cells hold the same value (a snapshot against a live row)."""
    if a is None or b is None:
        return a is None and b is None
    if isinstance(a, (int, float)) and isinstance(b, (int, float)):
        return float(a) == float(b)
    if isinstance(a, (dict, list)) or isinstance(b, (dict, list)):
        return _json_text(a) == _json_text(b)
    return str(a) == str(b)


def _json_text(value: Any) -> str:
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            return str(value)
    return json.dumps(value, sort_keys=True, separators=(",", ":"))
