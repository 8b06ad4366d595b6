"""The table vocabulary shared by the catalog, the sync engine and every destination.

A stream's rows are plain ``dict[str, Any]`` keyed by column name; a
:class:`TableSchema` says which columns exist and their logical types. Each
destination maps logical types to its own SQL types.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

LogicalType = Literal[
    "integer",  # 64-bit int (ids, counts)
    "real",  # float (double, monetary amounts)
    "text",  # str (also UUIDs, enum labels, HTML)
    "boolean",
    "timestamp",  # UTC instant, ISO 8601 text "YYYY-MM-DDTHH:MM:SSZ" in rows
    "date",  # "YYYY-MM-DD"
    "time",  # "HH:MM:SS"
    "json",  # nested arrays/objects, serialised by the destination
]

LOGICAL_TYPES: tuple[LogicalType, ...] = (
    "integer",
    "real",
    "text",
    "boolean",
    "timestamp",
    "date",
    "time",
    "json",
)

# Columns every replicated table carries, written by pdsync itself.
SYNCED_AT = "_pdsync_synced_at"  # when this row was last written (UTC timestamp)
DELETED_AT = "_pdsync_deleted_at"  # when pdsync learned the record was deleted; NULL while alive


@dataclass(frozen=True)
class Column:
    name: str  # the destination column name (already safe & unique within its table)
    type: LogicalType
    source: str = ""  # where the value comes from, e.g. "title", "custom_fields.<hash>.currency"
    description: str = ""
    nullable: bool = True


@dataclass(frozen=True)
class TableSchema:
    name: str  # stream name, e.g. "deals"
    columns: tuple[Column, ...]
    primary_key: tuple[str, ...] = ("id",)
    cursor: str | None = None  # e.g. "update_time": indexed by destinations
    indexes: tuple[tuple[str, ...], ...] = field(default_factory=tuple)

    def column(self, name: str) -> Column | None:
        for col in self.columns:
            if col.name == name:
                return col
        return None

    @property
    def column_names(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.columns)

    def with_columns(self, extra: tuple[Column, ...]) -> TableSchema:
        """A copy with ``extra`` columns appended (names already present are skipped)."""
        known = set(self.column_names)
        added = tuple(c for c in extra if c.name not in known)
        return TableSchema(
            self.name, self.columns + added, self.primary_key, self.cursor, self.indexes
        )
