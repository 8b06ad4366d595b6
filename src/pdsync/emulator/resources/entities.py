"""What differs between the v2 core entities: writable fields, required fields, filters, sorts, defaults."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from pdsync.emulator.resources.input_types import FieldKinds, one_of

Record = dict[str, Any]


@dataclass(frozen=True)
class EntitySpec:
    entity: str
    path: str  # plural path segment: "deals"
    label: str  # for messages: "Deal"
    types: FieldKinds
    required: tuple[str, ...] = ()
    filters: tuple[str, ...] = ()  # integer equality filters
    sorts: tuple[str, ...] = ("id", "update_time", "add_time")
    time_filters: bool = True
    updated_until: bool = True
    defaults: dict[str, Any] = field(default_factory=dict)


# Kinds: see input_types (times of any API format are stored as epoch floats).
_COMMON: FieldKinds = {
    "owner_id": "int",
    "visible_to": "visible_to",
    "label_ids": "ids",
    "custom_fields": "obj",
}

DEAL = EntitySpec(
    "deal", "deals", "Deal",
    {**_COMMON, "title": "str", "value": "num", "currency": "str", "person_id": "int",
     "org_id": "int", "pipeline_id": "int", "stage_id": "int", "status": "str",
     "probability": "num", "lost_reason": "str", "expected_close_date": "date",
     "close_time": "time", "won_time": "time", "lost_time": "time", "is_archived": "bool",
     "origin_id": "str", "channel": "int", "channel_id": "str", "add_time": "time"},
    required=("title",),
    filters=("owner_id", "person_id", "org_id", "pipeline_id", "stage_id"),
    defaults={"value": 0, "currency": "EUR", "status": "open", "visible_to": 3, "label_ids": [],
              "probability": None, "lost_reason": None, "is_archived": False, "archive_time": None,
              "is_deleted": False, "close_time": None, "won_time": None, "lost_time": None,
              "expected_close_date": None, "origin": "API", "origin_id": None, "channel": None,
              "channel_id": None, "acv": None, "arr": None, "mrr": None, "person_id": None, "org_id": None},
)  # fmt: skip
PERSON = EntitySpec(
    "person", "persons", "Person",
    {**_COMMON, "name": "str", "first_name": "str", "last_name": "str", "org_id": "int",
     "emails": "contacts", "phones": "contacts", "add_time": "time",
     "marketing_status": one_of("no_consent", "unsubscribed", "subscribed", "archived")},
    required=("name",),
    filters=("owner_id", "org_id"),
    defaults={"emails": [], "phones": [], "visible_to": 3, "label_ids": [], "is_deleted": False,
              "org_id": None, "picture_id": None, "first_name": None, "last_name": None},
)  # fmt: skip
ORGANIZATION = EntitySpec(
    "organization", "organizations", "Organization",
    {**_COMMON, "name": "str", "address": "address", "add_time": "time", "website": "str",
     "linkedin": "str", "industry": "int", "annual_revenue": "int", "employee_count": "int"},
    required=("name",),
    filters=("owner_id",),
    defaults={"visible_to": 3, "label_ids": [], "is_deleted": False, "address": None,
              "website": None, "linkedin": None, "industry": None, "annual_revenue": None,
              "employee_count": None},
)  # fmt: skip
ACTIVITY = EntitySpec(
    "activity", "activities", "Activity",
    {"owner_id": "int", "subject": "str", "type": "str", "deal_id": "int", "lead_id": "str",
     "org_id": "int", "project_id": "int", "due_date": "date", "due_time": "str",
     "duration": "str", "busy": "bool", "done": "bool", "location": "address",
     "participants": "participants", "attendees": "attendees", "public_description": "str",
     "priority": "int", "note": "str"},
    filters=("owner_id", "deal_id", "person_id", "org_id"),
    sorts=("id", "update_time", "add_time", "due_date"),
    defaults={"subject": "Call", "type": "call", "is_deleted": False, "deal_id": None,
              "lead_id": None, "person_id": None, "org_id": None, "project_id": None,
              "due_date": None, "due_time": None, "duration": None, "busy": False, "done": False,
              "marked_as_done_time": None, "location": None, "participants": [],
              "public_description": "", "priority": None, "note": None},
)  # fmt: skip
PRODUCT = EntitySpec(
    "product", "products", "Product",
    {**_COMMON, "name": "str", "code": "str", "description": "str", "unit": "str", "tax": "num",
     "category": "category", "is_linkable": "bool", "prices": "prices", "billing_frequency": "billing_frequency",
     "billing_frequency_cycles": "int"},
    required=("name",),
    filters=("owner_id",),
    sorts=("id", "name", "add_time", "update_time"),
    updated_until=False,
    defaults={"code": None, "description": None, "unit": None, "tax": 0, "category": None,
              "is_linkable": True, "is_deleted": False, "visible_to": 3, "prices": [],
              "billing_frequency": "one-time", "billing_frequency_cycles": None},
)  # fmt: skip
PIPELINE = EntitySpec(
    "pipeline",
    "pipelines",
    "Pipeline",
    {"name": "str", "is_deal_probability_enabled": "bool"},
    required=("name",),
    time_filters=False,
    defaults={"is_deleted": False, "is_deal_probability_enabled": False, "is_selected": False},
)
STAGE = EntitySpec(
    "stage", "stages", "Stage",
    {"name": "str", "pipeline_id": "int", "deal_probability": "int",
     "is_deal_rot_enabled": "bool", "days_to_rotten": "int"},
    required=("name", "pipeline_id"),
    filters=("pipeline_id",),
    sorts=("id", "update_time", "order_nr"),
    time_filters=False,
    defaults={"is_deleted": False, "deal_probability": 100, "is_deal_rot_enabled": False,
              "days_to_rotten": None},
)  # fmt: skip

V2_ENTITIES = (DEAL, PERSON, ORGANIZATION, ACTIVITY, PRODUCT, PIPELINE, STAGE)
BY_PATH = {spec.path: spec for spec in V2_ENTITIES}
