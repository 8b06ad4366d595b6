"""Webhook v2 bodies: checked, typed custom values turned back into API values."""

from __future__ import annotations

import json
from typing import Any

import pytest

from pdsync.catalog.registry import CATALOG
from pdsync.emulator.webhook_payload import typed_value
from pdsync.live.credentials import Credentials
from pdsync.live.payload import Rejected, api_record, api_value, epoch_ms, parse_delivery

# (field type, API v2 value) pairs: the emulator's typed_value makes the webhook form.
ROUND_TRIPS: list[tuple[str, Any]] = [
    ("varchar", "hello"),
    ("double", 4.5),
    ("date", "2026-03-04"),
    ("enum", 12),
    ("set", [12, 15]),
    ("monetary", {"value": 5.0, "currency": "EUR"}),
    ("daterange", {"value": "2026-01-01", "until": "2026-02-01"}),
    ("timerange", {"value": "09:00:00", "until": "11:30:00", "timezone_id": 120}),
    ("time", {"value": "10:00:00", "timezone_id": 1}),
    ("people", 7),
    ("org", 3),
    ("user", 1),
    ("address", {"value": "Tartu mnt 1", "locality": "Tallinn"}),
    ("varchar", None),
]


@pytest.mark.parametrize(("field_type", "value"), ROUND_TRIPS)
def test_typed_values_become_api_values(field_type: str, value: Any) -> None:
    assert api_value(typed_value(field_type, value)) == value


def test_v1_records_get_flat_custom_fields() -> None:
    key = "a" * 40
    data = {
        "id": "u-1",
        "custom_fields": {key: {"type": "monetary", "value": 3, "currency": "USD"}},
    }
    assert api_record(CATALOG["leads"], data) == {"id": "u-1", key: 3, f"{key}_currency": "USD"}
    v2 = api_record(CATALOG["deals"], {"id": 1, "custom_fields": {key: {"type": "enum", "id": 4}}})
    assert v2["custom_fields"] == {key: 4}


def body(**meta: Any) -> bytes:
    base = {"id": "e1", "action": "change", "entity": "deal", "entity_id": "1",
            "timestamp": "2026-01-01T00:00:01.250Z", "version": "2.0", "attempt": 2}  # fmt: skip
    return json.dumps({"meta": {**base, **meta}, "data": {"id": 1}, "previous": None}).encode()


def test_parse_delivery() -> None:
    delivery = parse_delivery(body())
    assert (delivery.event_id, delivery.entity, delivery.attempt) == ("e1", "deal", 2)
    assert delivery.timestamp_ms == epoch_ms("2026-01-01T00:00:00Z") + 1250


@pytest.mark.parametrize(
    ("raw", "status"),
    [
        (b"[1, 2]", 400),
        (body(version="1.0"), 400),
        (body(action="merged"), 400),
        (body(timestamp="yesterday"), 400),
        (body(id=""), 400),
    ],
)
def test_bad_bodies_are_rejected(raw: bytes, status: int) -> None:
    with pytest.raises(Rejected) as info:
        parse_delivery(raw)
    assert info.value.status == status


def test_credentials_check_and_never_show() -> None:
    import base64

    creds = Credentials("pdsync-1", "p4ssw0rd-long-enough")
    header = "Basic " + base64.b64encode(b"pdsync-1:p4ssw0rd-long-enough").decode()
    assert creds.accepts(header)
    assert not creds.accepts(header[:-2])
    assert not creds.accepts("Basic !!!")
    assert not creds.accepts(None)
    assert "p4ssw0rd" not in repr(creds)
