"""History, mail and per-entity relation operations: seeded data consistent with the records,
side effects of writes (flow, changelog, conversions), and what writes must not touch."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.records import lead_uuid
from pdsync.emulator.resources.person_product import DealsByProduct
from pdsync.emulator.timefmt import v1_time


@pytest.fixture
def emu() -> Emulator:
    return Emulator(EmulatorConfig(deals=200, rate_limits=False))


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    headers = {"x-api-token": emu.config.token}
    with httpx.Client(transport=emu.transport(), base_url="http://e", headers=headers) as c:
        yield c


def data(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()["data"]


def changelog(client: httpx.Client, path: str) -> list[dict[str, Any]]:
    return data(client.get(f"/api/v1/{path}/changelog", params={"limit": 500}))  # type: ignore[no-any-return]


def test_seeded_deal_history_agrees_with_every_deal(client: httpx.Client, emu: Emulator) -> None:
    checked = 0
    for deal_id in range(1, 201):
        deal = emu.store.get("deal", deal_id, custom=False)
        assert deal is not None
        if deal["is_deleted"]:
            continue
        entries = changelog(client, f"deals/{deal_id}")  # newest first
        times = [e["time"] for e in entries]
        assert times == sorted(times, reverse=True)
        assert entries[0]["time"] == v1_time(deal["update_time"]), deal_id
        assert min(times) >= v1_time(deal["add_time"])  # type: ignore[operator]
        moves = [e for e in entries if e["field_key"] == "stage_id"]
        assert moves, f"deal {deal_id} has no stage history"
        assert moves[0]["new_value"] == str(deal["stage_id"])
        assert moves[0]["time"] == v1_time(deal["stage_change_time"])
        chain = [m["new_value"] for m in reversed(moves)]
        assert [m["old_value"] for m in reversed(moves)][1:] == chain[:-1]  # one path
        status = [e for e in entries if e["field_key"] == "status"]
        closed = deal["won_time"] or deal["lost_time"]
        if closed:
            assert status[0]["new_value"] == deal["status"]
            assert status[0]["time"] == v1_time(closed)
        else:
            assert not status
        checked += 1
    assert checked > 150


def test_stage_change_shows_in_flow_and_changelog(client: httpx.Client) -> None:
    before = data(client.get("/api/v2/deals/4"))
    new_stage = next(s for s in data(client.get("/api/v2/stages")) if s["id"] != before["stage_id"])
    after = data(client.patch("/api/v2/deals/4", json={"stage_id": new_stage["id"], "value": 1234}))
    flow = data(client.get("/api/v1/deals/4/flow", params={"items": "change"}))
    top = {f["data"]["field_key"]: f for f in flow if f["timestamp"] == flow[0]["timestamp"]}
    stage = top["stage_id"]
    assert stage["object"] == "dealChange"
    assert (stage["data"]["old_value"], stage["data"]["new_value"]) == (
        before["stage_id"],
        new_stage["id"],
    )
    assert stage["data"]["additional_data"]["new_value_formatted"] == new_stage["name"]
    update_time = after["update_time"].replace("T", " ").rstrip("Z")
    assert stage["timestamp"] == update_time
    entries = changelog(client, "deals/4")
    value = next(e for e in entries if e["field_key"] == "value")
    assert (value["old_value"], value["new_value"]) == (str(int(before["value"])), "1234")
    assert value["time"] == update_time and value["actor_user_id"] == 1
    assert value["change_source"] == "api"
    assert not any(e["field_key"] == "update_time" for e in entries)


def test_person_changelog_records_custom_fields_only_with_all_changes(client: httpx.Client) -> None:
    field = next(f for f in data(client.get("/api/v2/personFields")) if f["field_type"] == "varchar"
                 and f.get("is_custom_field"))  # fmt: skip
    client.patch("/api/v2/persons/9", json={"custom_fields": {field["field_code"]: "new text"}})
    keys = [e["field_key"] for e in changelog(client, "persons/9")]
    assert field["field_code"] in keys
    plain = data(client.get("/api/v1/persons/9/flow"))
    every = data(client.get("/api/v1/persons/9/flow", params={"all_changes": "1"}))
    assert field["field_code"] not in {f["data"].get("field_key") for f in plain}
    assert field["field_code"] in {f["data"].get("field_key") for f in every}


def test_lead_conversion_runs_async_then_creates_the_deal(
    client: httpx.Client, emu: Emulator
) -> None:
    lead_id = lead_uuid(emu.store.seed, 4)
    lead = data(client.get(f"/api/v1/leads/{lead_id}"))
    job = data(client.post(f"/api/v2/leads/{lead_id}/convert/deal", json={"pipeline_id": 2}))
    deals_before = len(emu.store.tables["deal"])
    assert client.get(f"/api/v1/leads/{lead_id}").status_code == 200  # nothing happens yet
    url = f"/api/v2/leads/{lead_id}/convert/status/{job['conversion_id']}"
    first = data(client.get(url))
    assert first["status"] in ("not_started", "running") and "deal_id" not in first
    assert len(emu.store.tables["deal"]) == deals_before
    statuses = [first["status"]] + [data(client.get(url))["status"] for _ in range(3)]
    assert statuses[-1] == "completed"
    done = data(client.get(url))
    deal = data(client.get(f"/api/v2/deals/{done['deal_id']}"))
    assert deal["title"] == lead["title"] and deal["pipeline_id"] == 2
    assert deal["person_id"] == lead["person_id"]
    assert client.get(f"/api/v1/leads/{lead_id}").status_code == 404
    assert client.post(f"/api/v2/leads/{lead_id}/convert/deal", json={}).status_code == 404


def test_deal_conversion_marks_the_deal_deleted(client: httpx.Client) -> None:
    job = data(client.post("/api/v2/deals/10/convert/lead"))
    url = f"/api/v2/deals/10/convert/status/{job['conversion_id']}"
    while (status := data(client.get(url)))["status"] != "completed":
        assert status["status"] in ("not_started", "running")
    lead = data(client.get(f"/api/v1/leads/{status['lead_id']}"))
    assert lead["source_deal_id"] == 10
    assert data(client.get("/api/v2/deals/10"))["is_deleted"] is True
    other = "00000000-0000-4000-a000-000000000000"
    assert client.get(f"/api/v2/deals/10/convert/status/{other}").status_code == 404


def test_discounts_and_installments_change_only_their_deal(client: httpx.Client) -> None:
    deal = data(client.get("/api/v2/deals/2"))
    neighbour = data(client.get("/api/v2/deals/3"))
    products = data(client.get("/api/v2/deals/2/products"))
    made = client.post("/api/v2/deals/2/discounts",
                       json={"description": "Volume", "amount": 15, "type": "percentage"})  # fmt: skip
    assert made.status_code == 201
    discount = made.json()["data"]
    after = data(client.get("/api/v2/deals/2"))
    assert {k: v for k, v in after.items() if k != "update_time"} == {
        k: v for k, v in deal.items() if k != "update_time"
    }
    assert after["update_time"] > deal["update_time"]
    assert data(client.get("/api/v2/deals/3")) == neighbour
    assert data(client.get("/api/v2/deals/2/products")) == products
    assert data(client.get("/api/v2/deals/3/discounts")) == data(
        client.get("/api/v2/deals/3/discounts")
    )
    assert discount["id"] in [d["id"] for d in data(client.get("/api/v2/deals/2/discounts"))]
    bad = client.patch(f"/api/v2/deals/2/discounts/{discount['id']}", json={"amount": 150})
    assert bad.status_code == 400  # a percentage above 100
    assert client.get("/api/v2/deals/987654/discounts").status_code == 404
    plan = data(client.post("/api/v2/deals/2/installments",
                            json={"description": "Q1", "amount": 99.5, "billing_date": "2027-01-15"}))  # fmt: skip
    listed = data(client.get("/api/v2/deals/installments", params={"deal_ids": "2,3"}))
    assert plan in listed and all(i["deal_id"] in (2, 3) for i in listed)
    bad_date = {"description": "x", "amount": 1, "billing_date": "2027-02-30"}
    assert client.post("/api/v2/deals/2/installments", json=bad_date).status_code == 400


def test_v1_and_v2_followers_share_one_list_and_log(client: httpx.Client) -> None:
    following = {f["user_id"] for f in data(client.get("/api/v2/deals/5/followers"))}
    user = min({1, 2, 3, 4, 5} - following)
    added = data(client.post("/api/v1/deals/5/followers", json={"user_id": user}))
    assert user in [f["user_id"] for f in data(client.get("/api/v2/deals/5/followers"))]
    assert client.delete(f"/api/v1/deals/5/followers/{added['id']}").is_success
    assert user not in [f["user_id"] for f in data(client.get("/api/v2/deals/5/followers"))]
    assert client.post("/api/v2/deals/5/followers", json={"user_id": user}).status_code == 201
    log = data(client.get("/api/v2/deals/5/followers/changelog"))
    assert [(e["action"], e["follower_user_id"]) for e in log[:3]] == [
        ("added", user), ("removed", user), ("added", user)
    ]  # fmt: skip
    assert client.post("/api/v1/deals/5/followers", json={"user_id": 999}).status_code == 400


def test_participant_changes_are_logged(client: httpx.Client) -> None:
    row = data(client.post("/api/v1/deals/6/participants", json={"person_id": 11}))
    client.delete(f"/api/v1/deals/6/participants/{row['id']}")
    log = data(client.get("/api/v1/deals/6/participantsChangelog"))
    assert [(e["action"], e["person_id"]) for e in log[:2]] == [("removed", 11), ("added", 11)]


def test_mail_links_threads_to_deals_and_their_persons(client: httpx.Client, emu: Emulator) -> None:
    thread = data(client.get("/api/v1/mailbox/mailThreads/7"))
    deal = emu.store.get("deal", thread["deal_id"], custom=False)
    assert deal is not None and thread["deal_id"] == 14
    messages = data(client.get("/api/v1/mailbox/mailThreads/7/mailMessages"))
    assert len(messages) == thread["message_count"]
    of_person = data(client.get(f"/api/v1/persons/{deal['person_id']}/mailMessages"))
    assert {m["id"] for m in messages} <= {m["data"]["id"] for m in of_person}
    of_deal = data(client.get("/api/v1/deals/14/mailMessages"))
    assert [m["data"]["id"] for m in of_deal] == sorted((m["id"] for m in messages), reverse=True)
    assert client.delete("/api/v1/mailbox/mailThreads/7").is_success
    assert client.get("/api/v1/mailbox/mailThreads/7").status_code == 404
    assert data(client.get("/api/v1/deals/14/mailMessages")) == []
    inbox = data(
        client.get("/api/v1/mailbox/mailThreads", params={"folder": "inbox", "limit": 500})
    )
    assert 7 not in [t["id"] for t in inbox] and all(t["folders"] == ["inbox"] for t in inbox)


def test_call_log_logs_a_done_call_activity(client: httpx.Client) -> None:
    body = {"to_phone_number": "+3725551111", "outcome": "connected", "deal_id": 12,
            "start_time": "2026-11-03 10:00:00", "end_time": "2026-11-03 10:12:00"}  # fmt: skip
    log = data(client.post("/api/v1/callLogs", json=body))
    activity = data(client.get(f"/api/v2/activities/{log['activity_id']}"))
    assert (activity["type"], activity["done"], activity["deal_id"]) == ("call", True, 12)
    assert activity["duration"] == "00:12"
    assert log["id"] in [
        c["id"] for c in data(client.get("/api/v1/callLogs", params={"limit": 50}))
    ]
    backwards = {**body, "end_time": "2026-11-03 09:00:00"}
    assert client.post("/api/v1/callLogs", json=backwards).status_code == 400


def test_deals_by_product_index_agrees_with_deal_products(emu: Emulator) -> None:
    index = DealsByProduct(emu.store)
    expected: dict[int, list[int]] = {}
    for deal_id in range(1, 201):
        for row in emu.store.relations.children("deal_product", "deal", deal_id):
            expected.setdefault(row["product_id"], []).append(deal_id)
    for product_id in range(1, emu.store.counts.product + 1):
        assert index.deal_ids(product_id) == sorted(set(expected.get(product_id, []))), product_id


def test_note_comments_round_trip(client: httpx.Client) -> None:
    made = data(client.post("/api/v1/notes/8/comments", json={"content": "<p>Hi</p>"}))
    listed = data(client.get("/api/v1/notes/8/comments"))
    assert made["uuid"] in [c["uuid"] for c in listed]
    edited = data(
        client.put(f"/api/v1/notes/8/comments/{made['uuid']}", json={"content": "<p>Yo</p>"})
    )
    assert edited["content"] == "<p>Yo</p>"
    assert client.put(f"/api/v1/notes/8/comments/{made['uuid']}", json={}).status_code == 400
    assert client.get("/api/v1/notes/987654/comments").status_code == 404
