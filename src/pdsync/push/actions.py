"""Single actions from the command line: find users, create/update a lead, merge two records.

The same conversion as ``pdsync push`` applies (owner by email, organization by name,
``1200 EUR``, dates), so ``pdsync leads create --title X --org "Acme"`` behaves like a
one-row push.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pdsync.errors import ConfigError, PushError
from pdsync.push.api import PushClient, data_of, get_record
from pdsync.push.convert import ConvertOptions, RowConverter
from pdsync.push.engine import load_fields
from pdsync.push.inputs import InputRow
from pdsync.push.objects import LEADS, get_object
from pdsync.push.payload import api_body, diff
from pdsync.push.relations import RelationLookups
from pdsync.push.values import RowError


def find_users(client: PushClient, term: str) -> list[dict[str, Any]]:
    """Users whose name or email contains ``term`` (``/v1/users/find``)."""
    by_email = 1 if "@" in term else 0
    params = {"term": term, "search_by_email": by_email}
    found = data_of(client.request("GET", "users/find", version="v1", params=params))
    return [user for user in found or [] if isinstance(user, dict)]


def _lead_values(client: PushClient, values: Mapping[str, Any]) -> dict[str, Any]:
    fields = load_fields(client, LEADS)
    converter = RowConverter(LEADS, fields, RelationLookups(client), ConvertOptions())
    try:
        converted = converter.convert(InputRow(1, dict(values)))
    except RowError as exc:
        raise ConfigError(
            f"Cannot write this lead: {exc}.", hint="Fix the value and retry."
        ) from None
    return converted.values


def create_lead(client: PushClient, values: Mapping[str, Any]) -> dict[str, Any]:
    """Create a lead from readable values (title, person, organization, owner, value...)."""
    converted = _lead_values(client, values)
    if "title" not in converted:
        raise ConfigError("A lead needs a title.", hint="Pass --title.")
    if "person_id" not in converted and "organization_id" not in converted:
        raise ConfigError(
            "A lead needs a person or an organization.", hint="Pass --person or --org."
        )
    body = api_body(LEADS, load_fields(client, LEADS), converted)
    created = data_of(client.request("POST", "leads", version="v1", json=body))
    return dict(created or {})


def update_lead(client: PushClient, lead_id: str, values: Mapping[str, Any]) -> dict[str, Any]:
    """Change the given fields of a lead; only fields that differ are sent."""
    current = get_record(client, LEADS, lead_id)
    if current is None:
        raise PushError(f"No lead with id {lead_id}.", hint="Check the id (leads use UUIDs).")
    fields = load_fields(client, LEADS)
    changed, _ = diff(LEADS, fields, _lead_values(client, values), current)
    if not changed:
        return current
    body = api_body(LEADS, fields, changed)
    updated = data_of(client.request("PATCH", f"leads/{lead_id}", version="v1", json=body))
    return dict(updated or {})


def merge_records(
    client: PushClient, object_name: str, duplicate: int, keep: int
) -> dict[str, Any]:
    """Merge ``duplicate`` into ``keep`` (``keep`` survives; its values win on conflict)."""
    spec = get_object(object_name)
    if spec.merge_path is None:
        raise ConfigError(
            f"{spec.name} cannot be merged.", hint="Merge persons, organizations or deals."
        )
    if duplicate == keep:
        raise ConfigError("A record cannot be merged with itself.", hint="Pass two ids.")
    for record_id in (duplicate, keep):
        if get_record(client, spec, record_id) is None:
            raise PushError(f"No {spec.name} with id {record_id}.", hint="Check the ids.")
    path = spec.merge_path.format(id=duplicate)
    merged = data_of(client.request("PUT", path, version="v1", json={"merge_with_id": keep}))
    return dict(merged or {})
