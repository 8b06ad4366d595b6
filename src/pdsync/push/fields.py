"""The fields of one object as push writes them, resolved through the catalog's mapping.

Custom fields (and the account's other fields) come from the catalog's
:class:`~pdsync.catalog.fields.FieldCatalog`, so a column header may be anything
``pdsync discover`` or a replica shows — the frozen column (``lead_source_2``), the
field's name in any case, or its hash key — exactly as sync and events read it. The
object spec adds the system fields with their write shapes and the aliases people
type (``email``, ``organization``, ``owner``).
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field

from pdsync.catalog.fields import FieldCatalog, FieldMapping
from pdsync.catalog.naming import snake_case
from pdsync.errors import SchemaError
from pdsync.push.objects import ObjectSpec

# Field codes that are never written: the API sets them.
READ_ONLY = frozenset(
    {
        "id",
        "update_time",
        "creator_user_id",
        "is_deleted",
        "company_id",
        "next_activity_id",
        "last_activity_id",
        "stage_change_time",
        "weighted_value",
        "origin",
        "origin_id",
    }
)


@dataclass(frozen=True)
class FieldDef:
    code: str  # what the API reads and writes (hash key for custom fields)
    name: str  # as Pipedrive shows it
    field_type: str  # Pipedrive's field_type, or push's write shape for system fields
    is_custom: bool = False
    options: Mapping[int, str] = field(default_factory=dict, compare=False)  # id -> label
    column: str = ""  # the replica / `pdsync discover` column ("" = the code)
    aliases: tuple[str, ...] = field(default=(), compare=False)

    @property
    def replica_column(self) -> str:
        return self.column or self.code

    @classmethod
    def of(cls, mapping: FieldMapping) -> FieldDef:
        return cls(
            mapping.key,
            mapping.name,
            mapping.field_type,
            mapping.is_custom,
            mapping.options,
            mapping.column,
        )


class FieldSet:
    """Every writable field of one object, looked up by system code or alias, then the catalog."""

    def __init__(self, fields: Iterable[FieldDef], catalog: FieldCatalog | None = None) -> None:
        self.fields = list(fields)
        self.catalog = catalog
        self._by_code = {f.code: f for f in self.fields}
        self._system: dict[str, FieldDef] = {}
        for item in self.fields:
            if not item.is_custom:
                for name in (item.code, *item.aliases):
                    self._system.setdefault(name.lower(), item)
        self._resolved: dict[str, FieldDef | None] = {}

    @classmethod
    def for_object(cls, spec: ObjectSpec, catalog: FieldCatalog | None = None) -> FieldSet:
        """System fields of the spec (named as the account names them), then the catalog's.

        The catalog's system fields the spec does not list are writable as they are,
        except the read-only ones; deleted custom fields are left out.
        """
        account = {m.key: m for m in catalog.mappings() if not m.deleted} if catalog else {}
        system = [
            FieldDef(
                f.code,
                account[f.code].name if f.code in account else f.code.replace("_", " "),
                f.field_type,
                options=account[f.code].options if f.code in account else {},
                aliases=f.aliases,
            )
            for f in spec.system_fields
        ]
        known = {f.code for f in system} | {a for f in spec.system_fields for a in f.aliases}
        extra = [
            FieldDef.of(m)
            for m in account.values()
            if (m.is_custom or m.key not in known) and m.key not in READ_ONLY
        ]
        return cls(system + extra, catalog)

    def by_code(self, code: str) -> FieldDef | None:
        return self._by_code.get(code)

    def resolve(self, name: str) -> FieldDef | None:
        """The field a column names, or None; LookupError when two fields share the name."""
        key = name.strip()
        if key not in self._resolved:
            self._resolved[key] = self._resolve(key)
        return self._resolved[key]

    def _resolve(self, key: str) -> FieldDef | None:
        found = self._system.get(key.lower())
        if found is not None or self.catalog is None:
            return found
        try:
            mapping = self.catalog.resolve(key)
        except SchemaError as exc:
            raise LookupError(f"column {key!r}: {exc.message} {exc.hint}") from None
        if mapping is None or mapping.deleted:
            return None
        return self._by_code.get(mapping.key)

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Column names close to ``name``, to put in an 'unknown column' hint."""
        columns = sorted({f.replica_column for f in self.fields})
        return difflib.get_close_matches(snake_case(name), columns, n=limit, cutoff=0.6)
