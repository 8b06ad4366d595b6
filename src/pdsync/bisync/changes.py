"""Collapse the change log into one local change per record.

A record edited three times since the last cycle is pushed once, with the fields whose
current value differs from the first snapshot (the value both sides last agreed on).
A row inserted and then updated is one insert; a row inserted and deleted before a
cycle is nothing; a row deleted is a delete whatever came before.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pdsync.bisync.capture import LoggedChange
from pdsync.bisync.db import Row, same_cell


@dataclass
class LocalChange:
    table: str
    record_id: str
    op: str  # insert, update, delete
    base: dict[str, Any] | None  # the row before the first edit (None for an insert)
    last_seq: int
    first_seq: int
    changed_at: str  # when the last edit was made
    latest: dict[str, Any] | None = None  # an update's row as the user last wrote it
    current: Row | None = None  # the row as it is now (None once deleted)
    changed: list[str] = field(default_factory=list)  # columns that differ from base


def collapse(logged: Iterable[LoggedChange]) -> list[LocalChange]:
    by_record: dict[tuple[str, str], LocalChange] = {}
    for entry in logged:
        key = (entry.table, entry.record_id)
        found = by_record.get(key)
        if found is None:
            by_record[key] = LocalChange(
                entry.table,
                entry.record_id,
                entry.op,
                entry.old_row,
                entry.seq,
                entry.seq,
                entry.changed_at,
                entry.new_row,
            )
            continue
        found.last_seq, found.changed_at = entry.seq, entry.changed_at
        if entry.op == "delete":
            # Inserted here and deleted again: Pipedrive never saw it.
            found.op = "gone" if found.op == "insert" else "delete"
        elif entry.op == "insert" and found.op in ("delete", "gone"):
            found.op = "update" if found.op == "delete" else "insert"  # the id came back
        # Only a chain of updates has the user's last row in the log; otherwise the
        # table's row is read (a row inserted locally is never overwritten by a pull).
        found.latest = entry.new_row if found.op == "update" and entry.op == "update" else None
    return sorted(by_record.values(), key=lambda c: c.first_seq)


# Columns pdsync maintains itself: an edit to them is neither pushed nor refused.
MAINTAINED = frozenset({"id", "update_time", "add_time"})


def changed_columns(base: dict[str, Any], current: Row) -> list[str]:
    """Columns whose value differs from the snapshot (pdsync's own left out). A column
    missing from a snapshot is a null (SQLite's snapshots leave some nulls out)."""
    columns = list(current) + [c for c in base if c not in current]
    return [
        column
        for column in columns
        if not column.startswith("_pdsync_")
        and column not in MAINTAINED
        and not same_cell(base.get(column), current.get(column))
    ]
