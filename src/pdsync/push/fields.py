"""Fields of one object by any name a user may write: code, readable name, snake_case column.

The account's v2 ``*Fields`` endpoint gives every custom field (``field_code`` = 40-char
hash, ``field_name``, ``field_type``, ``options``); the object spec adds the system fields
with their write shapes. :class:`FieldSet` resolves an input column to one
:class:`FieldDef` the way ``pdsync discover`` names columns: the hash key, the name as
Pipedrive shows it, or its snake_case form.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pdsync.push.objects import ObjectSpec

_HASH = re.compile(r"^[0-9a-f]{40}$")

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


def snake_case(name: str) -> str:
    """``"Annual revenue (€)"`` → ``"annual_revenue"``: the readable column name."""
    text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    text = re.sub(r"[^0-9A-Za-z]+", "_", text).strip("_").lower()
    return text or "field"


@dataclass(frozen=True)
class FieldDef:
    code: str  # what the API reads and writes (hash key for custom fields)
    name: str  # as Pipedrive shows it
    field_type: str
    is_custom: bool = False
    options: tuple[tuple[int | str, str], ...] = ()  # (id, label)
    aliases: tuple[str, ...] = field(default=(), compare=False)

    @property
    def column(self) -> str:
        """The replica column (frozen by the catalog when known)."""
        if self.is_custom:
            return self.aliases[0] if self.aliases else snake_case(self.name)
        return self.code

    def option_labels(self) -> list[str]:
        return [label for _, label in self.options]


class FieldSet:
    """Every writable field of one object, looked up by code, column, alias or name.

    Codes, replica column names and aliases are exact and unique; readable names (any
    case, or snake_case) may be shared by two fields, and then only the code or the
    column tells them apart.
    """

    def __init__(self, fields: Iterable[FieldDef]) -> None:
        self.fields: list[FieldDef] = []
        self._exact: dict[str, FieldDef] = {}
        self._named: dict[str, list[FieldDef]] = {}  # name exactly as Pipedrive shows it
        self._loose: dict[str, list[FieldDef]] = {}
        for item in fields:
            self._add(item)

    @classmethod
    def for_object(
        cls,
        spec: ObjectSpec,
        field_defs: Iterable[Mapping[str, Any]],
        columns: Mapping[str, tuple[str, ...]] | None = None,
    ) -> FieldSet:
        """System fields of the spec, then the account's fields.

        ``columns`` maps a custom field's code to its replica column names (as
        ``pdsync discover`` shows them), which are accepted as column headers too.
        """
        system = [
            FieldDef(f.code, f.code.replace("_", " "), f.field_type, aliases=f.aliases)
            for f in spec.system_fields
        ]
        # Codes the spec covers, and v1 spellings of them (user_id for owner_id...).
        known = {f.code for f in system} | {a for f in spec.system_fields for a in f.aliases}
        account = [parse_field_def(d, columns or {}) for d in field_defs]
        extra = [f for f in account if f.is_custom or f.code not in known]
        # Account metadata names system fields and adds their options (e.g. label_ids).
        by_code = {f.code: f for f in account}
        system = [
            FieldDef(
                f.code,
                by_code[f.code].name if f.code in by_code else f.name,
                f.field_type,
                False,
                by_code[f.code].options if f.code in by_code else (),
                f.aliases,
            )
            for f in system
        ]
        return cls(system + [f for f in extra if f.code not in READ_ONLY])

    def _add(self, item: FieldDef) -> None:
        self.fields.append(item)
        for name in (item.code, *item.aliases):
            self._exact.setdefault(name, item)
            self._exact.setdefault(name.lower(), item)
        self._named.setdefault(item.name, []).append(item)
        for name in {item.name.lower(), snake_case(item.name)}:
            entries = self._loose.setdefault(name, [])
            if item not in entries:
                entries.append(item)

    def resolve(self, name: str) -> FieldDef | None:
        """The field a column names, or None. Raises LookupError if two fields share the name."""
        key = name.strip()
        found = self._exact.get(key) or self._exact.get(key.lower())
        if found is not None:
            return found
        named = self._named.get(key, [])
        if len(named) == 1:
            return named[0]
        for candidate in (key.lower(), snake_case(key)):
            entries = self._loose.get(candidate, [])
            if len(entries) > 1:
                codes = ", ".join(f.column for f in entries)
                raise LookupError(
                    f"column {name!r} matches several fields ({codes}); use one of those names"
                )
            if entries:
                return entries[0]
        return None

    def suggest(self, name: str, limit: int = 3) -> list[str]:
        """Readable names close to ``name``, to put in an 'unknown column' hint."""
        import difflib

        columns = sorted({f.column for f in self.fields})
        return difflib.get_close_matches(snake_case(name), columns, n=limit, cutoff=0.6)


def parse_field_def(
    raw: Mapping[str, Any], columns: Mapping[str, tuple[str, ...]] | None = None
) -> FieldDef:
    """A v2 field object (``field_code``...) or a v1 one (``key``...) as a FieldDef."""
    code = str(raw.get("field_code") or raw.get("key") or "")
    name = str(raw.get("field_name") or raw.get("name") or code)
    custom = raw.get("is_custom_field")
    if custom is None:
        custom = raw.get("edit_flag", bool(_HASH.match(code)))
    options = tuple(
        (opt["id"], str(opt.get("label", "")))
        for opt in raw.get("options") or ()
        if isinstance(opt, Mapping) and "id" in opt
    )
    aliases = tuple((columns or {}).get(code, ()))
    field_type = str(raw.get("field_type", "varchar"))
    return FieldDef(code, name, field_type, bool(custom), options, aliases)
