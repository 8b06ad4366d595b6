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
    for trait, target in (("email", "emails"), ("phone", "phones")):
        entries = contact_entries(traits.get(trait), trait)
        if entries:
            body.fields[target] = entries
    _visibility_and_time(traits, body, as_string=False)
    apply_mapping("persons", traits, mapping, fields, body, known=PERSON_TRAITS)
    return body


def contact_entries(value: Any, trait: str) -> list[dict[str, Any]]:
    """An email or phone trait as Pipedrive's list of ``{value, primary, label}``.

    Accepts a plain string, a list of strings, or Pipedrive's own shape (a list of
    objects, or one object) as apps copy it from Pipedrive; exactly one entry ends up
    primary (the one marked so, else the first).
    """
    if value is None or value == "" or value == []:
        return []
    items = value if isinstance(value, list) else [value]
    entries: list[dict[str, Any]] = []
    for item in items:
        if isinstance(item, Mapping):
            text = item.get("value")
            if text is None or str(text).strip() == "":
                continue
            entry = {"value": str(text).strip(), "primary": bool(item.get("primary"))}
            entry["label"] = str(item.get("label") or "work")
        elif isinstance(item, (str, int)) and not isinstance(item, bool):
            if str(item).strip() == "":
                continue
            entry = {"value": str(item).strip(), "primary": False, "label": "work"}
        else:
            raise EventRejected(
                f"`{trait}` must be a string, a list of strings or Pipedrive's "
                f"[{{value, primary, label}}] list, got {item!r}."
            )
        entries.append(entry)
    primaries = [e for e in entries if e["primary"]]
    for entry in entries:
        entry["primary"] = entry is (primaries[0] if primaries else entries[0])
    return entries


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
    """Mapped names → fields; unknown, unmapped names → ``body.dropped``.

    Nested objects are addressed by dotted path (``address.city``); a mapping may also
    name the whole object (``address``). Arrays are values, never walked into.
    """
    known = set(known)
    for name, value in dotted_items(source, mapping, known):
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


def dotted_items(
    source: Mapping[str, Any], mapping: Mapping[str, str], known: Iterable[str], prefix: str = ""
) -> Iterable[tuple[str, Any]]:
    """(path, value) of every leaf of ``source``, stopping at objects named as a whole."""
    known = set(known)
    for key, value in source.items():
        path = f"{prefix}{key}"
        if isinstance(value, Mapping) and value and path not in mapping and path not in known:
            yield from dotted_items(value, mapping, known, f"{path}.")
        else:
            yield path, value


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
        body.fields["add_time"] = api_time(traits["add_time"], "add_time")


def api_time(value: Any, name: str) -> str:
    """An event time as Pipedrive's v2 writes take it: RFC 3339 in UTC, whole seconds.

    Accepts ISO 8601 date-times with any offset (``Z`` included) and plain dates
    (midnight UTC); anything else is refused rather than stored as given.
    """
    text = str(value).strip()
    try:
        if _ISO_DATE.match(text):
            moment = dt.datetime.fromisoformat(text).replace(tzinfo=dt.timezone.utc)
        else:
            moment = dt.datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
            if moment.tzinfo is None:
                moment = moment.replace(tzinfo=dt.timezone.utc)
    except ValueError:
        raise EventRejected(
            f"`{name}` must be an ISO 8601 date or date-time, got {value!r}."
        ) from None
    return moment.astimezone(dt.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
