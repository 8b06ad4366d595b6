"""Give push the snapshot's column names for custom fields.

A replica freezes each custom field's column when it first sees it (``lead_source_2``
after a collision), and snapshots hold rows under those columns. Push, left alone,
names columns from the account's fields *now*: after a field was deleted, the same
``lead_source_2`` may name another field. So a restore hands push the snapshot's
mappings through push's own replica option: a small SQLite file holding only
``_pdsync_fields``, with each re-created field's new key in place of the old one.
"""

from __future__ import annotations

import json
import re
import sqlite3
from pathlib import Path

from pdsync.backup.references import IdMap
from pdsync.backup.state import FIELDS_STREAM, State
from pdsync.catalog.fields import FieldMapping

_HASH = re.compile(r"[0-9a-f]{40}")
_FIELD_STREAMS = {
    "deal": "deal_fields",
    "person": "person_fields",
    "organization": "organization_fields",
    "product": "product_fields",
}


def snapshot_mappings(snapshot: State, ids: IdMap) -> list[FieldMapping]:
    """The snapshot's custom-field mappings, re-created fields under their new keys."""
    out = []
    for row in snapshot.get(FIELDS_STREAM, {}).values():
        key, column = str(row["key"]), str(row["column_name"])
        if not (_HASH.fullmatch(key) or column != key):
            continue
        entity = str(row["entity"])
        new_key = ids.get(_FIELD_STREAMS.get(entity, ""), {}).get(key, key)
        out.append(
            FieldMapping(
                entity=entity,
                key=str(new_key),
                name=str(row["name"]),
                field_type=str(row["field_type"]),
                column=column,
                options={},  # option ids are the account's now: push writes by label
            )
        )
    return out


def write_mappings(path: Path, mappings: list[FieldMapping]) -> str:
    """A replica URL push reads the mappings from (rewritten on every call)."""
    path.unlink(missing_ok=True)
    db = sqlite3.connect(path)
    try:
        db.execute(
            "CREATE TABLE _pdsync_fields (entity TEXT, key TEXT, name TEXT, field_type TEXT,"
            ' "column" TEXT, is_custom INTEGER, options TEXT, first_seen TEXT, deleted INTEGER)'
        )
        db.executemany(
            "INSERT INTO _pdsync_fields VALUES (?, ?, ?, ?, ?, 1, ?, '', 0)",
            [
                (m.entity, m.key, m.name, m.field_type, m.column, json.dumps(m.options))
                for m in mappings
            ],
        )
        db.commit()
    finally:
        db.close()
    path.chmod(0o600)
    return f"sqlite:///{path}"
