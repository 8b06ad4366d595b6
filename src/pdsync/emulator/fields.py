"""Field definitions of an emulated account: system fields and generated custom fields.

A field is kept once (:class:`FieldDef`) and rendered in the v2 shape
(``field_code``/``field_name``/``options``/``subfields``) or the v1 shape (numeric
``id``, ``key``, flags, subfield rows). Custom fields cover every type Pipedrive lets
users create, with realistic option sets and a few awkward names (quotes, dots, emoji,
a pair that collides after normalisation) so downstream code meets them early.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Any

from pdsync.emulator.dataset import REFERENCE_TIME, START_TIME

CREATABLE_TYPES = (
    "varchar",
    "varchar_auto",
    "text",
    "double",
    "monetary",
    "date",
    "daterange",
    "time",
    "timerange",
    "set",
    "enum",
    "user",
    "org",
    "people",
    "phone",
    "address",
)
CUSTOM_FIELD_ENTITIES = ("deal", "person", "organization", "product")
FIELD_ENTITIES = (*CUSTOM_FIELD_ENTITIES, "activity")

ADDRESS_PARTS = (
    "subpremise",
    "street_number",
    "route",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
)
SUBFIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "monetary": (("currency", "Currency", "varchar"),),
    "daterange": (("until", "End date", "date"),),
    "timerange": (("until", "End time", "time"),),
    "address": tuple((p, p.replace("_", " ").capitalize(), "varchar") for p in ADDRESS_PARTS),
}

# System fields per entity: (key, name, type). Custom fields follow them.
_SYSTEM: dict[str, tuple[tuple[str, str, str], ...]] = {
    "deal": (
        ("id", "ID", "int"),
        ("title", "Title", "varchar"),
        ("creator_user_id", "Creator", "user"),
        ("owner_id", "Owner", "user"),
        ("value", "Value", "monetary"),
        ("person_id", "Contact person", "people"),
        ("org_id", "Organization", "org"),
        ("stage_id", "Stage", "stage"),
        ("pipeline_id", "Pipeline", "double"),
        ("status", "Status", "status"),
        ("probability", "Probability", "double"),
        ("lost_reason", "Lost reason", "varchar_options"),
        ("visible_to", "Visible to", "visible_to"),
        ("add_time", "Deal created", "date"),
        ("update_time", "Update time", "date"),
        ("close_time", "Deal closed on", "date"),
        ("won_time", "Won time", "date"),
        ("lost_time", "Lost time", "date"),
        ("expected_close_date", "Expected close date", "date"),
        ("label_ids", "Label", "set"),
    ),
    "person": (
        ("id", "ID", "int"),
        ("name", "Name", "varchar"),
        ("first_name", "First name", "varchar"),
        ("last_name", "Last name", "varchar"),
        ("owner_id", "Owner", "user"),
        ("org_id", "Organization", "org"),
        ("emails", "Email", "varchar"),
        ("phones", "Phone", "phone"),
        ("visible_to", "Visible to", "visible_to"),
        ("label_ids", "Labels", "set"),
        ("add_time", "Person created", "date"),
        ("update_time", "Update time", "date"),
    ),
    "organization": (
        ("id", "ID", "int"),
        ("name", "Name", "varchar"),
        ("owner_id", "Owner", "user"),
        ("address", "Address", "address"),
        ("visible_to", "Visible to", "visible_to"),
        ("label_ids", "Labels", "set"),
        ("add_time", "Organization created", "date"),
        ("update_time", "Update time", "date"),
    ),
    "product": (
        ("id", "ID", "int"),
        ("name", "Name", "varchar"),
        ("code", "Product code", "varchar"),
        ("description", "Description", "text"),
        ("unit", "Unit", "varchar"),
        ("tax", "Tax", "double"),
        ("category", "Category", "enum"),
        ("owner_id", "Owner", "user"),
        ("is_linkable", "Selectable", "boolean"),
        ("visible_to", "Visible to", "visible_to"),
        ("prices", "Unit prices", "price_list"),
        ("add_time", "Created", "date"),
        ("update_time", "Update time", "date"),
    ),
    "activity": (
        ("id", "ID", "int"),
        ("subject", "Subject", "varchar"),
        ("type", "Type", "varchar"),
        ("owner_id", "Assigned to user", "user"),
        ("deal_id", "Deal", "deal"),
        ("person_id", "Contact person", "people"),
        ("org_id", "Organization", "org"),
        ("due_date", "Due date", "date"),
        ("due_time", "Due time", "time"),
        ("duration", "Duration", "time"),
        ("busy", "Free/busy", "boolean"),
        ("done", "Done", "boolean"),
        ("note", "Note", "text"),
        ("add_time", "Add time", "date"),
        ("update_time", "Update time", "date"),
    ),
}

# Realistic custom field names by type; awkward ones are added per entity below.
_NAMES: dict[str, tuple[str, ...]] = {
    "varchar": ("Account code", "Referral partner", "Contract number", "Region code"),
    "varchar_auto": ("Competitor", "Campaign"),
    "text": ("Internal notes", "Requirements summary"),
    "double": ("Seats requested", "Discount percent", "Health score"),
    "monetary": ("Annual budget", "Expected MRR"),
    "date": ("Renewal date", "Kick-off date"),
    "daterange": ("Trial period", "Contract term"),
    "time": ("Preferred call time",),
    "timerange": ("Office hours",),
    "set": ("Products of interest", "Integrations used"),
    "enum": ("Lead source", "Segment", "Priority"),
    "user": ("Account manager",),
    "org": ("Partner organization",),
    "people": ("Technical contact",),
    "phone": ("Support hotline",),
    "address": ("Billing address", "Shipping address"),
}
_OPTION_SETS: dict[str, tuple[str, ...]] = {
    "Lead source": ("Website", "Referral", "Trade show", "Cold call", "Partner"),
    "Segment": ("SMB", "Mid-market", "Enterprise"),
    "Priority": ("Low", "Medium", "High", "Urgent"),
    "Products of interest": ("CRM", "Analytics", "Billing", "Support desk", "API"),
    "Integrations used": ("Slack", "Gmail", "Outlook", "Zapier", "HubSpot", "Xero"),
}
_AWKWARD: tuple[tuple[str, str], ...] = (
    ('Customer "tier"', "enum"),
    ("Region.code", "varchar"),
    ("🚀 Launch date", "date"),
    ("Lead-Source", "varchar"),
    ("lead source", "varchar"),
)
_COLORS = ("green", "blue", "red", "yellow", "purple", "gray")


@dataclass
class FieldDef:
    """One field of one entity, rendered by :func:`to_v2` / :func:`to_v1`."""

    id: int
    key: str
    name: str
    field_type: str
    is_custom: bool
    order_nr: int
    add_time: float = START_TIME
    update_time: float = START_TIME
    options: list[dict[str, Any]] | None = None
    description: str | None = None
    is_deleted: bool = False
    user_id: int = 1
    extra: dict[str, Any] = field(default_factory=dict)


def field_key(seed: int, entity: str, n: int) -> str:
    """A 40-char hex key, like Pipedrive's random custom field hashes."""
    return hashlib.sha1(f"{seed}:{entity}:field:{n}".encode()).hexdigest()


