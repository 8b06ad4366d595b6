"""Names in, Pipedrive keys out: mapped fields resolved through the catalog's mapping.

A mapping target may be anything ``pdsync discover`` shows for a field — its column
(``job_role``), its name ("Job role", any case) or its key (the 40-char hash, or a
system key such as ``job_title``) — resolved by the same
:class:`~pdsync.catalog.fields.FieldCatalog` that sync and push use. The catalog of an
entity is loaded once (leads reuse the deal fields) and once more when a name is
missing, so a field created while the service runs is found. Enum/set values may be
given as option labels; they become option ids.
"""

from __future__ import annotations

from typing import Any

from pdsync.catalog.fields import FieldCatalog, FieldMapping
from pdsync.catalog.fieldvalues import option_id, option_ids
from pdsync.errors import SchemaError
from pdsync.fieldmap import RequestClient, load_catalog

ApiClient = RequestClient

# The events config's sections → the catalog entity whose fields they write.
FIELDS_ENTITY = {
    "persons": "person",
    "organizations": "organization",
    "leads": "deal",  # leads have no fields of their own
    "deals": "deal",
    "activities": "activity",
    "notes": "note",
}
# Field types that name Pipedrive users (owners): never set from events.
USER_FIELD_TYPES = frozenset({"user"})


def api_value(catalog: FieldCatalog, field: FieldMapping, value: Any) -> Any:
    """A trait's value in the shape Pipedrive expects for this field (labels → option ids)."""
    if value is None:
        return None
    if field.field_type == "enum":
        return option_id(field.options, value, field.name)
    if field.field_type == "set":
        return option_ids(field.options, value, field.name)
    if field.is_custom:  # monetary, ranges, address… take the catalog's v2 shape
        return catalog.from_names({field.key: value})[field.key]
    return value


class FieldResolver:
    """Caches one :class:`FieldCatalog` per entity; resolves names or keys to mappings."""

    def __init__(self, client: RequestClient) -> None:
        self._client = client
        self._catalogs: dict[str, FieldCatalog] = {}

    def catalog(self, entity: str) -> FieldCatalog:
        fields_entity = FIELDS_ENTITY.get(entity, entity)
        if fields_entity not in self._catalogs:
            self._catalogs[fields_entity] = load_catalog(self._client, fields_entity)
        return self._catalogs[fields_entity]

    def resolve(self, entity: str, name_or_key: str) -> FieldMapping | None:
        found = self._lookup(entity, name_or_key)
        if found is None:
            self._catalogs.pop(FIELDS_ENTITY.get(entity, entity), None)  # maybe created since
            found = self._lookup(entity, name_or_key)
        return found

    def require(self, entity: str, name_or_key: str, purpose: str) -> FieldMapping:
        found = self.resolve(entity, name_or_key)
        if found is None:
            raise SchemaError(
                f"The {purpose} {name_or_key!r} is not a field of {entity} in this Pipedrive account.",
                hint="Create the custom field in Pipedrive (Company settings > Data fields), "
                f"or set {purpose} to an existing field's column, name or key "
                "(`pdsync discover` lists them).",
            )
        return found

    def convert(self, entity: str, field: FieldMapping, value: Any) -> Any:
        return api_value(self.catalog(entity), field, value)

    def _lookup(self, entity: str, name_or_key: str) -> FieldMapping | None:
        found = self.catalog(entity).resolve(name_or_key.strip())
        return None if found is None or found.deleted else found
