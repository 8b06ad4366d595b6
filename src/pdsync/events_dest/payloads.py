"""Traits and properties → Pipedrive request bodies, following the destination's rules.

Standard traits become Pipedrive's own fields; mapped traits become the mapped
field (custom fields under ``custom_fields`` for v2, flat for v1 leads);
everything else is dropped and counted, never guessed. Owner fields are never set.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pdsync.catalog.fieldvalues import scatter_v1
from pdsync.errors import EventsError
from pdsync.events_dest.config import OWNER_FIELDS
from pdsync.events_dest.fields import USER_FIELD_TYPES, FieldResolver

PERSON_TRAITS = frozenset(
    {
        "name",
        "firstName",
        "lastName",
        "first_name",
        "last_name",
        "email",
        "phone",
        "visible_to",
        "add_time",
    }
)
ORG_TRAITS = frozenset({"name", "visible_to", "add_time"})
VALUE_PROPERTIES = ("revenue", "value", "total", "amount")
LEAD_PROPERTIES = frozenset({*VALUE_PROPERTIES, "currency", "expected_close_date", "label_ids"})
DEFAULT_CURRENCY = "USD"  # Segment's default for revenue
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


class EventRejected(EventsError):
    """The event cannot be applied to Pipedrive; it goes to the dead letters with the reason."""

    default_hint = "Fix the event or the config, then run `pdsync events replay`."


@dataclass
class Body:
    """A request body under construction, with the traits it had to drop."""

    fields: dict[str, Any] = field(default_factory=dict)
    custom: dict[str, Any] = field(default_factory=dict)
    dropped: list[str] = field(default_factory=list)

    def v2(self) -> dict[str, Any]:
        body = dict(self.fields)
        if self.custom:
            body["custom_fields"] = dict(self.custom)
        return body

    def v1(self) -> dict[str, Any]:
        """v1 objects (leads, notes) take custom fields flat on the record."""
        body = dict(self.fields)
        for key, value in self.custom.items():
            body.update(scatter_v1(key, value))
        return body


def person_body(
    traits: Mapping[str, Any], mapping: Mapping[str, str], fields: FieldResolver
) -> Body:
    body = Body()
    name = _person_name(traits)
    if name:
        body.fields["name"] = name
    if traits.get("email"):
        body.fields["emails"] = [{"value": str(traits["email"]), "primary": True, "label": "work"}]
    if traits.get("phone"):
        body.fields["phones"] = [{"value": str(traits["phone"]), "primary": True, "label": "work"}]
    _visibility_and_time(traits, body, as_string=False)
    apply_mapping("persons", traits, mapping, fields, body, known=PERSON_TRAITS)
    return body


def org_body(traits: Mapping[str, Any], mapping: Mapping[str, str], fields: FieldResolver) -> Body:
    body = Body()
    if traits.get("name"):
        body.fields["name"] = str(traits["name"])
    _visibility_and_time(traits, body, as_string=False)
    apply_mapping("organizations", traits, mapping, fields, body, known=ORG_TRAITS)
    return body


def lead_body(
    title: str, properties: Mapping[str, Any], mapping: Mapping[str, str], fields: FieldResolver
) -> Body:
    body = Body(fields={"title": title})
    money = monetary_value(properties)
    if money is not None:
        body.fields["value"] = {"amount": money[0], "currency": money[1]}
    if properties.get("expected_close_date") is not None:
        body.fields["expected_close_date"] = iso_date(properties["expected_close_date"])
    if properties.get("label_ids") is not None:
        body.fields["label_ids"] = _label_ids(properties["label_ids"])
    apply_mapping("leads", properties, mapping, fields, body, known=LEAD_PROPERTIES)
    return body


def apply_mapping(
    entity: str,
    source: Mapping[str, Any],
    mapping: Mapping[str, str],
    fields: FieldResolver,
    body: Body,
    *,
    known: Iterable[str],
) -> None:
    """Mapped names → fields; unknown, unmapped names → ``body.dropped``."""
    known = set(known)
    for name, value in source.items():
        target = mapping.get(name)
        if target is None:
            if name not in known:
                body.dropped.append(name)
            continue
        ref = fields.require(entity, target, f"mapping for {name!r}")
        if ref.key in OWNER_FIELDS or ref.field_type in USER_FIELD_TYPES:
            body.dropped.append(name)  # owner fields name Pipedrive users: never from events
            continue
        converted = fields.convert(entity, ref, value)
        if ref.is_custom:
            body.custom[ref.key] = converted
        else:
            body.fields[ref.key] = converted


def monetary_value(properties: Mapping[str, Any]) -> tuple[float, str] | None:
    """The first of revenue/value/total/amount, with its currency (Segment's order)."""
    for name in VALUE_PROPERTIES:
        raw = properties.get(name)
        if raw is None:
            continue
        try:
            amount = float(raw)
        except (TypeError, ValueError):
            raise EventRejected(f"`{name}` must be a number, got {raw!r}.") from None
        return amount, str(properties.get("currency") or DEFAULT_CURRENCY).upper()
    return None


def iso_date(value: Any) -> str:
    text = str(value)
    try:
        if not _ISO_DATE.match(text):
            raise ValueError(text)
        dt.date.fromisoformat(text)
    except ValueError:
        raise EventRejected(
            f"expected_close_date must be an ISO 8601 date (YYYY-MM-DD), got {value!r}."
        ) from None
    return text


def _label_ids(value: Any) -> list[str]:
    items = value if isinstance(value, list) else [value]
    if not all(isinstance(item, str) and item for item in items):
        raise EventRejected(f"label_ids must be lead label ids (UUID strings), got {value!r}.")
    return list(items)


def _person_name(traits: Mapping[str, Any]) -> str | None:
    if traits.get("name"):
        return str(traits["name"]).strip() or None
    first = traits.get("firstName") or traits.get("first_name") or ""
    last = traits.get("lastName") or traits.get("last_name") or ""
    full = f"{first} {last}".strip()
    return full or None


def _visibility_and_time(traits: Mapping[str, Any], body: Body, *, as_string: bool) -> None:
    if traits.get("visible_to") is not None:
        try:
            visible = int(traits["visible_to"])
        except (TypeError, ValueError):
            raise EventRejected(
                f"visible_to must be 1, 3, 5 or 7, got {traits['visible_to']!r}."
            ) from None
        body.fields["visible_to"] = str(visible) if as_string else visible
    if traits.get("add_time"):
        body.fields["add_time"] = str(traits["add_time"])
