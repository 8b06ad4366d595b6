"""An account's content as backups see it: per stream, rows by primary key.

Rows are the replica's rows (DESIGN decision 13: the catalog and normalisation of
sync), read back from SQLite with JSON columns decoded and booleans as booleans, and
without pdsync's bookkeeping columns. Rows a sync marked deleted are not part of it.

A segment is a list of operations on rows, one JSON document a line, sorted by key:
``{"k": key, "r": row}`` puts a row, ``{"k": key, "d": 1}`` removes it. A snapshot's
stream is its segments applied in order (a base, then deltas).
"""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterable, Mapping
from pathlib import Path
from typing import Any

from pdsync.catalog.registry import CATALOG
from pdsync.errors import CorruptSnapshotError

Key = Any  # an int, a UUID text, or a tuple for composite keys
Rows = dict[Key, dict[str, Any]]
State = dict[str, Rows]

_BOOKKEEPING = ("_pdsync_",)

# The replica's field mappings (hash key, name, type, frozen column, options) are kept
# as one more stream, so a snapshot knows which column held which field.
FIELDS_STREAM = "_fields"
_FIELDS_TABLE = "_pdsync_fields"

# Columns a custom field spreads over, besides its own (see catalog.columns).
SUFFIXES = (
    "_id",
    "_ids",
    "_currency",
    "_until",
    "_timezone",
    "_street_number",
    "_route",
    "_subpremise",
    "_sublocality",
    "_locality",
    "_admin_area_level_1",
    "_admin_area_level_2",
    "_country",
    "_postal_code",
    "_formatted_address",
)


def _column_types(stream: str) -> dict[str, str]:
    spec = CATALOG.get(stream)
    return {c.name: c.type for c in spec.columns} if spec else {}


def _decode(value: Any, kind: str | None) -> Any:
    if kind == "boolean" and isinstance(value, int):
        return bool(value)
    if isinstance(value, str) and value[:1] in "[{" and kind in (None, "json"):
        try:
            return json.loads(value)
        except json.JSONDecodeError:
            return value
    return value


def key_of(stream: str, row: Mapping[str, Any]) -> Key:
    if stream == FIELDS_STREAM:
        return (row["entity"], row["key"])
    spec = CATALOG[stream]
    pk = spec.primary_key
    return row[pk[0]] if len(pk) == 1 else tuple(row[k] for k in pk)


def read_replica(path: Path, streams: Iterable[str]) -> State:
    """The live rows of each stream's table in a replica made by ``pdsync sync``."""
    db = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        tables = {r[0] for r in db.execute("SELECT name FROM sqlite_master WHERE type='table'")}
        state: State = {}
        stale = _deleted_field_columns(db) if _FIELDS_TABLE in tables else {}
        for stream in streams:
            if stream not in tables:
                continue
            entity = CATALOG[stream].fields_entity if stream in CATALOG else None
            state[stream] = _read_table(db, stream, stale.get(entity or "", set()))
        if _FIELDS_TABLE in tables:
            state[FIELDS_STREAM] = _read_fields(db)
        return state
    finally:
        db.close()


def _deleted_field_columns(db: sqlite3.Connection) -> dict[str, set[str]]:
    """entity -> columns of custom fields deleted in Pipedrive (the replica keeps their
    last values, which are no longer the account's)."""
    out: dict[str, set[str]] = {}
    for entity, column in db.execute(
        f'SELECT entity, column_name FROM "{_FIELDS_TABLE}" WHERE deleted'
    ):
        out.setdefault(entity, set()).update(column + s for s in ("", *SUFFIXES))
    return out


def _read_table(db: sqlite3.Connection, stream: str, stale: set[str]) -> Rows:
    cursor = db.execute(f'SELECT * FROM "{stream}" WHERE "_pdsync_deleted_at" IS NULL')
    names = [d[0] for d in cursor.description]
    types = _column_types(stream)
    keep = [
        (i, n, types.get(n))
        for i, n in enumerate(names)
        if not n.startswith(_BOOKKEEPING) and n not in stale
    ]
    rows: Rows = {}
    for found in cursor:
        row = {name: _decode(found[i], kind) for i, name, kind in keep}
        if stream == "deals" and row.get("status") == "deleted":
            continue  # deleted deals stay listed by Pipedrive for 30 days: not live
        rows[key_of(stream, row)] = row
    return rows


def _read_fields(db: sqlite3.Connection) -> Rows:
    cursor = db.execute(f'SELECT * FROM "{_FIELDS_TABLE}" WHERE NOT deleted')
    names = [d[0] for d in cursor.description]
    rows: Rows = {}
    for found in cursor:
        row = {n: _decode(v, None) for n, v in zip(names, found, strict=True)}
        row.pop("first_seen", None)  # when pdsync first saw it: not the account's content
        rows[key_of(FIELDS_STREAM, row)] = row
    return rows


# -- segments ---------------------------------------------------------------------------


def _sort_key(key: Key) -> tuple[int, str]:
    return (0, f"{key:020d}") if isinstance(key, int) else (1, json.dumps(key, default=str))


def encode_segment(puts: Mapping[Key, Mapping[str, Any]], deletes: Iterable[Key] = ()) -> bytes:
    ops: list[tuple[Key, dict[str, Any]]] = [(k, {"k": k, "r": r}) for k, r in puts.items()]
    ops += [(k, {"k": k, "d": 1}) for k in deletes]
    ops.sort(key=lambda op: _sort_key(op[0]))
    lines = (json.dumps(op, sort_keys=True, ensure_ascii=False, default=str) for _, op in ops)
    return "".join(line + "\n" for line in lines).encode()


def apply_segment(rows: Rows, data: bytes, where: str) -> int:
    """Apply a segment's operations to ``rows``; the number of operations."""
    count = 0
    try:
        for line in data.decode().splitlines():
            op = json.loads(line)
            key = op["k"]
            key = tuple(key) if isinstance(key, list) else key
            if op.get("d"):
                rows.pop(key, None)
            else:
                rows[key] = op["r"]
            count += 1
    except (ValueError, KeyError, TypeError):
        raise CorruptSnapshotError(
            f"The backup segment {where} does not hold rows.",
            hint="Restore from another snapshot (`pdsync backup list`).",
        ) from None
    return count


def fingerprint(row: Mapping[str, Any]) -> str:
    return json.dumps(row, sort_keys=True, ensure_ascii=False, default=str)
