"""What the replica holds, read through the destination protocol (every destination answers).

Keys are compared as text (a tuple of text for composite keys), so an integer id read
back from SQLite and the same id in the API's JSON are one key, and UUID or hex ids
(leads, goals) compare as themselves.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pdsync.catalog.columns import PARENT_SOURCE
from pdsync.catalog.streams import StreamSpec
from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT

Key = tuple[str, ...]

_CHUNK = 5000


def key_text(value: Any) -> str:
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a files replica read through DuckDB may widen ints
    return str(value)


class Keyer:
    """The primary key of an API record, as the replica stores it."""

    def __init__(self, spec: StreamSpec) -> None:
        sources = {c.name: c.source for c in spec.columns}
        self.sources = tuple(sources.get(k, k) for k in spec.primary_key)

    def __call__(self, record: Mapping[str, Any], parent_id: Any = None) -> Key | None:
        values = []
        for source in self.sources:
            value = parent_id if source == PARENT_SOURCE else record.get(source)
            if value is None:
                return None
            values.append(key_text(value))
        return tuple(values)


@dataclass
class ReplicaKeys:
    """The keys of one replica table: rows alive, rows marked deleted."""

    table: str
    exists: bool
    alive: set[Key] = field(default_factory=set)
    marked: set[Key] = field(default_factory=set)
    parent_of: dict[Key, str] = field(default_factory=dict)  # child key -> its parent's key

    @property
    def rows(self) -> int:
        return len(self.alive) + len(self.marked)


def read_keys(
    destination: Destination, spec: StreamSpec, table: str, *, parent_column: str | None = None
) -> ReplicaKeys:
    """Every key of ``table`` with its delete mark (and its parent key, for children)."""
    if table not in set(destination.tables()):
        return ReplicaKeys(table, exists=False)
    keys = ReplicaKeys(table, exists=True)
    columns = [quote(k) for k in spec.primary_key]
    if parent_column:
        columns.append(quote(parent_column))
    sql = (
        f"SELECT {', '.join(columns)}, "
        f"CASE WHEN {quote(DELETED_AT)} IS NULL THEN 0 ELSE 1 END FROM {quote(table)}"
    )
    width = len(spec.primary_key)
    result = destination.query(sql)
    while chunk := result.fetchmany(_CHUNK):
        for row in chunk:
            key = tuple(key_text(v) for v in row[:width])
            (keys.marked if row[-1] else keys.alive).add(key)
            if parent_column and row[width] is not None:
                keys.parent_of[key] = key_text(row[width])
    return keys


def row_count(destination: Destination, table: str, where: str = "") -> int | None:
    """Rows of ``table`` (None when there is no such table)."""
    if table not in set(destination.tables()):
        return None
    sql = f"SELECT COUNT(*) FROM {quote(table)}" + (f" WHERE {where}" if where else "")
    rows = destination.query(sql).fetchmany(1)
    return int(rows[0][0]) if rows else 0


def parents_with_children(destination: Destination, table: str, counter: str | None) -> int | None:
    """Live parents whose counter says they have children (None: the replica cannot say)."""
    if table not in set(destination.tables()):
        return None
    if counter is None or counter not in destination.table_columns(table):
        return row_count(destination, table, f"{quote(DELETED_AT)} IS NULL")
    where = f"{quote(DELETED_AT)} IS NULL AND {quote(counter)} > 0"
    return row_count(destination, table, where)


def cursor_values(destination: Destination, table: str, cursor: str) -> list[str]:
    """The cursor values (``update_time``) of a table's rows, in ascending order."""
    if table not in set(destination.tables()) or cursor not in destination.table_columns(table):
        return []
    sql = (
        f"SELECT {quote(cursor)} FROM {quote(table)} "
        f"WHERE {quote(cursor)} IS NOT NULL ORDER BY {quote(cursor)}"
    )
    values: list[str] = []
    result = destination.query(sql)
    while chunk := result.fetchmany(_CHUNK):
        values.extend(str(row[0]) for row in chunk)
    return values
