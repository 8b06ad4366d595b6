"""Which columns of which stream point at which records, and how ids are mapped.

A restored record gets a new id, so every row that named the old one must name the
new one: system references (``person_id``, ``org_id``, ``deal_id``, ``lead_id``,
``product_id``, a follower's parent), custom fields of type person, organization and
deal (their column is the field's name plus ``_id``), participants. Users are never
re-created (an admin invites them): their references change only when restoring into
another account, where users are matched by email.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pdsync.backup.state import State
from pdsync.catalog.naming import snake_case

# stream -> {column: stream it points at}
SYSTEM_REFERENCES: dict[str, dict[str, str]] = {
    "persons": {"org_id": "organizations"},
    "deals": {"person_id": "persons", "org_id": "organizations"},
    "leads": {"person_id": "persons", "organization_id": "organizations"},
    "activities": {
        "deal_id": "deals",
        "lead_id": "leads",
        "person_id": "persons",
        "org_id": "organizations",
    },
    "notes": {
        "deal_id": "deals",
        "lead_id": "leads",
        "person_id": "persons",
        "org_id": "organizations",
    },
    "deal_products": {"deal_id": "deals", "product_id": "products"},
    "deal_participants": {"deal_id": "deals", "person_id": "persons"},
    "deal_followers": {"deal_id": "deals"},
    "person_followers": {"person_id": "persons"},
    "organization_followers": {"organization_id": "organizations"},
    "product_followers": {"product_id": "products"},
}

FIELD_STREAMS = {
    "deals": "deal_fields",
    "leads": "deal_fields",  # leads carry the deals' custom fields
    "persons": "person_fields",
    "organizations": "organization_fields",
    "products": "product_fields",
}
# Users are mapped only into another account (by email, see migrate.py).
_CUSTOM_TARGETS = {"org": "organizations", "people": "persons", "deal": "deals", "user": "users"}

IdMap = dict[str, dict[Any, Any]]  # stream -> old id -> new id


def references(stream: str, state: State) -> dict[str, str]:
    """Reference columns of ``stream``: the system ones and its custom reference fields."""
    found = dict(SYSTEM_REFERENCES.get(stream, {}))
    fields_stream = FIELD_STREAMS.get(stream)
    for field in state.get(fields_stream or "", {}).values():
        target = _CUSTOM_TARGETS.get(str(field.get("field_type")))
        if target and field.get("is_custom_field"):
            found[snake_case(str(field.get("field_name", ""))) + "_id"] = target
    return found


def rewire(row: Mapping[str, Any], refs: Mapping[str, str], ids: IdMap) -> dict[str, Any]:
    """The row with every reference to a re-created record pointing at its new id."""
    out = dict(row)
    participants = out.get("participants")  # activities: [{person_id, primary}]
    persons = ids.get("persons", {})
    if isinstance(participants, list) and persons:
        out["participants"] = [
            {**p, "person_id": persons[p["person_id"]]}
            if isinstance(p, dict) and p.get("person_id") in persons
            else p
            for p in participants
        ]
    for column, target in refs.items():
        value = out.get(column)
        mapped = ids.get(target, {})
        if value is not None and value in mapped:
            out[column] = mapped[value]
    return out
