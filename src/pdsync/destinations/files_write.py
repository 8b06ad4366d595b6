"""What one batch of the files destination writes: its rows, its tombstones, its fields.

Pure functions over encoded columns and a :class:`~pdsync.destinations.files_keys.KeyIndex`;
:class:`~pdsync.destinations.files.FilesDestination` writes the result as one batch file
and commits it with the manifest.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from pdsync.destinations.base import Batch, FieldRecord
from pdsync.destinations.files_keys import KeyIndex, TextKey, as_key, text_keys
from pdsync.destinations.files_manifest import TableEntry
from pdsync.destinations.sqlite_ddl import full_columns
from pdsync.errors import DestinationError
from pdsync.schema import DELETED_AT

__all__ = ["batch_file_columns", "merged_fields", "tombstone_rows"]


def tombstone_names(entry: TableEntry) -> list[str]:
    """The columns of a batch file holding only tombstones."""
    return [*entry.primary_key, DELETED_AT]


def tombstone_rows(
    batch: Batch, entry: TableEntry, index: KeyIndex, keys: Sequence[TextKey], marks: Sequence[Any]
) -> tuple[list[tuple[Any, ...]], list[TextKey]]:
    """Tombstones for deleted ids alive once this batch's rows are in, and their text keys.

    A key is alive if the table holds it unmarked — or this batch upserts it without a
    ``_pdsync_deleted_at`` — so the first deletion time is kept and an unknown id never
    becomes a row.
    """
    if not batch.deleted_ids:
        return [], []
    if not entry.primary_key:
        raise DestinationError(
            f"Table {entry.name!r} has no primary key, so deletes cannot be marked.",
            hint="Declare a primary key for the stream.",
        )
    width = len(entry.primary_key)
    wanted = list(dict.fromkeys(as_key(i, width) for i in batch.deleted_ids))
    in_batch = dict(zip(keys, (m is None for m in marks), strict=True))
    shape = [c.name for c in full_columns(batch.schema)] if batch.rows else tombstone_names(entry)
    positions = [shape.index(k) for k in entry.primary_key]
    mark_at = shape.index(DELETED_AT)
    mark = batch.deleted_at or batch.synced_at
    rows, texts = [], []
    for key, text in zip(wanted, text_keys(wanted), strict=True):
        if in_batch.get(text, index.alive.get(text, False)):
            row: list[Any] = [None] * len(shape)
            for pos, value in zip(positions, key, strict=True):
                row[pos] = value
            row[mark_at] = mark
            rows.append(tuple(row))
            texts.append(text)
    return rows, texts


def batch_file_columns(
    entry: TableEntry,
    names: list[str],
    columns: list[list[Any]] | None,
    tombstones: Sequence[tuple[Any, ...]],
    seq: int,
) -> tuple[list[str], list[list[Any]]]:
    """The batch file's logical column names and values, plus ``_pdsync_seq`` and ``_pdsync_op``.

    Upserts get ``seq × 2`` and tombstones ``seq × 2 + 1``, so within one batch a delete
    sorts after the row it deletes.
    """
    shape = names if columns is not None else tombstone_names(entry)
    out = [list(c) for c in columns] if columns is not None else [[] for _ in shape]
    for tomb in tombstones:
        for i, value in enumerate(tomb):
            out[i].append(value)
    ups, downs = (len(columns[0]) if columns else 0), len(tombstones)
    out.append([seq * 2] * ups + [seq * 2 + 1] * downs)
    out.append(["upsert"] * ups + ["delete"] * downs)
    return shape, out


def merged_fields(
    saved: list[dict[str, Any]], records: Sequence[FieldRecord], now: str
) -> list[dict[str, Any]]:
    """Upsert field mappings; the column and first_seen are frozen at first sight."""
    by_key = {(f["entity"], f["key"]): f for f in saved}
    for r in records:
        old = by_key.get((r.entity, r.key))
        by_key[(r.entity, r.key)] = {
            **vars(r),
            "column": old["column"] if old else r.column,
            "first_seen": old["first_seen"] if old else (r.first_seen or now),
        }
    return list(by_key.values())
