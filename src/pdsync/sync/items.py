"""The units of work fetchers hand to the writer, one kind per way of committing.

Each item is complete on its own: the writer commits it (rows + delete marks +
the state that covers them) in one transaction, so a process killed between
two items loses nothing that was committed and duplicates nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from pdsync.sync.state import Backfill

Row = dict[str, Any]


@dataclass(frozen=True)
class RowsItem:
    """A page of an incremental read (or of a full read merged by primary key).

    ``partition`` is the backfill partition the page belongs to (None for a full
    read of a stream without a cursor). ``plan`` is set on the first page of a
    read: the backfill the writer records before anything else. ``seen`` is the
    highest cursor value on the page; ``next_page`` the API cursor of the next
    page (None: the partition is complete).
    """

    stream: str
    rows: Sequence[Row]
    partition: int | None = None
    seen: str | None = None
    next_page: str | None = None
    plan: Backfill | None = None
    ids: Sequence[Any] = ()  # primary keys of the page (for reconciliation after a full read)
    last: bool = False  # full reads: the last page


@dataclass(frozen=True)
class ReplaceItem:
    """A page of a full refresh that replaces the whole table when it commits."""

    stream: str
    rows: Sequence[Row]
    phase: Literal["begin", "rows", "commit"]


@dataclass(frozen=True)
class DeletedItem:
    """A page of the records Pipedrive lists as deleted (deals ``status=deleted``).

    ``rows`` are the records' full rows (those the replica lacks are inserted, marked
    deleted); ``ids`` their primary keys.
    """

    stream: str
    ids: Sequence[Any]
    seen: str | None
    last: bool
    rows: Sequence[Row] = ()


@dataclass(frozen=True)
class ReconcileItem:
    """Every id a full id scan found; rows missing from it are marked deleted."""

    stream: str
    live_ids: frozenset[Any]
    started_at: str


@dataclass(frozen=True)
class ChildItem:
    """Children of a chunk of parents: the chunk's child rows replace the old ones."""

    stream: str
    rows: Sequence[Row]
    parent_ids: Sequence[Any]
    chunk: int
    parent_cursor: str | None  # highest parent update_time in the chunk
    requests: int = 0


@dataclass(frozen=True)
class SkipItem:
    """A stream the API refused (missing scope, plan feature, unknown path): the rest goes on."""

    stream: str
    message: str


WorkItem = SkipItem | RowsItem | ReplaceItem | DeletedItem | ReconcileItem | ChildItem
