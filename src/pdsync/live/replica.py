"""The replica's side of the listener: each stream's table and row builder, as sync has them.

:func:`stream_runs` rebuilds what the sync engine prepares for a stream, from the
replica alone (its tables and the custom-field mappings of ``_pdsync_fields``), so a
delivery becomes a row through :meth:`StreamRun.to_rows`, the very normalisation a
sync uses. It runs again after each catch-up, which is when new fields appear.

A delivery does not always carry every column a listing has (Pipedrive's webhook
objects are slimmer, and a typed time value has no ``timezone_name``): only the
columns a record carries are written (:func:`carried_columns`), the others keep
what the last sync stored.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import replace
from typing import Any

from pdsync.catalog.fields import FieldCatalog
from pdsync.catalog.registry import CATALOG
from pdsync.catalog.tables import table_schema
from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT, SYNCED_AT, Column
from pdsync.sync.children import id_literal
from pdsync.sync.context import StreamRun, from_field_records
from pdsync.sync.replication import StreamSelection

_OURS = frozenset({SYNCED_AT, DELETED_AT})
EPOCH = "1970-01-01T00:00:00Z"


def stream_runs(destination: Destination, streams: Iterable[str]) -> dict[str, StreamRun]:
    """stream -> its run (table schema, custom fields, row builder), read from the replica."""
    state = destination.read_state()
    runs: dict[str, StreamRun] = {}
    for name in streams:
        spec = CATALOG[name]
        catalog = None
        if spec.fields_entity:
            mappings = from_field_records(destination.read_fields(spec.fields_entity))
            catalog = FieldCatalog(spec.fields_entity, mappings)
        schema = destination.ensure_table(table_schema(spec, catalog))
        gone = {
            c for m in (catalog.custom() if catalog else ()) if m.deleted for c in m.column_names
        }
        declared = {c.name for c in spec.columns} | {
            c.name for c in (catalog.columns() if catalog else ())
        }
        # Only the columns a row builder fills (not deleted fields', nor parent counters).
        kept = tuple(c for c in schema.columns if c.name in declared - gone or c.name in _OURS)
        runs[name] = StreamRun(
            spec=spec,
            selection=StreamSelection(name, "incremental", name),
            schema=replace(schema, columns=kept),
            state=state.get(name),
            signpost=EPOCH,  # unused: the listener moves no bookmark
            fields=catalog,
        )
    return runs


def _carries(column: Column, record: Mapping[str, Any], v1: bool) -> bool:
    source = column.source or column.name
    if source.startswith("custom_fields."):
        path = source[len("custom_fields.") :].split(" ")[0]
        key, _, subkey = path.partition(".")
        holder = record if v1 else record.get("custom_fields")
        if not isinstance(holder, Mapping) or key not in holder:
            return False
        value = holder[key]
        if v1 and subkey:  # flat v1: <key>_<subkey> beside the key
            return True
        return not (subkey and isinstance(value, Mapping) and subkey not in value)
    top = source.split(".")[0].split("[")[0]
    return top in record


def carried_columns(run: StreamRun, record: Mapping[str, Any]) -> tuple[str, ...]:
    """The columns of ``run``'s table whose value ``record`` carries (primary key always)."""
    v1 = run.spec.version == "v1"
    pk = set(run.spec.primary_key)
    return tuple(
        c.name
        for c in run.schema.columns
        if c.name not in _OURS and (c.name in pk or _carries(c, record, v1))
    )


def current_versions(
    destination: Destination, run: StreamRun, keys: Sequence[Any]
) -> dict[Any, tuple[str | None, str | None]]:
    """key -> (update_time, ``_pdsync_deleted_at``) of the replica's rows among ``keys``."""
    pk = run.spec.primary_key[0]
    cursor = run.spec.cursor or "update_time"
    out: dict[Any, tuple[str | None, str | None]] = {}
    names = set(run.schema.column_names)
    if cursor not in names:
        return out
    for start in range(0, len(keys), 500):
        literals = ", ".join(id_literal(k) for k in keys[start : start + 500])
        sql = (
            f"SELECT {quote(pk)}, {quote(cursor)}, {quote(DELETED_AT)} "
            f"FROM {quote(run.schema.name)} WHERE {quote(pk)} IN ({literals})"
        )
        for key, stamp, deleted in destination.query(sql):
            out[key] = (
                str(stamp) if stamp is not None else None,
                str(deleted) if deleted is not None else None,
            )
    return out
