"""Field definitions and records shaped like Pipedrive's v2 answers, for the tests."""

from __future__ import annotations

import hashlib
from typing import Any

OPTIONS = [{"id": 11, "label": "Red", "color": "red"}, {"id": 12, "label": "Blue, dark"}]


def key_of(name: str) -> str:
    """A 40-char hex key, as Pipedrive makes for custom fields."""
    return hashlib.sha1(name.encode()).hexdigest()


def field_def(name: str, field_type: str, *, custom: bool = True, **extra: Any) -> dict[str, Any]:
    options = OPTIONS if field_type in ("enum", "set") else None
    return {
        "field_code": key_of(name) if custom else name,
        "field_name": name,
        "field_type": field_type,
        "options": options,
        "subfields": None,
        "is_custom_field": custom,
        "is_optional_response_field": False,
        **extra,
    }


# One custom field of every creatable type, plus system fields.
EVERY_TYPE = [
    field_def("title", "varchar", custom=False),
    field_def("value", "monetary", custom=False),
    field_def("Nickname", "varchar"),
    field_def("Source channel", "varchar_auto"),
    field_def("Long notes", "text"),
    field_def("Score", "double"),
    field_def("Budget", "monetary"),
    field_def("Signed on", "date"),
    field_def("Contract period", "daterange"),
    field_def("Call at", "time"),
    field_def("Office hours", "timerange"),
    field_def("Colour", "enum"),
    field_def("Tags", "set"),
    field_def("Account manager", "user"),
    field_def("Partner org", "org"),
    field_def("Champion", "people"),
    field_def("Hotline", "phone"),
    field_def("HQ", "address"),
]


def v2_custom_values() -> dict[str, Any]:
    return {
        key_of("Nickname"): "Bobby",
        key_of("Source channel"): "web",
        key_of("Long notes"): "x" * 300,
        key_of("Score"): 4.5,
        key_of("Budget"): {"value": 1200.5, "currency": "EUR"},
        key_of("Signed on"): "2024-03-01",
        key_of("Contract period"): {"value": "2024-01-01", "until": "2024-12-31"},
        key_of("Call at"): {
            "value": "09:30:00",
            "timezone_id": 318,
            "timezone_name": "Europe/London",
        },
        key_of("Office hours"): {
            "value": "09:00:00",
            "until": "17:00:00",
            "timezone_id": 318,
            "timezone_name": "Europe/London",
        },
        key_of("Colour"): 12,
        key_of("Tags"): [11, 12],
        key_of("Account manager"): 7,
        key_of("Partner org"): 33,
        key_of("Champion"): 44,
        key_of("Hotline"): "+44 20 1234",
        key_of("HQ"): {
            "value": "1 Main St, Tallinn",
            "street_number": "1",
            "route": "Main St",
            "locality": "Tallinn",
            "country": "Estonia",
            "postal_code": "10111",
            "formatted_address": "Main St 1, 10111 Tallinn, Estonia",
        },
    }


def v2_deal(deal_id: int, custom: dict[str, Any] | None = None) -> dict[str, Any]:
    return {
        "id": deal_id,
        "title": f"Deal {deal_id}",
        "owner_id": 1,
        "person_id": 2,
        "org_id": 3,
        "pipeline_id": 1,
        "stage_id": 2,
        "value": 1000,
        "currency": "EUR",
        "add_time": "2024-01-02T03:04:05Z",
        "update_time": "2024-02-03T04:05:06.000Z",
        "stage_change_time": None,
        "is_deleted": False,
        "is_archived": False,
        "status": "open",
        "probability": None,
        "lost_reason": None,
        "visible_to": 3,
        "close_time": None,
        "won_time": None,
        "lost_time": None,
        "expected_close_date": "2024-05-01",
        "label_ids": [1, 2],
        "origin": "API",
        "origin_id": None,
        "channel": None,
        "channel_id": None,
        "source_lead_id": None,
        "arr": None,
        "mrr": None,
        "acv": None,
        "custom_fields": custom if custom is not None else v2_custom_values(),
    }
