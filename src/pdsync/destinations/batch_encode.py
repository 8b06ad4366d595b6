"""A batch's rows as encoded columns: what DuckDB, PostgreSQL and files bulk-load.

Shared by the column-oriented destinations (SQLite binds rows with ``executemany`` and
has its own loop in ``sqlite_write``). Encoding goes through the table's compiled
encoder (:func:`pdsync.destinations.values.compile_encoder`).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from pdsync.destinations.base import Batch
from pdsync.destinations.sqlite_ddl import full_columns
from pdsync.destinations.values import compile_encoder
from pdsync.errors import DestinationError, SchemaError
from pdsync.schema import SYNCED_AT

__all__ = ["check_row_keys", "encode_batch", "keep_last"]


def check_row_keys(stream: str, rows: Sequence[Mapping[str, Any]], known: set[str]) -> set[str]:
    """Refuse rows carrying a column the schema lacks: nothing is dropped silently.

    Returns the union of the rows' keys (the encoder reuses it).
    """
    seen: set[str] = set().union(*rows)  # one C-level pass over every row's keys
    if not known.issuperset(seen):
        raise SchemaError(
            f"Rows of {stream!r} carry columns the batch schema lacks: {sorted(seen - known)[:5]}.",
            hint="Add the columns to the batch's TableSchema (this is a bug in the sync engine).",
        )
    return seen


def keep_last(key_columns: Sequence[Sequence[Any]], count: int) -> list[int] | None:
    """Row positions to keep so each key appears once (its last row), or None if all are unique."""
    if not key_columns:
        return None
    keys: Any = key_columns[0] if len(key_columns) == 1 else zip(*key_columns, strict=False)
    last = {k: i for i, k in enumerate(keys)}
    return None if len(last) == count else sorted(last.values())


def encode_batch(batch: Batch, *, dedupe: bool) -> tuple[list[str], list[list[Any]]]:
    """The batch's rows as (column names, one encoded value list per column).

    Refuses rows with columns the schema lacks or without a primary-key value; with
    ``dedupe`` keeps only the last row of each key (``ON CONFLICT`` may not touch a row
    twice in one statement, and last-wins is what applying the rows in order means).
    """
    columns = full_columns(batch.schema)
    encoder = compile_encoder(columns)
    carried = check_row_keys(batch.stream, batch.rows, set(encoder.names))
    names = list(encoder.names)
    values = encoder.columns(batch.rows, {SYNCED_AT: batch.synced_at}, carried=carried)
    keys = [values[names.index(k)] for k in batch.schema.primary_key]
    if any(None in key for key in keys):
        raise DestinationError(
            f"A row of {batch.stream!r} has no value for its primary key {list(batch.schema.primary_key)}.",
            hint="This is a bug in the stream's normalisation; please report it.",
        )
    keep = keep_last(keys, len(batch.rows)) if dedupe else None
    if keep is not None:
        values = [[col[i] for i in keep] for col in values]
    return names, values
