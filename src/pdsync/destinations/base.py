"""The protocol every destination speaks: SQLite, DuckDB, PostgreSQL and files.

The sync engine hands a destination :class:`Batch` objects, one at a time, from a
single writer thread. Each batch is applied in ONE transaction — rows, delete marks,
field mappings and the state that covers them — so a crash (even ``kill -9``) leaves
either all of it or none of it. See ``docs/destinations.md``.

Write modes (dlt's vocabulary):

``merge``
    ``INSERT … ON CONFLICT (pk) DO UPDATE`` of the columns the batch's schema carries;
    columns it does not carry keep their values. Never ``INSERT OR REPLACE`` (which
    deletes the old row). Applying a batch twice leaves the table as applying it once.
``append``
    Plain inserts; a primary-key clash is an error and the whole batch is rolled back.
``replace_begin`` / ``replace_rows`` / ``replace_commit``
    A full refresh: ``replace_begin`` drops any leftover staging table and starts a new
    one, each of the three loads its rows into staging, and ``replace_commit`` swaps the
    staging rows into the live table in the same transaction as the state. Until then
    the live table is untouched, so a crash mid-refresh leaves the old data intact.

Deletes (``deleted_ids``) mark ``_pdsync_deleted_at`` on rows that exist and are not
already marked; an unknown id is never inserted as a stub. A later upsert of the same
key clears the mark (the record came back), unless the row itself carries a value for
``_pdsync_deleted_at`` (e.g. deals with ``status=deleted``).
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timezone
from typing import Any, Literal, Protocol, runtime_checkable

from pdsync.schema import TableSchema
from pdsync.sync.state import StreamState, SyncState

__all__ = [
    "INTERNAL_PREFIX",
    "Batch",
    "BatchResult",
    "Destination",
    "FieldRecord",
    "QueryResult",
    "WriteMode",
    "utc_now",
]

WriteMode = Literal["merge", "append", "replace_begin", "replace_rows", "replace_commit"]
WRITE_MODES: tuple[WriteMode, ...] = (
    "merge",
    "append",
    "replace_begin",
    "replace_rows",
    "replace_commit",
)

# Tables whose name starts with this belong to pdsync itself (state, fields, meta, staging).
INTERNAL_PREFIX = "_pdsync_"


def utc_now() -> str:
    """The current UTC instant as ``YYYY-MM-DDTHH:MM:SSZ``."""
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass(frozen=True)
class FieldRecord:
    """One row of ``_pdsync_fields``: how a Pipedrive field maps to a column."""

    entity: str  # "deal", "person", ...
    key: str  # Pipedrive's field key (the 40-char hash for custom fields)
    name: str  # the field's name in Pipedrive when last seen
    field_type: str  # Pipedrive's field_type: "varchar", "enum", "monetary", ...
    column: str  # the column it is stored in (frozen at first sight)
    options: Any = None  # enum/set options, as JSON-able data
    first_seen: str = ""  # kept from the first write: later upserts never move it
    deleted: bool = False  # the field is gone from Pipedrive; its column and data stay


@dataclass(frozen=True)
class Batch:
    """One unit of work for the writer: applied entirely, or not at all."""

    stream: str
    schema: TableSchema  # the table (``schema.name``) and the columns this batch carries
    rows: Sequence[Mapping[str, Any]] = ()  # keyed by column name; missing keys are NULL
    mode: WriteMode = "merge"
    deleted_ids: Sequence[Any] = ()  # primary-key values (tuples for composite keys)
    state: Mapping[str, StreamState] = field(default_factory=dict)  # stream -> new state
    field_mappings: Sequence[FieldRecord] = ()
    synced_at: str = field(default_factory=utc_now)  # written to _pdsync_synced_at
    deleted_at: str | None = None  # the mark for deleted_ids; defaults to synced_at


@dataclass(frozen=True)
class BatchResult:
    """What a committed batch changed (distinct primary keys)."""

    stream: str
    inserted: int = 0
    updated: int = 0
    marked_deleted: int = 0


class QueryResult(Protocol):
    """Rows of a query: column names, then tuples, streamed."""

    @property
    def columns(self) -> list[str]: ...

    def __iter__(self) -> Iterator[tuple[Any, ...]]: ...

    def fetchmany(self, size: int) -> list[tuple[Any, ...]]: ...


@runtime_checkable
class Destination(Protocol):
    """Where replicated tables live. One writer at a time; safe against process kill."""

    url: str  # the target URL with any password masked

    def ensure_table(self, schema: TableSchema) -> TableSchema:
        """Create the table or add its new columns (never drop); return the effective schema.

        The effective schema lists every column the table has, in table order, with the
        physical column names (a name the database cannot hold as given — e.g. one that
        differs from another only by case in a case-insensitive database — gets a
        deterministic suffix; rows are still keyed by the logical name).
        """
        ...

    def write_batch(self, batch: Batch) -> BatchResult:
        """Apply rows, delete marks, field mappings and state in one transaction."""
        ...

    def read_state(self) -> SyncState: ...

    def read_fields(self, entity: str | None = None) -> list[FieldRecord]: ...

    def tables(self) -> list[str]:
        """Replicated tables (pdsync's own internal tables excluded)."""
        ...

    def table_columns(self, table: str) -> list[str]: ...

    def count(self, table: str, *, include_deleted: bool = True) -> int: ...

    def query(self, sql: str, params: Sequence[Any] | Mapping[str, Any] = ()) -> QueryResult: ...

    def close(self) -> None: ...