class OptionIds:
    """Hands out option ids, unique across the account."""

    def __init__(self, start: int = 1) -> None:
        self.next = start

    def make(self, labels: list[str] | tuple[str, ...], when: float) -> list[dict[str, Any]]:
        options = []
        for label in labels:
            color = _COLORS[self.next % len(_COLORS)]
            options.append({"id": self.next, "label": label, "color": color, "add_time": when})
            self.next += 1
        return options


def generate_fields(seed: int, option_ids: OptionIds) -> dict[str, list[FieldDef]]:
    """System fields plus 20-40 custom fields per entity, deterministic from the seed."""
    next_id = 1
    result: dict[str, list[FieldDef]] = {}
    for entity in FIELD_ENTITIES:
        defs: list[FieldDef] = []
        for key, name, ftype in _SYSTEM[entity]:
            defs.append(FieldDef(next_id, key, name, ftype, False, len(defs)))
            next_id += 1
        if entity in CUSTOM_FIELD_ENTITIES:
            for name, ftype in _custom_plan(seed, entity):
                rng = random.Random(f"{seed}:{entity}:{name}")
                when = START_TIME + rng.random() * (REFERENCE_TIME - START_TIME) / 2
                fdef = FieldDef(
                    next_id,
                    field_key(seed, entity, next_id),
                    name,
                    ftype,
                    True,
                    len(defs),
                    when,
                    when,
                )
                if ftype in ("enum", "set"):
                    labels = _OPTION_SETS.get(name, ("Gold", "Silver", "Bronze", "Pewter"))
                    fdef.options = option_ids.make(labels, when)
                defs.append(fdef)
                next_id += 1
        result[entity] = defs
    return result


def _custom_plan(seed: int, entity: str) -> list[tuple[str, str]]:
    """Every creatable type at least once, then more drawn from the seed, 20-40 in all."""
    rng = random.Random(f"{seed}:{entity}:plan")
    plan: list[tuple[str, str]] = [(_NAMES[t][0], t) for t in CREATABLE_TYPES]
    plan.extend(_AWKWARD)
    target = rng.randint(22, 36)
    pool = [(name, t) for t in CREATABLE_TYPES for name in _NAMES[t][1:]]
    rng.shuffle(pool)
    for name, ftype in pool:
        if len(plan) >= target:
            break
        plan.append((name, ftype))
    while len(plan) < target:
        plan.append((f"Extra attribute {len(plan)}", rng.choice(("varchar", "double", "date"))))
    return plan
