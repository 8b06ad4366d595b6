"""Custom fields as readable, typed columns (DESIGN decision 2).

A :class:`FieldCatalog` holds the :class:`FieldMapping` of every field of one entity
(deal, person, organization, product). It is rebuilt on every sync from the
``*Fields`` endpoint *and* the mappings stored by the previous sync, so that:

- a custom field's column is named after its name at first sight and frozen there
  (a rename in Pipedrive keeps the column, so downstream SQL never breaks);
- a field deleted in Pipedrive keeps its mapping (``deleted=True``), column and data;
- a new field gets a new column, with a deterministic ``_2`` suffix on collision.

The same catalog turns a v2 ``custom_fields`` object into column values and, for
push and events, readable names and labels back into hash keys and option ids.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from pdsync.catalog.columns import cols
from pdsync.catalog.fieldtypes import Layout, is_known_type, layout_for
from pdsync.catalog.fieldvalues import Reader, compile_reader, gather_v1, write_value
from pdsync.catalog.naming import allocate, snake_case
from pdsync.errors import SchemaError
from pdsync.schema import DELETED_AT, SYNCED_AT, Column, TableSchema

FIELDS_TABLE = TableSchema(
    "_pdsync_fields",
    cols(
        "entity key name field_type column is_custom:bool options:json first_seen:ts deleted:bool"
    ),
    primary_key=("entity", "key"),
)


@dataclass(frozen=True)
class FieldMapping:
    """One field of one entity and the column(s) it is stored in."""

    entity: str  # "deal", "person", "organization", "product"
    key: str  # Pipedrive's field code: a 40-char hash for custom fields
    name: str  # Pipedrive's current name (may differ from the frozen column)
    field_type: str  # Pipedrive's field_type: "varchar", "enum", "monetary", …
    column: str  # the frozen base column
    options: dict[int, str] = field(default_factory=dict, hash=False)  # enum/set id -> label
    first_seen: str = ""  # UTC timestamp of the sync that first saw the field
    deleted: bool = False  # gone from Pipedrive; column and data kept
    is_custom: bool = True

    @property
    def layout(self) -> Layout:
        return layout_for(self.field_type)

    @property
    def column_names(self) -> tuple[str, ...]:
        """Every destination column this field fills (base plus its suffixes)."""
        if not self.is_custom:
            return (self.column,)
        return tuple(self.column + suffix for suffix in self.layout.suffixes)

    def to_row(self) -> dict[str, Any]:
        """This mapping as a row of the ``_pdsync_fields`` table."""
        return {
            "entity": self.entity,
            "key": self.key,
            "name": self.name,
            "field_type": self.field_type,
            "column": self.column,
            "is_custom": self.is_custom,
            "options": {str(k): v for k, v in self.options.items()},
            "first_seen": self.first_seen,
            "deleted": self.deleted,
        }

    @classmethod
    def from_row(cls, row: Mapping[str, Any]) -> FieldMapping:
        """Read a ``_pdsync_fields`` row back (options may come as JSON text)."""
        options = row.get("options") or {}
        if isinstance(options, str):
            options = json.loads(options)
        return cls(
            entity=str(row["entity"]),
            key=str(row["key"]),
            name=str(row["name"]),
            field_type=str(row["field_type"]),
            column=str(row["column"]),
            options={int(k): str(v) for k, v in options.items()},
            first_seen=str(row.get("first_seen") or ""),
            deleted=bool(row.get("deleted")),
            is_custom=bool(row.get("is_custom", True)),
        )


@dataclass(frozen=True)
class _FieldDef:
    key: str
    name: str
    field_type: str
    options: dict[int, str]
    is_custom: bool


def _parse_def(raw: Mapping[str, Any]) -> _FieldDef | None:
    """A v2 field object (or a v1 one: ``key``/``name``/``edit_flag``); None for subfields."""
    if raw.get("is_subfield"):
        return None
    key = raw.get("field_code") or raw.get("key")
    if not key:
        raise SchemaError(
            "A field definition has no field_code.",
            hint="The *Fields endpoint answered an unexpected shape; please report it.",
        )
    is_custom = raw.get("is_custom_field", raw.get("edit_flag", False))
    options = {
        int(o["id"]): str(o.get("label", ""))
        for o in raw.get("options") or ()
        if isinstance(o, Mapping) and str(o.get("id", "")).lstrip("-").isdigit()
    }
    return _FieldDef(
        key=str(key),
        name=str(raw.get("field_name") or raw.get("name") or key),
        field_type=str(raw.get("field_type") or "varchar"),
        options=options,
        is_custom=bool(is_custom),
    )


def _now() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


class FieldCatalog:
    """Every field mapping of one entity, and the compiled converters they imply."""

    def __init__(self, entity: str, mappings: Iterable[FieldMapping]) -> None:
        self.entity = entity
        self._mappings = tuple(mappings)
        self._by_key = {m.key: m for m in self._mappings}
        self._by_column = {c: m for m in self._mappings if m.is_custom for c in m.column_names}
        live_custom = [m for m in self._mappings if m.is_custom and not m.deleted]
        self._readers: tuple[tuple[str, Reader], ...] = tuple(
            (m.key, compile_reader(m.layout, m.column, m.options)) for m in live_custom
        )
        self._v1_layouts = tuple((m.key, m.layout) for m in live_custom)

    @classmethod
    def build(
        cls,
        entity: str,
        field_defs_v2: Iterable[Mapping[str, Any]],
        previous: Iterable[FieldMapping] = (),
        *,
        reserved: Iterable[str] = (),
        now: str | None = None,
    ) -> FieldCatalog:
        """Merge the API's field definitions with the mappings of the previous sync.

        ``reserved`` are column names custom fields must not take (the system columns
        of every table using this entity; see :func:`pdsync.catalog.tables.field_catalog`).
        """
        seen_at = now or _now()
        defs = [d for d in map(_parse_def, field_defs_v2) if d is not None]
        prior = {m.key: m for m in previous}
        taken = set(reserved) | {SYNCED_AT, DELETED_AT, "custom_fields"}
        taken |= {d.key for d in defs if not d.is_custom}
        taken |= {c for m in prior.values() if m.is_custom for c in m.column_names}
        result: list[FieldMapping] = []
        for d in defs:
            old = prior.pop(d.key, None)
            if old is not None:
                merged = {**old.options, **d.options}  # removed options keep their labels
                result.append(
                    replace(
                        old, name=d.name, field_type=d.field_type, options=merged, deleted=False
                    )
                )
            elif not d.is_custom:
                result.append(
                    FieldMapping(
                        entity,
                        d.key,
                        d.name,
                        d.field_type,
                        d.key,
                        d.options,
                        seen_at,
                        is_custom=False,
                    )
                )
            else:
                suffixes = layout_for(d.field_type).suffixes
                column = allocate(d.name, suffixes, taken)
                taken.update(column + s for s in suffixes)
                result.append(
                    FieldMapping(entity, d.key, d.name, d.field_type, column, d.options, seen_at)
                )
        result.extend(replace(m, deleted=True) for m in prior.values())
        return cls(entity, result)

    def mappings(self) -> tuple[FieldMapping, ...]:
        """Rows for the ``_pdsync_fields`` table (deleted fields included)."""
        return self._mappings

    def custom(self) -> tuple[FieldMapping, ...]:
        return tuple(m for m in self._mappings if m.is_custom)

    def unknown_types(self) -> tuple[str, ...]:
        """Field types pdsync does not know (stored as JSON): worth a warning."""
        return tuple(
            sorted({m.field_type for m in self.custom() if not is_known_type(m.field_type)})
        )

    def columns(self) -> tuple[Column, ...]:
        """The custom-field columns of the table, deleted fields' columns included."""
        out: list[Column] = []
        for m in self.custom():
            note = f"{m.name} ({m.field_type}{', deleted in Pipedrive' if m.deleted else ''})"
            for part in m.layout.parts:
                source = f"custom_fields.{m.key}"
                if part.subkey:
                    source += f".{part.subkey}"
                elif part.role != "value":
                    source += f" ({part.role.replace('_', ' ')})"
                out.append(Column(m.column + part.suffix, part.type, source, note))
        return tuple(out)

    def to_row_values(self, custom_fields: Mapping[str, Any] | None) -> dict[str, Any]:
        """Column values of a v2 ``custom_fields`` object (deleted fields left out)."""
        row: dict[str, Any] = {}
        values = custom_fields or {}
        for key, read in self._readers:
            read(values.get(key), row)
        return row

    def to_row_values_v1(self, record: Mapping[str, Any]) -> dict[str, Any]:
        """Column values of a v1 record, whose custom fields sit flat on its root."""
        gathered = {key: gather_v1(layout, key, record) for key, layout in self._v1_layouts}
        return self.to_row_values(gathered)

    def resolve(self, name_or_key: str) -> FieldMapping | None:
        """The mapping of a hash key, a column, or a field name.

        Names match exactly, then in any case, then by their snake_case form (so
        ``Lead-Source`` finds "Lead source"). This is the one resolver of sync, push
        and events: every tool accepts what ``pdsync discover`` shows.
        """
        found = self._by_key.get(name_or_key) or self._by_column.get(name_or_key)
        if found is not None:
            return found
        folded = name_or_key.casefold()
        live = [m for m in self._mappings if not m.deleted]
        exact = [m for m in live if m.name == name_or_key]
        loose = exact or [m for m in live if m.name.casefold() == folded]
        snake = snake_case(name_or_key)
        if not loose and snake:
            loose = [m for m in live if snake_case(m.name) == snake]
        for named in (exact, loose):
            if len(named) > 1:
                raise SchemaError(
                    f"{len(named)} {self.entity} fields are named {name_or_key!r}.",
                    hint="Use the column name or the field key instead "
                    f"({', '.join(m.column for m in named)}).",
                )
            if named:
                return named[0]
        return None

    def from_names(self, values: Mapping[str, Any]) -> dict[str, Any]:
        """Readable names/columns and labels → API keys and option ids (v2 shapes)."""
        grouped: dict[str, dict[str, Any]] = {}
        out: dict[str, Any] = {}
        for name, value in values.items():
            mapping = self._require(name)
            if not mapping.is_custom:
                out[mapping.key] = value
                continue
            column = name if name in mapping.column_names else mapping.column_names[0]
            grouped.setdefault(mapping.key, {})[column] = value
        for key, columns in grouped.items():
            m = self._by_key[key]
            out[key] = write_value(m.layout, m.column, m.options, columns)
        return out

    def _require(self, name: str) -> FieldMapping:
        mapping = self.resolve(name)
        if mapping is None:
            raise SchemaError(
                f"No {self.entity} field is called {name!r}.",
                hint="Run `pdsync discover` to see every field with its name, column and key.",
            )
        if mapping.deleted:
            raise SchemaError(
                f"The {self.entity} field {name!r} was deleted in Pipedrive.",
                hint="Its column is kept with its data, but it cannot be written any more.",
            )
        return mapping
