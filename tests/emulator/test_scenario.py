"""The "Done when" scenario against a real emulator server, checked against the fact sheet."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, HTTPServer
from typing import Any, ClassVar

import httpx
import pytest

from pdsync.emulator.changes import ChangeEvent
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer


def client(srv: EmulatorServer) -> httpx.Client:
    return httpx.Client(base_url=srv.url, headers={"x-api-token": srv.config.token}, timeout=10)


def all_ids(c: httpx.Client, path: str, **params: Any) -> list[int]:
    ids: list[int] = []
    cursor = None
    while True:
        query = {**params, "limit": 500, **({"cursor": cursor} if cursor else {})}
        body = c.get(path, params=query).json()
        ids += [row["id"] for row in body["data"]]
        cursor = body["additional_data"]["next_cursor"]
        if not cursor:
            return ids


def live_deals(c: httpx.Client) -> list[int]:
    return [d["id"] for d in c.get("/api/v2/deals", params={"limit": 10}).json()["data"]]


def test_custom_field_appears_in_both_renderings(emulator_server: EmulatorServer) -> None:
    with client(emulator_server) as c:
        first, second = live_deals(c)[:2]
        created = c.post(
            "/api/v2/dealFields", json={"field_name": "Churn risk", "field_type": "double"}
        )
        key = created.json()["data"]["field_code"]
        assert len(key) == 40
        c.patch(f"/api/v2/deals/{first}", json={"custom_fields": {key: 0.25}}).raise_for_status()
        assert c.get(f"/api/v2/deals/{first}").json()["data"]["custom_fields"][key] == 0.25
        assert c.get(f"/v1/deals/{first}").json()["data"][key] == 0.25  # v1: flat on the root
        assert c.get(f"/api/v2/deals/{second}").json()["data"]["custom_fields"][key] is None
        v1_keys = [f["key"] for f in c.get("/v1/dealFields", params={"limit": 500}).json()["data"]]
        assert key in v1_keys


def test_update_moves_update_time_and_updated_since_finds_it(
    emulator_server: EmulatorServer,
) -> None:
    with client(emulator_server) as c:
        deal = live_deals(c)[3]
        before = c.get(f"/api/v2/deals/{deal}").json()["data"]
        after = c.patch(f"/api/v2/deals/{deal}", json={"title": "Renamed"}).json()["data"]
        assert after["update_time"] > before["update_time"]
        found = all_ids(
            c, "/api/v2/deals", updated_since=after["update_time"], sort_by="update_time"
        )
        assert found == [deal]
        assert deal not in all_ids(
            c,
            "/api/v2/deals",
            updated_until=after["update_time"],
            updated_since="2026-01-01T00:00:00Z",
        )


def test_delete_hides_from_lists_but_status_deleted_shows_it(
    emulator_server: EmulatorServer,
) -> None:
    with client(emulator_server) as c:
        deal = live_deals(c)[4]
        c.delete(f"/api/v2/deals/{deal}").raise_for_status()
        assert deal not in all_ids(c, "/api/v2/deals")
        assert deal in all_ids(c, "/api/v2/deals", status="deleted")
        got = c.get(f"/api/v2/deals/{deal}").json()["data"]
        assert got["is_deleted"] is True
        assert c.delete(f"/api/v2/deals/{deal}").status_code == 404
        assert c.get("/api/v2/deals/99999999").json() == {
            "success": False, "error": "Deal not found",
            "error_info": "Please check developers.pipedrive.com", "data": None, "additional_data": None,
        }  # fmt: skip


def test_archived_deals_only_on_archived_endpoint(emulator_server: EmulatorServer) -> None:
    with client(emulator_server) as c:
        archived = set(all_ids(c, "/api/v2/deals/archived"))
        listed = set(all_ids(c, "/api/v2/deals"))
        assert archived and not archived & listed


def test_merge_publishes_delete_and_change(emulator_server: EmulatorServer) -> None:
    events: list[ChangeEvent] = []
    emulator_server.emulator.store.add_listener(events.append)
    with client(emulator_server) as c:
        live = all_ids(c, "/api/v2/persons")[:2]
        loser, winner = live
        merged = c.put(f"/v1/persons/{loser}/merge", json={"merge_with_id": winner}).json()["data"]
        assert merged["id"] == winner and merged["merge_what_id"] == loser
        assert c.get(f"/api/v2/persons/{loser}").json()["data"]["is_deleted"] is True
    assert [(e.action, e.entity_id, e.extra_meta) for e in events] == [
        ("delete", loser, {"merged_to_id": winner}),
        ("change", winner, {"merged_from_id": loser}),
    ]
    assert events[1].current is not None and "custom_fields" in events[1].current


class _FlakyReceiver(BaseHTTPRequestHandler):
    calls: ClassVar[list[dict[str, Any]]] = []

    def do_POST(self) -> None:
        payload = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        type(self).calls.append({"auth": self.headers.get("Authorization"), "body": payload})
        self.send_response(500 if len(type(self).calls) == 1 else 200)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, format: str, *args: object) -> None:
        return


@pytest.fixture
def receiver() -> Any:
    _FlakyReceiver.calls = []
    server = HTTPServer(("127.0.0.1", 0), _FlakyReceiver)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def test_webhook_delivered_with_retry(receiver: HTTPServer) -> None:
    config = EmulatorConfig(deals=50, rate_limits=False, webhook_retry_delays=(0.01, 0.01, 0.01))
    with EmulatorServer(config) as srv, client(srv) as c:
        hook = {"subscription_url": f"http://127.0.0.1:{receiver.server_address[1]}/hook",
                "event_action": "change", "event_object": "deal", "name": "test",
                "http_auth_user": "u", "http_auth_password": "p"}  # fmt: skip
        assert c.post("/v1/webhooks", json=hook).status_code == 201
        deal = live_deals(c)[0]
        c.patch(f"/api/v2/deals/{deal}", json={"value": 4242}).raise_for_status()
        c.post("/_emulator/webhooks/wait", json={"timeout": 5})
    calls = _FlakyReceiver.calls
    assert len(calls) == 2  # first attempt failed with 500, the retry succeeded
    assert calls[0]["auth"] and calls[0]["auth"].startswith("Basic ")
    body = calls[1]["body"]
    assert body["meta"]["action"] == "change" and body["meta"]["entity_id"] == str(deal)
    assert body["meta"]["attempt"] == 2
    assert body["data"]["value"] == 4242 and "value" in body["previous"]


def test_burst_limit_answers_429_with_headers() -> None:
    with EmulatorServer(EmulatorConfig(deals=50, plan="lite")) as srv, client(srv) as c:
        statuses = [c.get("/api/v2/deals", params={"limit": 1}) for _ in range(25)]
    limited = [r for r in statuses if r.status_code == 429]
    assert limited, "lite plan allows 20 requests per 2 s"
    assert limited[0].headers.get("retry-after")
    assert statuses[0].headers["x-ratelimit-limit"] == "20"
    assert limited[0].json()["success"] is False


def test_daily_budget_exhausted_until_reset() -> None:
    config = EmulatorConfig(deals=50, daily_budget=30, plan="ultimate")
    with EmulatorServer(config) as srv, client(srv) as c:
        codes = [c.get("/api/v2/deals", params={"limit": 1}).status_code for _ in range(5)]
        assert codes[:3] == [200, 200, 200] and codes[3:] == [429, 429]  # list costs 10 tokens
        c.post("/_emulator/budget/reset").raise_for_status()
        assert c.get("/api/v2/deals", params={"limit": 1}).status_code == 200
