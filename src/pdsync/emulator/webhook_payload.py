"""The body of a webhook v2 delivery (fact sheet §9).

``{meta, data, previous}``: ``create`` sends the new object and ``previous: null``;
``change`` sends the whole current object and, in ``previous``, only the fields that
changed, with their old values; ``delete`` sends ``data: null`` and the last state in
``previous``. Custom field values are typed objects (``{"type": "enum", "id": 12}``,
``{"type": "monetary", "value": 5, "currency": "EUR"}`` …), and every id in ``meta``
is a string, as Pipedrive sends them.
"""

from __future__ import annotations

import time
import uuid
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pdsync.emulator.changes import ChangeEvent

COMPANY_ID = 1
FieldTypes = Callable[[str], Mapping[str, str]]  # entity -> {field_code: field_type}
_REFERENCE_TYPES = frozenset({"user", "org", "people", "deal", "lead", "product", "project"})


@dataclass(frozen=True)
class EventEnvelope:
    """What is fixed when an event happens; one per event, shared by its webhooks."""

    event: ChangeEvent
    timestamp: float
    correlation_id: str
    sequence: int


def iso_ms(epoch: float) -> str:
    """``2026-01-01T00:00:00.000Z``: the webhook timestamp format."""
    whole = int(epoch)
    millis = round((epoch - whole) * 1000) % 1000
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(whole)) + f".{millis:03d}Z"


def typed_value(field_type: str, value: Any) -> Any:
    """One custom field value, from its API v2 form to the webhook's typed object."""
    if value is None:
        return None
    if field_type == "enum":
        return {"type": "enum", "id": value}
    if field_type == "set":
        ids = value if isinstance(value, list) else [value]
        return {"type": "set", "values": [{"id": item} for item in ids]}
    if field_type in _REFERENCE_TYPES:
        ref = value.get("value", value.get("id")) if isinstance(value, dict) else value
        return {"type": field_type, "id": ref}
    if isinstance(value, dict):
        return _typed_object(field_type, value)
    return {"type": field_type, "value": value}


def _typed_object(field_type: str, value: dict[str, Any]) -> dict[str, Any]:
    if field_type == "monetary":
        return {"type": "monetary", "value": value.get("value"), "currency": value.get("currency")}
    if field_type in ("daterange", "timerange"):
        typed = {"type": field_type, "from": value.get("value"), "until": value.get("until")}
        if field_type == "timerange":
            typed["timezone_id"] = value.get("timezone_id")
        return typed
    if field_type == "time":
        return {
            "type": "time",
            "value": value.get("value"),
            "timezone_id": value.get("timezone_id"),
        }
    return {"type": field_type, **value}  # address: value plus its parts


def typed_record(record: Mapping[str, Any] | None, types: Mapping[str, str]) -> Any:
    """A record with its ``custom_fields`` turned into typed objects."""
    if record is None:
        return None
    out = dict(record)
    custom = record.get("custom_fields")
    if isinstance(custom, Mapping):
        out["custom_fields"] = {
            key: typed_value(types.get(key, "varchar"), value) for key, value in custom.items()
        }
    return out


def changed_fields(previous: Mapping[str, Any], current: Mapping[str, Any]) -> dict[str, Any]:
    """Old values of the fields that differ; custom fields compared one by one."""
    changed: dict[str, Any] = {}
    for key in previous.keys() | current.keys():
        old, new = previous.get(key), current.get(key)
        if key == "custom_fields" and isinstance(old, Mapping) and isinstance(new, Mapping):
            custom = {k: old.get(k) for k in old.keys() | new.keys() if old.get(k) != new.get(k)}
            if custom:
                changed[key] = custom
        elif old != new:
            changed[key] = old
    return changed


def build_payload(
    envelope: EventEnvelope,
    webhook: Mapping[str, Any],
    attempt: int,
    host: str,
    field_types: FieldTypes,
) -> dict[str, Any]:
    event = envelope.event
    types = field_types(event.entity)
    previous: Any = None
    if event.action == "change" and event.previous is not None and event.current is not None:
        previous = typed_record(changed_fields(event.previous, event.current), types)
    elif event.action == "delete":
        previous = typed_record(event.previous, types)
    data = None if event.action == "delete" else typed_record(event.current, types)
    return {"meta": _meta(envelope, webhook, attempt, host), "data": data, "previous": previous}


def _meta(
    envelope: EventEnvelope, webhook: Mapping[str, Any], attempt: int, host: str
) -> dict[str, Any]:
    event = envelope.event
    meta: dict[str, Any] = {
        "action": event.action,
        "entity": event.entity,
        "company_id": str(COMPANY_ID),
        "correlation_id": envelope.correlation_id,
        "entity_id": str(event.entity_id),
        "id": str(uuid.uuid5(uuid.NAMESPACE_URL, f"{envelope.correlation_id}/{webhook['id']}")),
        "is_bulk_edit": event.is_bulk_edit,
        "timestamp": iso_ms(envelope.timestamp),
        "type": webhook.get("type", "general"),
        "user_id": str(event.user_id),
        "version": "2.0",
        "webhook_id": str(webhook["id"]),
        "webhook_owner_id": str(webhook["owner_id"]),
        "change_source": event.change_source,
        "attempt": attempt,
        "host": host,
    }
    if event.entity != "user":
        meta["permitted_user_ids"] = sorted({str(event.user_id), str(webhook["user_id"])})
    meta.update({key: str(value) for key, value in event.extra_meta.items()})
    return meta
