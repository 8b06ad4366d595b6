"""Line up the columns of a re-created custom field with the snapshot's.

A replica freezes a custom field's column at first sight, so when a deleted field is
created again (new hash key, same name) the replica names it ``priority_2``: the old
field still owns ``priority``. To compare the account with a snapshot, the new field's
columns are read under the old names, matched on entity, name and type.
"""

from __future__ import annotations

from typing import Any

from pdsync.backup.state import FIELDS_STREAM, SUFFIXES, Rows, State
from pdsync.catalog.registry import CATALOG

__all__ = ["SUFFIXES", "align", "renames"]


def renames(old: State, new: State) -> dict[str, dict[str, str]]:
    """entity -> {column in ``new`` -> the column the same field has in ``old``}.

    The same field is the same key, else (a re-created field) the same name and type.
    """
    fields = old.get(FIELDS_STREAM, {}).values()
    by_key = {(f["entity"], f["key"]): f for f in fields}
    by_name = {(f["entity"], f["name"], f["field_type"]): f for f in fields}
    out: dict[str, dict[str, str]] = {}
    for field in new.get(FIELDS_STREAM, {}).values():
        match = by_key.get((field["entity"], field["key"])) or by_name.get(
            (field["entity"], field["name"], field["field_type"])
        )
        if match is not None and match["column_name"] != field["column_name"]:
            out.setdefault(field["entity"], {})[field["column_name"]] = match["column_name"]
    return out


def align(old: State, new: State) -> State:
    """``new`` with re-created fields' columns renamed to ``old``'s (a shallow copy)."""
    moves = renames(old, new)
    if not moves:
        return new
    out: State = dict(new)
    for stream, rows in new.items():
        spec = CATALOG.get(stream)
        entity = spec.fields_entity if spec else None
        if entity in moves:
            out[stream] = _rename_rows(rows, moves[entity])
    return out


def _rename_rows(rows: Rows, moves: dict[str, str]) -> Rows:
    pairs = {a + s: b + s for a, b in moves.items() for s in ("", *SUFFIXES)}
    out: Rows = {}
    for key, row in rows.items():
        # Unmoved columns first, then the moved ones over them (names may be swapped).
        moved: dict[str, Any] = {c: v for c, v in row.items() if c not in pairs}
        moved.update({pairs[c]: v for c, v in row.items() if c in pairs})
        out[key] = moved
    return out
