from __future__ import annotations

import base64
from typing import Any

import pytest
from edge_fixtures import Harness, MakeHarness, Subscriber

from pdsync.emulator.changes import ChangeEvent
from pdsync.emulator.webhook_payload import changed_fields, typed_value

ENUM, MONEY, SET = "a" * 40, "b" * 40, "c" * 40


def create_hook(harness: Harness, url: str, **extra: Any) -> dict[str, Any]:
    body = {"subscription_url": url, "event_action": "*", "event_object": "deal", "name": "Sync"}
    body.update(extra)
    with harness.client() as client:
        response = client.post("/v1/webhooks", json=body)
    assert response.status_code == 201, response.text
    data: dict[str, Any] = response.json()["data"]
    return data


def deal(title: str, tier: int | None, budget: float) -> dict[str, Any]:
    return {
        "id": 9,
        "title": title,
        "update_time": "2026-01-01T00:00:00Z",
        "custom_fields": {ENUM: tier, MONEY: {"value": budget, "currency": "EUR"}, SET: [1, 2]},
    }


def test_crud_follows_the_v1_shapes(harness: Harness) -> None:
    hook = create_hook(
        harness, "https://example.com/h", http_auth_user="u", http_auth_password="secret-pw-1"
    )
    assert hook["version"] == "2.0" and hook["is_active"] == 1 and hook["type"] == "general"
    assert hook["http_auth_password"] == "***"
    assert hook["add_time"].endswith(".000Z")
    with harness.client() as client:
        listed = client.get("/api/v1/webhooks").json()
        assert listed["success"] is True and [h["id"] for h in listed["data"]] == [hook["id"]]
        assert client.delete(f"/v1/webhooks/{hook['id']}").json() == {
            "status": "ok",
            "success": True,
        }
        missing = client.delete(f"/v1/webhooks/{hook['id']}")
        assert missing.status_code == 404 and missing.json()["status"] == "error"
        assert client.get("/v1/webhooks").json()["data"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"subscription_url": "not a url"}, "subscription_url"),
        ({"event_action": "added"}, "event_action"),
        ({"event_object": "deals"}, "event_object"),
        ({"name": ""}, "name"),
        ({"version": "1.0"}, "version"),
    ],
)
def test_invalid_bodies_get_400_naming_the_field(
    harness: Harness, change: dict[str, str], field: str
) -> None:
    body = {
        "subscription_url": "https://x.test/h",
        "event_action": "*",
        "event_object": "*",
        "name": "n",
    }
    body.update(change)
    with harness.client() as client:
        response = client.post("/v1/webhooks", json=body)
    assert response.status_code == 400
    assert field in response.json()["errors"]
    assert response.json()["success"] is False


def test_forty_webhooks_per_user_then_422(make_harness: MakeHarness) -> None:
    harness = make_harness(plan="premium")  # 41 calls fit in its 100-per-2-s window
    for _ in range(40):
        create_hook(harness, "https://x.test/h")
    with harness.client() as client:
        body = {
            "subscription_url": "https://x.test/h",
            "event_action": "*",
            "event_object": "*",
            "name": "n",
        }
        assert client.post("/v1/webhooks", json=body).status_code == 422


def test_change_delivers_v2_payload_with_typed_fields_and_basic_auth(
    harness: Harness, subscriber: Subscriber
) -> None:
    hook = create_hook(
        harness, subscriber.url, http_auth_user="hook", http_auth_password="pass-word"
    )
    harness.emulator.store.publish(
        ChangeEvent("change", "deal", 9, deal("New", 5, 10.0), deal("Old", 4, 10.0), user_id=3)
    )
    assert harness.edges.webhooks.wait_idle(5)
    [received] = subscriber.received
    assert received["authorization"] == "Basic " + base64.b64encode(b"hook:pass-word").decode()
    body = received["body"]
    meta = body["meta"]
    assert meta["action"] == "change" and meta["entity"] == "deal" and meta["version"] == "2.0"
    assert (meta["entity_id"], meta["webhook_id"], meta["user_id"]) == ("9", str(hook["id"]), "3")
    assert meta["attempt"] == 1 and meta["host"] == "acme.pipedrive.com"
    assert meta["permitted_user_ids"] == ["1", "3"]
    assert body["data"]["custom_fields"][ENUM] == {"type": "enum", "id": 5}
    assert body["data"]["custom_fields"][MONEY] == {
        "type": "monetary",
        "value": 10.0,
        "currency": "EUR",
    }
    assert body["data"]["custom_fields"][SET] == {"type": "set", "values": [{"id": 1}, {"id": 2}]}
    assert body["previous"] == {"title": "Old", "custom_fields": {ENUM: {"type": "enum", "id": 4}}}


def test_create_from_an_api_write_and_delete_with_merge_meta(
    harness: Harness, subscriber: Subscriber
) -> None:
    create_hook(harness, subscriber.url)
    with harness.client() as client:
        client.post("/api/v2/deals", json={"title": "Fresh"})
    harness.emulator.store.publish(
        ChangeEvent("delete", "deal", 9, None, deal("Gone", 1, 1.0), extra_meta={"merged_to_id": 3})
    )
    assert harness.edges.webhooks.wait_idle(5)
    created, deleted = sorted(subscriber.bodies(), key=lambda b: b["meta"]["action"])
    assert created["meta"]["action"] == "create" and created["previous"] is None
    assert created["data"]["title"] == "Fresh"
    assert deleted["data"] is None and deleted["previous"]["title"] == "Gone"
    assert deleted["meta"]["merged_to_id"] == "3"


