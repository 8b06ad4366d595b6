"""A webhook v2 delivery: checked, and its record put into the API's own shape.

Pipedrive sends ``{meta, data, previous}`` (fact sheet §9). Custom field values in a
delivery are typed objects (``{"type": "enum", "id": 12}``, ``{"type": "monetary",
"value": 5, "currency": "EUR"}`` …), not the API v2 values a sync reads; they are
turned back into API values here, so the record then goes through the very
normalisation sync uses (DESIGN decision 13) and lands in the same columns.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime, timezone
from typing import Any

from pdsync.catalog.fieldvalues import scatter_v1
from pdsync.catalog.streams import StreamSpec

ACTIONS = ("create", "change", "delete")
_HASH_KEY = re.compile(r"[0-9a-f]{40}")


class Rejected(Exception):
    """A delivery the receiver refuses: ``status`` is the HTTP answer, ``reason`` says why."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason


@dataclass(frozen=True)
class Delivery:
    """The parts of a delivery the journal and the applier need."""

    event_id: str  # meta.id: the same for every attempt of one event to one webhook
    action: str
    entity: str
    entity_id: str
    timestamp_ms: int  # meta.timestamp: when the change happened in Pipedrive
    attempt: int
    data: dict[str, Any] | None
    previous: dict[str, Any] | None


def epoch_ms(text: str) -> int:
    """``2026-01-01T00:00:00.123Z`` (or any ISO 8601 instant) → milliseconds since the epoch."""
    value = text.strip()
    if value.endswith(("Z", "z")):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return round(parsed.timestamp() * 1000)


def parse_delivery(body: bytes) -> Delivery:
    """Check a delivery's body; :class:`Rejected` (400) says what is wrong with it."""
    try:
        doc = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        raise Rejected(400, "the body is not valid JSON") from None
    if not isinstance(doc, dict) or not isinstance(doc.get("meta"), dict):
        raise Rejected(400, "the body has no meta object (is this a webhook v2 delivery?)")
    meta: dict[str, Any] = doc["meta"]
    if str(meta.get("version", "2.0")) != "2.0":
        raise Rejected(400, "only webhooks of version 2.0 are understood")
    missing = [k for k in ("id", "action", "entity", "entity_id", "timestamp") if not meta.get(k)]
    if missing:
        raise Rejected(400, f"meta lacks {', '.join(missing)}")
    action = str(meta["action"])
    if action not in ACTIONS:
        raise Rejected(400, f"meta.action {action!r} is not one of {', '.join(ACTIONS)}")
    try:
        stamp = epoch_ms(str(meta["timestamp"]))
    except ValueError:
        raise Rejected(400, "meta.timestamp is not an ISO 8601 instant") from None
    data, previous = doc.get("data"), doc.get("previous")
    if action != "delete" and not isinstance(data, dict):
        raise Rejected(400, f"a {action} delivery has no data object")
    attempt = meta.get("attempt", 1)
    return Delivery(
        event_id=str(meta["id"]),
        action=action,
        entity=str(meta["entity"]),
        entity_id=str(meta["entity_id"]),
        timestamp_ms=stamp,
        attempt=attempt if isinstance(attempt, int) else 1,
        data=data if isinstance(data, dict) else None,
        previous=previous if isinstance(previous, dict) else None,
    )


def api_value(value: Any) -> Any:
    """One typed webhook custom field value → the value the API (v2) gives for it."""
    if not isinstance(value, dict) or "type" not in value:
        return value  # already an API value (or null)
    kind = value["type"]
    if kind == "enum":
        return value.get("id")
    if kind == "set":
        items = value.get("values") or []
        return [i.get("id") if isinstance(i, dict) else i for i in items] or None
    if kind in ("daterange", "timerange"):
        out = {"value": value.get("from", value.get("value")), "until": value.get("until")}
        if "timezone_id" in value:
            out["timezone_id"] = value["timezone_id"]
        return out
    rest = {k: v for k, v in value.items() if k != "type"}
    if set(rest) == {"id"}:
        return rest["id"]  # user, org, people, deal … references
    if set(rest) == {"value"}:
        return rest["value"]
    return rest  # monetary, time, address: objects with their parts


def api_record(spec: StreamSpec, data: Mapping[str, Any]) -> dict[str, Any]:
    """A delivery's ``data`` in the shape the stream's list endpoint returns."""
    record = dict(data)
    custom = record.get("custom_fields")
    if isinstance(custom, Mapping):
        values = {key: api_value(value) for key, value in custom.items()}
        if spec.version == "v1":  # v1 records carry custom fields flat on the root
            del record["custom_fields"]
            for key, value in values.items():
                record.update(scatter_v1(key, value))
        else:
            record["custom_fields"] = values
    if spec.version == "v1":
        for key, value in list(record.items()):
            if _HASH_KEY.fullmatch(key):
                record.update(scatter_v1(key, api_value(value)))
    return record


def custom_keys(spec: StreamSpec, record: Mapping[str, Any]) -> set[str]:
    """The custom field keys a record carries (to notice fields the replica does not know)."""
    custom = record.get("custom_fields")
    if isinstance(custom, Mapping):
        return {str(k) for k in custom}
    return {k for k in record if _HASH_KEY.fullmatch(k)} if spec.version == "v1" else set()
