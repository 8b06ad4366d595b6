"""The edges on the real emulator: its store, its routes and its HTTP server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from edge_fixtures import Subscriber

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.edge_clock import FakeClock
from pdsync.emulator.edges import EdgeApp
from pdsync.emulator.server import EmulatorServer

FAST_RETRIES = (0.01, 0.02, 0.03)


def edges_of(emulator: Emulator) -> EdgeApp:
    edges = getattr(emulator, "edges", None)
    assert isinstance(edges, EdgeApp)
    assert emulator.wsgi is edges
    return edges


@pytest.fixture
def emulator() -> Iterator[Emulator]:
    emulator = Emulator(EmulatorConfig(deals=50, webhook_retry_delays=FAST_RETRIES))
    yield emulator
    edges_of(emulator).close()


def client_for(emulator: Emulator) -> httpx.Client:
    return httpx.Client(
        transport=emulator.transport(),
        base_url="http://acme.pipedrive.test",
        headers={"x-api-token": emulator.config.token},
    )


def custom_fields(client: httpx.Client) -> dict[str, dict[str, Any]]:
    fields = client.get("/api/v2/dealFields", params={"limit": 500}).json()["data"]
    by_type: dict[str, dict[str, Any]] = {}
    for field in fields:
        if field.get("is_custom_field"):
            by_type.setdefault(field["field_type"], field)
    return by_type


def test_webhooks_deliver_real_writes_with_typed_custom_fields(
    emulator: Emulator, subscriber: Subscriber
) -> None:
    with client_for(emulator) as client:
        hook = {
            "subscription_url": subscriber.url,
            "event_action": "*",
            "event_object": "deal",
            "name": "All deals",
        }
        assert client.post("/v1/webhooks", json=hook).status_code == 201
        fields = custom_fields(client)
        enum, money = fields["enum"], fields["monetary"]
        option = enum["options"][0]["id"]
        body = {
            "title": "Webhook deal",
            "custom_fields": {
                enum["field_code"]: option,
                money["field_code"]: {"value": 1500, "currency": "EUR"},
            },
        }
        created = client.post("/api/v2/deals", json=body)
        assert created.status_code in (200, 201), created.text
        deal_id = created.json()["data"]["id"]
        assert (
            client.patch(f"/api/v2/deals/{deal_id}", json={"title": "Renamed"}).status_code == 200
        )
        assert client.delete(f"/api/v2/deals/{deal_id}").status_code == 200
    assert edges_of(emulator).webhooks.wait_idle(5)
    by_action = {b["meta"]["action"]: b for b in subscriber.bodies()}
    assert set(by_action) == {"create", "change", "delete"}
    data = by_action["create"]["data"]
    assert data["custom_fields"][enum["field_code"]] == {"type": "enum", "id": option}
    assert data["custom_fields"][money["field_code"]] == {
        "type": "monetary", "value": 1500, "currency": "EUR"
    }  # fmt: skip
    assert by_action["change"]["previous"]["title"] == "Webhook deal"
    assert "custom_fields" not in by_action["change"]["previous"]
    assert by_action["delete"]["data"] is None
    assert by_action["delete"]["meta"]["entity_id"] == str(deal_id)


def test_merge_sends_delete_with_merged_to_and_change_with_merged_from(
    emulator: Emulator, subscriber: Subscriber
) -> None:
    with client_for(emulator) as client:
        hook = {
            "subscription_url": subscriber.url,
            "event_action": "*",
            "event_object": "*",
            "name": "All",
        }
        client.post("/v1/webhooks", json=hook)
        merged = client.put("/v1/deals/3/merge", json={"merge_with_id": 4})
        assert merged.status_code == 200, merged.text
    assert edges_of(emulator).webhooks.wait_idle(5)
    metas = {b["meta"]["action"]: b["meta"] for b in subscriber.bodies()}
    assert metas["delete"]["merged_to_id"] == "4" and metas["delete"]["entity_id"] == "3"
    assert metas["change"]["merged_from_id"] == "3" and metas["change"]["entity_id"] == "4"


def test_burst_and_daily_budget_on_the_real_app(emulator: Emulator) -> None:
    edges = edges_of(emulator)
    clock = FakeClock()
    edges.use_clock(clock)
    with client_for(emulator) as client:
        codes = [client.get("/api/v2/deals", params={"limit": 500}).status_code for _ in range(41)]
        assert codes == [200] * 40 + [429]
        clock.advance(2)
        client.post("/_emulator/budget/reset", json={"remaining": 5})
        assert client.get("/api/v2/deals").status_code == 200
        exhausted = client.get("/api/v2/deals")
        assert exhausted.status_code == 429
        assert exhausted.headers["x-daily-ratelimit-token-remaining"] == "0"
        stats = client.get("/_emulator/stats").json()
    assert stats["requests_by_operation"]["getDeals"] == 43
    assert stats["responses_429"] == 2


def test_stats_and_auth_over_the_real_server(tmp_path: Path) -> None:
    script = tmp_path / "faults.json"
    script.write_text(json.dumps([{"request": 2, "fault": "reset"}]))
    config = EmulatorConfig(deals=50, faults=f"script={script}")
    with EmulatorServer(config) as server:
        headers = {"x-api-token": config.token}
        with httpx.Client(base_url=server.url, headers=headers, timeout=5) as client:
            assert client.get("/v1/users/me").status_code == 200
            with pytest.raises(httpx.TransportError):
                client.get("/api/v2/deals")
            assert (
                client.get("/api/v2/deals", headers={"x-api-token": "nope-nope"}).status_code == 401
            )
            stats = client.get("/_emulator/stats").json()
    assert stats["total_requests"] == 3
    assert stats["faults_injected"] == {"reset": 1}
    assert stats["responses_401"] == 1