def test_failed_deliveries_retry_on_schedule_then_succeed(
    harness: Harness, subscriber: Subscriber
) -> None:
    subscriber.statuses[:] = [500, 503, 200]
    hook = create_hook(harness, subscriber.url)
    harness.emulator.store.publish(ChangeEvent("create", "deal", 9, deal("A", 1, 1.0), None))
    assert harness.edges.webhooks.wait_idle(5)
    assert [b["meta"]["attempt"] for b in subscriber.bodies()] == [1, 2, 3]
    assert len({b["meta"]["id"] for b in subscriber.bodies()}) == 1  # same event each time
    with harness.client() as client:
        [listed] = client.get("/v1/webhooks").json()["data"]
        stats = client.get("/_emulator/stats").json()["webhook_deliveries"]
    assert listed["id"] == hook["id"] and listed["last_http_status"] == 200
    assert listed["last_delivery_time"] is not None
    assert stats == {"attempted": 3, "delivered": 1, "retried": 2}


def test_four_attempts_at_most(harness: Harness, subscriber: Subscriber) -> None:
    subscriber.statuses[:] = [500]
    create_hook(harness, subscriber.url)
    harness.emulator.store.publish(ChangeEvent("create", "deal", 9, deal("A", 1, 1.0), None))
    assert harness.edges.webhooks.wait_idle(5)
    assert [b["meta"]["attempt"] for b in subscriber.bodies()] == [1, 2, 3, 4]
    assert harness.edges.stats.snapshot()["webhook_deliveries"]["failed"] == 1


def test_unreachable_subscriber_counts_as_failure(make_harness: MakeHarness) -> None:
    harness = make_harness(webhook_retry_delays=(0.01,))
    create_hook(harness, "http://127.0.0.1:9/nothing-listens-here")
    harness.emulator.store.publish(ChangeEvent("create", "deal", 9, deal("A", 1, 1.0), None))
    assert harness.edges.webhooks.wait_idle(10)
    with harness.client() as client:
        [listed] = client.get("/v1/webhooks").json()["data"]
    assert listed["last_http_status"] is None
    assert harness.edges.stats.snapshot()["webhook_deliveries"] == {
        "attempted": 2,
        "failed": 1,
        "retried": 1,
    }


def test_filters_by_action_and_object(harness: Harness, subscriber: Subscriber) -> None:
    create_hook(harness, subscriber.url, event_action="delete", event_object="person")
    store = harness.emulator.store
    store.publish(ChangeEvent("delete", "deal", 1, None, {"id": 1}))
    store.publish(ChangeEvent("create", "person", 1, {"id": 1}, None))
    store.publish(ChangeEvent("delete", "person", 2, None, {"id": 2}))
    assert harness.edges.webhooks.wait_idle(5)
    assert [(b["meta"]["entity"], b["meta"]["entity_id"]) for b in subscriber.bodies()] == [
        ("person", "2")
    ]


def test_ten_failed_first_attempts_ban_the_webhook(
    make_harness: MakeHarness, subscriber: Subscriber
) -> None:
    harness = make_harness(webhook_retry_delays=())
    subscriber.statuses[:] = [500]
    create_hook(harness, subscriber.url)
    for i in range(12):
        harness.emulator.store.publish(ChangeEvent("create", "deal", i, {"id": i}, None))
        assert harness.edges.webhooks.wait_idle(5)  # one by one: the ban starts at the 10th
    assert len(subscriber.received) == 10
    harness.clock.advance(1801)
    harness.emulator.store.publish(ChangeEvent("create", "deal", 99, {"id": 99}, None))
    assert harness.edges.webhooks.wait_idle(5)
    assert len(subscriber.received) == 11


def test_typed_values_for_every_shape() -> None:
    assert typed_value("varchar", "x") == {"type": "varchar", "value": "x"}
    assert typed_value("double", 2.5) == {"type": "double", "value": 2.5}
    assert typed_value("org", 7) == {"type": "org", "id": 7}
    assert typed_value("people", {"value": 4, "name": "Ann"}) == {"type": "people", "id": 4}
    assert typed_value("daterange", {"value": "2024-01-01", "until": "2024-02-01"}) == {
        "type": "daterange", "from": "2024-01-01", "until": "2024-02-01"
    }  # fmt: skip
    assert typed_value("time", {"value": "09:00:00", "timezone_id": 318, "timezone_name": "X"}) == {
        "type": "time", "value": "09:00:00", "timezone_id": 318
    }  # fmt: skip
    assert typed_value("timerange", {"value": "09:00", "until": "10:00", "timezone_id": 1}) == {
        "type": "timerange", "from": "09:00", "until": "10:00", "timezone_id": 1
    }  # fmt: skip
    assert typed_value("address", {"value": "Main St 1", "locality": "Tartu"}) == {
        "type": "address", "value": "Main St 1", "locality": "Tartu"
    }  # fmt: skip
    assert typed_value("enum", None) is None
    assert changed_fields({"a": 1, "b": 2}, {"a": 1, "b": 3, "c": 4}) == {"b": 2, "c": None}
