"""Look records up in a local replica made by ``pdsync sync`` instead of the search API.

A replica is a SQLite file whose tables are named after streams (``persons``,
``organizations``, ``deals``...) with readable column names (``primary_email``, custom
fields in snake_case) and the field mappings it froze (``_pdsync_fields``), which push
reads so that its column names are the replica's. Matching against it costs no API call; the search API allows
only 10 requests per 2 s, so a large update runs several times faster with one.
Rows pdsync marked deleted (``_pdsync_deleted_at``) never match.
"""

from __future__ import annotations

import re
import sqlite3
from pathlib import Path
from typing import Any

from pdsync.catalog.fields import FIELDS_TABLE, FieldMapping
from pdsync.errors import ConfigError


class Replica:
    def __init__(self, url: str) -> None:
        path = _sqlite_path(url)
        if not path.is_file():
            raise ConfigError(
                f"The replica {url!r} does not exist.",
                hint="Run `pdsync sync` first, or leave out --replica to match through the API.",
            )
        self.url = url
        self._db = sqlite3.connect(f"file:{path}?mode=ro", uri=True, check_same_thread=False)
        self._columns: dict[str, set[str]] = {}

    def close(self) -> None:
        self._db.close()

    def columns(self, table: str) -> set[str]:
        if table not in self._columns:
            rows = self._db.execute(f'PRAGMA table_info("{table}")').fetchall()
            self._columns[table] = {str(row[1]) for row in rows}
        return self._columns[table]

    def has(self, table: str, column: str) -> bool:
        return column in self.columns(table)

    def field_mappings(self, entity: str) -> list[FieldMapping]:
        """The field mappings the sync stored for ``entity`` (its frozen column names)."""
        if "key" not in self.columns(FIELDS_TABLE.name):
            return []  # not made by pdsync sync, or older than the fields table
        cursor = self._db.execute(
            f'SELECT * FROM "{FIELDS_TABLE.name}" WHERE entity = ?', (entity,)
        )
        names = [d[0] for d in cursor.description]
        return [
            FieldMapping.from_row(_logical(dict(zip(names, row, strict=True)))) for row in cursor
        ]

    def find_ids(self, table: str, column: str, value: Any) -> list[Any]:
        """Ids of live rows whose ``column`` equals ``value`` (text compared without case)."""
        columns = self.columns(table)
        if column not in columns or "id" not in columns:
            raise ConfigError(
                f"The replica has no column {table}.{column} to match on.",
                hint="Match on another --key, run `pdsync sync` again, or leave out --replica.",
            )
        sql = f'SELECT id FROM "{table}" WHERE "{column}" = ?'
        if isinstance(value, str):
            sql += " COLLATE NOCASE"
        if "_pdsync_deleted_at" in columns:
            sql += " AND _pdsync_deleted_at IS NULL"
        if table == "deals" and "status" in columns:
            sql += " AND (status IS NULL OR status != 'deleted')"
        return [row[0] for row in self._db.execute(sql, (value,)).fetchall()]


_HASH_KEY = re.compile(r"[0-9a-f]{40}")


def _logical(row: dict[str, Any]) -> dict[str, Any]:
    """A ``_pdsync_fields`` row under FieldMapping's names: SQL replicas store the column
    as ``column_name`` and the options as ``options_json``, and no ``is_custom``."""
    row.setdefault("column", row.get("column_name"))
    row.setdefault("options", row.get("options_json"))
    row.setdefault("is_custom", bool(_HASH_KEY.fullmatch(str(row.get("key", "")))))
    return row


def _sqlite_path(url: str) -> Path:
    if url.startswith("sqlite:///"):
        return Path(url[len("sqlite:///") :])
    if "://" not in url:
        return Path(url)
    raise ConfigError(
        f"--replica {url!r} is not a SQLite replica.",
        hint="Pass sqlite:///path/to/pipedrive.db (the file `pdsync sync` writes).",
    )


# The replica column that holds each matchable field, where it is not the field code.
REPLICA_COLUMNS: dict[str, str] = {"emails": "primary_email", "phones": "primary_phone"}


def replica_column(code: str, column_name: str, is_custom: bool) -> str:
    if is_custom:
        return column_name
    return REPLICA_COLUMNS.get(code, code)
