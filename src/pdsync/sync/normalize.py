"""One API record → one row of its stream's table.

The row has exactly the table's system and custom columns (see
:func:`pdsync.catalog.tables.table_schema`), each coerced to its logical type:
timestamps UTC ``YYYY-MM-DDTHH:MM:SSZ``, booleans real bools, v1 nested references
(``{"id": 3, "name": …}``) their id, arrays and objects kept as JSON-able values,
``primary_email``/``primary_phone`` picked from the arrays. Keys the catalog does not
declare are left out, so a new key in Pipedrive's answers never changes a table.
``_pdsync_synced_at``/``_pdsync_deleted_at`` are the engine's to fill.

The work per stream (getters, coercers, custom-field readers) is compiled once; a
:class:`Normalizer` then does only dict lookups and cheap type checks per record.
"""

from __future__ import annotations

import functools
from collections.abc import Callable, Mapping
from typing import Any

from pdsync.catalog.coerce import COERCERS, Coercer
from pdsync.catalog.columns import PARENT_SOURCE
from pdsync.catalog.fields import FieldCatalog
from pdsync.catalog.streams import StreamSpec
from pdsync.errors import SchemaError

Getter = Callable[[Mapping[str, Any], Any], Any]


def _primary_item(items: Any) -> Any:
    """The ``value`` of the item flagged primary (else the first) of emails/phones."""
    if not items:
        return None
    if isinstance(items, str):
        return items
    if not isinstance(items, list):
        return None
    chosen = next((i for i in items if isinstance(i, Mapping) and i.get("primary")), items[0])
    return chosen.get("value") if isinstance(chosen, Mapping) else chosen


def _getter(source: str) -> Getter:
    if source == PARENT_SOURCE:
        return lambda record, parent_id: parent_id
    if source.endswith("[primary]"):
        key = source[: -len("[primary]")]
        return lambda record, parent_id: _primary_item(record.get(key))
    outer, dot, inner = source.partition(".")
    if not dot:
        return lambda record, parent_id: record.get(source)

    def nested(record: Mapping[str, Any], parent_id: Any) -> Any:
        value = record.get(outer)
        return value.get(inner) if isinstance(value, Mapping) else None

    return nested


class Normalizer:
    """Compiled row builder of one stream (and its custom fields)."""

    def __init__(self, stream: StreamSpec, fields: FieldCatalog | None = None) -> None:
        self.stream = stream
        self.fields = fields if stream.fields_entity else None
        plain = [c for c in stream.columns if c.source == c.name]
        self._raw = tuple(c.name for c in plain if c.type == "json")
        self._plain: tuple[tuple[str, Coercer], ...] = tuple(
            (c.name, COERCERS[c.type]) for c in plain if c.type != "json"
        )
        self._special: tuple[tuple[str, Getter, Coercer], ...] = tuple(
            (c.name, _getter(c.source), COERCERS[c.type])
            for c in stream.columns
            if c.source != c.name
        )
        self._v1 = stream.version == "v1"

    def __call__(self, record: Mapping[str, Any], parent_id: Any = None) -> dict[str, Any]:
        if not isinstance(record, Mapping):
            raise SchemaError(
                f"{self.stream.name}: expected a record object, got {type(record).__name__}.",
                hint="Pipedrive answered an unexpected shape; please report it.",
            )
        try:
            row = self._build(record, parent_id)
        except SchemaError as exc:
            raise self._locate(exc, record, parent_id) from None
        for key in self.stream.primary_key:
            if row.get(key) is None:
                raise SchemaError(
                    f"{self.stream.name}: a record has no {key!r} (primary key).",
                    hint="Pipedrive answered an unexpected shape; please report it.",
                )
        return row

    def _build(self, record: Mapping[str, Any], parent_id: Any) -> dict[str, Any]:
        get = record.get
        row = {name: coerce(get(name)) for name, coerce in self._plain}
        for name in self._raw:
            row[name] = get(name)
        for name, getter, coerce in self._special:
            row[name] = coerce(getter(record, parent_id))
        fields = self.fields
        if fields is not None:
            if self._v1:
                row.update(fields.to_row_values_v1(record))
            else:
                row.update(fields.to_row_values(get("custom_fields")))
        return row

    def _locate(self, exc: SchemaError, record: Mapping[str, Any], parent_id: Any) -> SchemaError:
        """Redo the row column by column to name the column that failed."""
        where = "a custom field"
        for column in self.stream.columns:
            try:
                COERCERS[column.type](_getter(column.source)(record, parent_id))
            except SchemaError:
                where = f"column {column.name!r}"
                break
        return SchemaError(
            f"{self.stream.name} record {record.get('id')!r}, {where}: {exc.message}",
            hint=exc.hint,
        )


@functools.lru_cache(maxsize=128)
def normalizer_for(stream: StreamSpec, fields: FieldCatalog | None = None) -> Normalizer:
    return Normalizer(stream, fields)


def normalize(
    stream: StreamSpec,
    record: Mapping[str, Any],
    fields: FieldCatalog | None = None,
    *,
    parent_id: Any = None,
) -> dict[str, Any]:
    """The row of ``record`` (use :class:`Normalizer` directly in loops)."""
    return normalizer_for(stream, fields)(record, parent_id)
