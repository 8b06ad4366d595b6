"""A stream's destination table: system columns, custom-field columns, pdsync's own."""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pdsync.catalog.fields import FieldCatalog, FieldMapping
from pdsync.catalog.registry import STREAMS
from pdsync.catalog.streams import StreamSpec
from pdsync.schema import DELETED_AT, SYNCED_AT, Column, TableSchema
from pdsync.textrepair import repair_value

PDSYNC_COLUMNS = (
    Column(SYNCED_AT, "timestamp", "pdsync", "When pdsync last wrote this row (UTC)."),
    Column(DELETED_AT, "timestamp", "pdsync", "When pdsync learned of the delete; NULL if alive."),
)


def reserved_columns(entity: str) -> frozenset[str]:
    """System columns of every stream whose custom fields ``entity`` describes.

    Deals, archived deals and leads share the deal fields: a custom column must be
    free in all three tables, so that one mapping serves them all.
    """
    return frozenset(c.name for s in STREAMS if s.fields_entity == entity for c in s.columns)


def field_catalog(
    entity: str,
    field_defs: Iterable[Mapping[str, Any]],
    previous: Iterable[FieldMapping] = (),
    *,
    now: str | None = None,
) -> FieldCatalog:
    """:meth:`FieldCatalog.build` with the entity's reserved system columns.

    Names and option labels that are not valid Unicode (a lone surrogate, NUL) are
    repaired first (:mod:`pdsync.textrepair`): they are stored in ``_pdsync_fields`` and
    written into rows as labels, which no destination could encode.
    """
    defs, _ = repair_value(list(field_defs))
    return FieldCatalog.build(entity, defs, previous, reserved=reserved_columns(entity), now=now)


def table_schema(stream: StreamSpec, fields: FieldCatalog | None = None) -> TableSchema:
    """The table of ``stream``: its system columns, custom columns, then pdsync's columns."""
    custom = fields.columns() if fields is not None and stream.fields_entity else ()
    indexes: tuple[tuple[str, ...], ...] = ()
    parent_key = stream.parent.key_column if stream.parent else None
    if parent_key and stream.primary_key[:1] != (parent_key,):
        indexes = ((parent_key,),)  # parent_replace deletes by it
    return TableSchema(
        name=stream.name,
        columns=stream.columns + custom + PDSYNC_COLUMNS,
        primary_key=stream.primary_key,
        cursor=stream.cursor,
        indexes=indexes,
    )
