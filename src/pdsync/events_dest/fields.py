"""Names in, Pipedrive keys out: resolve mapped fields against the account's ``*Fields``.

A mapping target may be a field's name ("Job role") or its key (the 40-char hash,
or a system key such as ``job_title``). Field definitions are fetched once per
entity (v2 ``/personFields`` etc.; leads reuse the deal fields) and fetched again
once when a name is missing, so a field created while the service runs is found.
Enum/set values may be given as option labels; they become option ids.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pdsync.errors import SchemaError

FIELD_ENDPOINTS = {
    "persons": "personFields",
    "organizations": "organizationFields",
    "leads": "dealFields",  # leads have no fields of their own
    "deals": "dealFields",
}
# Field types that name Pipedrive users (owners): never set from events.
USER_FIELD_TYPES = frozenset({"user"})


class ApiClient(Protocol):
    """The slice of :class:`pdsync.api.client.PipedriveClient` the destination uses."""

    def request(
        self,
        method: str,
        path: str,
        *,
        version: Literal["v1", "v2"] = ...,
        params: Mapping[str, Any] | None = ...,
        json: Any = ...,
    ) -> dict[str, Any]: ...


@dataclass(frozen=True)
class FieldRef:
    key: str
    name: str
    field_type: str
    is_custom: bool
    options: dict[str, int | str] = field(default_factory=dict)  # lower-case label -> id

    def convert(self, value: Any) -> Any:
        """A trait's value in the shape Pipedrive expects for this field."""
        if self.field_type == "enum" and value is not None:
            return self._option_id(value)
        if self.field_type == "set" and value is not None:
            items = value if isinstance(value, list) else [value]
            return [self._option_id(item) for item in items]
        return value

    def _option_id(self, value: Any) -> int | str:
        if isinstance(value, int) and value in self.options.values():
            return value
        found = self.options.get(str(value).strip().lower())
        if found is None:
            raise SchemaError(
                f"{value!r} is not an option of the field {self.name!r}.",
                hint=f"Use one of: {', '.join(sorted(self.options)) or '(none)'}.",
            )
        return found


class FieldResolver:
    """Caches field definitions per entity; resolves names or keys to :class:`FieldRef`."""

    def __init__(self, client: ApiClient) -> None:
        self._client = client
        self._by_entity: dict[str, dict[str, FieldRef]] = {}

    def resolve(self, entity: str, name_or_key: str) -> FieldRef | None:
        found = self._lookup(entity, name_or_key)
        if found is None and entity in self._by_entity:
            self._by_entity.pop(entity)  # maybe created since we looked: fetch once more
            found = self._lookup(entity, name_or_key)
        return found

    def require(self, entity: str, name_or_key: str, purpose: str) -> FieldRef:
        found = self.resolve(entity, name_or_key)
        if found is None:
            raise SchemaError(
                f"The {purpose} {name_or_key!r} is not a field of {entity} in this Pipedrive account.",
                hint=f"Create the custom field in Pipedrive (Company settings > Data fields), "
                f"or set {purpose} to an existing field's name or key.",
            )
        return found

    def _lookup(self, entity: str, name_or_key: str) -> FieldRef | None:
        table = self._by_entity.get(entity)
        if table is None:
            table = self._by_entity[entity] = self._fetch(entity)
        return table.get(name_or_key) or table.get(name_or_key.strip().lower())

    def _fetch(self, entity: str) -> dict[str, FieldRef]:
        endpoint = FIELD_ENDPOINTS.get(entity)
        if endpoint is None:
            return {}
        table: dict[str, FieldRef] = {}
        cursor: str | None = None
        while True:
            params: dict[str, Any] = {"limit": 500}
            if cursor:
                params["cursor"] = cursor
            page = self._client.request("GET", endpoint, version="v2", params=params)
            for item in page.get("data") or []:
                ref = _field_ref(item)
                table.setdefault(ref.key, ref)
                table.setdefault(ref.name.strip().lower(), ref)
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return table


def _field_ref(item: Mapping[str, Any]) -> FieldRef:
    options = {
        str(o.get("label", "")).strip().lower(): o["id"]
        for o in item.get("options") or []
        if isinstance(o, Mapping) and "id" in o
    }
    return FieldRef(
        key=str(item["field_code"]),
        name=str(item.get("field_name") or item["field_code"]),
        field_type=str(item.get("field_type") or "varchar"),
        is_custom=bool(item.get("is_custom_field")),
        options=options,
    )
