"""Legacy v1 operations against the emulator: writes share the store and the checks of v2
(visible both ways), bulk deletes, cursor collections, v1 search and v1 deal products."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.costs import CostTable

from .in_process import client_for

REGULAR = "regular-user-token"  # user 2, not an administrator


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=300, rate_limits=False, extra_tokens={REGULAR: 2}))


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as c:
        yield c


def custom_key(emulator: Emulator, entity: str, field_type: str) -> str:
    return next(
        f.key
        for f in emulator.store.fields[entity]
        if f.is_custom and not f.is_deleted and f.field_type == field_type
    )


def data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def test_v1_deal_write_is_a_v2_deal_and_back(emulator: Emulator, client: httpx.Client) -> None:
    text, money = custom_key(emulator, "deal", "varchar"), custom_key(emulator, "deal", "monetary")
    body = {"title": "From v1", "value": "1250.5", "user_id": 3, "label": "1,2", "visible_to": "3",
            text: "flat text", money: 900, f"{money}_currency": "USD"}  # fmt: skip
    created = data(client.post("/api/v1/deals", json=body), 201)
    assert created["user_id"]["id"] == 3 and created["value"] == 1250.5
    v2 = data(client.get(f"/api/v2/deals/{created['id']}"))
    assert (v2["owner_id"], v2["value"], v2["label_ids"]) == (3, 1250.5, [1, 2])
    assert v2["custom_fields"][text] == "flat text"
    assert v2["custom_fields"][money] == {"value": 900, "currency": "USD"}
    data(client.patch(f"/api/v2/deals/{created['id']}", json={"title": "Renamed in v2"}))
    v1 = data(client.get(f"/api/v1/deals/{created['id']}"))
    assert v1["title"] == "Renamed in v2" and v1[text] == "flat text"
    assert v1[f"{money}_currency"] == "USD"


def test_v1_writes_take_the_v2_checks(emulator: Emulator, client: httpx.Client) -> None:
    number = custom_key(emulator, "deal", "double")
    refused = client.post("/api/v1/deals", json={"title": "Bad", number: "not a number"})
    assert refused.status_code == 400 and number in refused.json()["error"]
    assert client.post("/api/v1/persons", json={"email": "x@example.com"}).status_code == 400
    assert client.put("/api/v1/deals/1", json={"stage_id": 987654}).status_code == 400
    # A form-encoded v1 body carries every value as text; numbers and flags are read as such.
    form = client.post("/api/v1/activities", data={"subject": "Form call", "done": "1",
                                                   "deal_id": "2", "person_id": "5"})  # fmt: skip
    activity = data(form, 201)
    v2 = data(client.get(f"/api/v2/activities/{activity['id']}"))
    assert (v2["done"], v2["deal_id"], v2["person_id"]) == (True, 2, 5)


def test_v1_person_contacts_and_v2_update(client: httpx.Client) -> None:
    person = data(client.post("/api/v1/persons", json={"name": "Vee One", "email": "v1@example.com",
                                                        "phone": ["+372 5550 0001"], "label": 2}), 201)  # fmt: skip
    v2 = data(client.get(f"/api/v2/persons/{person['id']}"))
    assert [e["value"] for e in v2["emails"]] == ["v1@example.com"] and v2["emails"][0]["primary"]
    assert v2["phones"][0]["value"] == "+372 5550 0001" and v2["label_ids"] == [2]
    patch = {"emails": [{"value": "new@example.com", "primary": True}]}
    data(client.patch(f"/api/v2/persons/{person['id']}", json=patch))
    v1 = data(client.get(f"/api/v1/persons/{person['id']}"))
    assert [e["value"] for e in v1["email"]] == ["new@example.com"]


def test_bulk_delete_is_all_or_nothing(client: httpx.Client) -> None:
    made = [data(client.post("/api/v1/organizations", json={"name": f"Bulk {n}"}), 201)["id"] for n in range(3)]  # fmt: skip
    ids = ",".join(str(i) for i in made[:2])
    assert data(client.delete(f"/api/v1/organizations?ids={ids}")) == {"id": made[:2]}
    assert all(data(client.get(f"/api/v2/organizations/{i}"))["is_deleted"] for i in made[:2])
    # One already deleted: nothing is deleted, the third stays.
    again = client.delete(f"/api/v1/organizations?ids={made[1]},{made[2]}")
    assert again.status_code == 404
    assert not data(client.get(f"/api/v2/organizations/{made[2]}"))["is_deleted"]
    assert client.delete("/api/v1/organizations").status_code == 400


def test_collection_pages_through_every_live_deal(client: httpx.Client) -> None:
    def every(path: str, **params: Any) -> list[dict[str, Any]]:
        rows: list[dict[str, Any]] = []
        while True:
            body = client.get(path, params=params).json()
            rows += body["data"]
            if not body["additional_data"]["next_cursor"]:
                return rows
            params["cursor"] = body["additional_data"]["next_cursor"]

    collected = every("/api/v1/deals/collection", limit=37)
    v2 = every("/api/v2/deals", limit=100)
    assert [d["id"] for d in collected] == [d["id"] for d in v2]
    assert all(isinstance(d["user_id"], int) for d in collected)


def test_v1_search_pages_the_v2_results(client: httpx.Client) -> None:
    v2 = client.get("/api/v2/persons/search", params={"term": "an", "limit": 500}).json()
    expected = [i["item"]["id"] for i in v2["data"]["items"]]
    assert len(expected) > 10
    seen: list[int] = []
    start = 0
    while True:
        body = client.get("/api/v1/persons/search", params={"term": "an", "start": start, "limit": 7}).json()  # fmt: skip
        seen += [i["item"]["id"] for i in body["data"]["items"]]
        pagination = body["additional_data"]["pagination"]
        if not pagination["more_items_in_collection"]:
            break
        start = pagination["next_start"]
    assert seen == expected


def test_v1_deal_products_are_the_v2_ones(client: httpx.Client) -> None:
    added = data(client.post("/api/v1/deals/5/products", json={"product_id": 2, "item_price": "20", "quantity": 3}))  # fmt: skip
    assert added["product_attachment_id"] == added["id"] and added["sum"] == 60
    data(client.patch(f"/api/v2/deals/5/products/{added['id']}", json={"quantity": 4}))
    v1 = client.get("/api/v1/deals/5/products", params={"include_product_data": 1}).json()
    v2 = data(client.get("/api/v2/deals/5/products"))
    assert [(r["id"], r["quantity"], r["sum"]) for r in v1["data"]] == [
        (r["id"], r["quantity"], r["sum"]) for r in v2
    ]
    mine = next(r for r in v1["data"] if r["id"] == added["id"])
    assert mine["quantity"] == 4 and mine["sum"] == 80 and mine["product"]["id"] == 2
    assert v1["additional_data"]["products_quantity_total"] == round(sum(r["quantity"] for r in v2))
    data(client.delete(f"/api/v1/deals/5/products/{added['id']}"))
    assert added["id"] not in [r["id"] for r in data(client.get("/api/v2/deals/5/products"))]


def test_related_lists_follow_the_links(client: httpx.Client) -> None:
    deal = data(client.post("/api/v1/deals", json={"title": "Linked", "org_id": 4, "person_id": 6}), 201)  # fmt: skip
    org_deals = client.get("/api/v1/organizations/4/deals", params={"limit": 500}).json()
    assert deal["id"] in [d["id"] for d in org_deals["data"]]
    assert all(d["org_id"]["value"] == 4 for d in org_deals["data"])
    act = data(client.post("/api/v2/activities", json={"subject": "On it", "deal_id": deal["id"]}))
    listed = client.get(f"/api/v1/deals/{deal['id']}/activities").json()
    assert [a["id"] for a in listed["data"]] == [act["id"]]
    assert listed["additional_data"]["pagination"]["more_items_in_collection"] is False
    persons = data(client.get(f"/api/v1/deals/{deal['id']}/persons"))
    assert [p["id"] for p in persons] == [6]


def test_legacy_operations_cost_twice_their_v2_counterparts() -> None:
    table = CostTable.load()
    pairs = [("POST", "/api/v1/deals", "/api/v2/deals"),
             ("PUT", "/api/v1/persons/3", "/api/v2/persons/3"),
             ("DELETE", "/api/v1/organizations/3", "/api/v2/organizations/3"),
             ("GET", "/api/v1/deals/3/products", "/api/v2/deals/3/products"),
             ("GET", "/api/v1/itemSearch", "/api/v2/itemSearch")]  # fmt: skip
    for method, v1_path, v2_path in pairs:
        v2_method = "PATCH" if method == "PUT" else method
        old, new = table.lookup(method, v1_path), table.lookup(v2_method, v2_path)
        assert old.known and new.known, (v1_path, v2_path)
        assert old.cost == 2 * new.cost, (v1_path, old.cost, new.cost)


def test_teams_are_seeded_from_roles_and_kept_by_admins(client: httpx.Client) -> None:
    teams = data(client.get("/api/v1/legacyTeams"))
    members = sorted(u for t in teams for u in t["users"])
    assert teams and members == sorted({u["id"] for u in data(client.get("/api/v1/users"))})
    new = {"name": "Closers", "manager_id": 1, "users": [2]}
    denied = client.post("/api/v1/legacyTeams", json=new, headers={"x-api-token": REGULAR})
    assert denied.status_code == 403
    team = data(client.post("/api/v1/legacyTeams", json=new))
    assert data(client.post(f"/api/v1/legacyTeams/{team['id']}/users", json={"users": [4, 2]})) == [
        2,
        4,
    ]
    assert team["id"] in [t["id"] for t in data(client.get("/api/v1/legacyTeams/user/4"))]
    assert (
        client.post(f"/api/v1/legacyTeams/{team['id']}/users", json={"users": [999]}).status_code
        == 400
    )


def test_channel_messages_need_a_registered_channel(client: httpx.Client) -> None:
    message = {"id": "m1", "channel_id": "nope", "sender_id": "s", "conversation_id": "c",
               "message": "Hi", "status": "sent", "created_at": "2026-12-01 10:00"}  # fmt: skip
    refused = client.post("/api/v1/channels/messages/receive", json=message)
    assert refused.status_code == 400 and refused.json()["additional_data"]["code"] == "BAD_REQUEST"
    channel = data(
        client.post("/api/v1/channels", json={"name": "Inbox", "provider_channel_id": "p"})
    )
    message["channel_id"] = channel["id"]
    assert data(client.post("/api/v1/channels/messages/receive", json=message))["id"] == "m1"
    assert client.delete(f"/api/v1/channels/{channel['id']}").status_code == 200
    # Deleting the channel took its conversations with it.
    gone = client.delete(f"/api/v1/channels/{channel['id']}/conversations/c")
    assert gone.status_code == 404


def test_archived_reports_count_the_archived_list(client: httpx.Client) -> None:
    archived = client.get("/api/v1/deals/archived", params={"limit": 500}).json()["data"]
    v2 = data(client.get("/api/v2/deals/archived", params={"limit": 500}))
    assert archived and [d["id"] for d in archived] == [d["id"] for d in v2]
    summary = data(client.get("/api/v1/deals/summary/archived"))
    assert summary["total_count"] == len(archived)
    params: dict[str, str | int] = {"start_date": "2000-01-01", "interval": "quarter", "amount": 200, "field_key": "add_time"}  # fmt: skip
    timeline = data(client.get("/api/v1/deals/timeline/archived", params=params))
    assert sorted(d["id"] for d in timeline["deals"]) == sorted(d["id"] for d in archived)


def test_related_activities_follow_a_moved_activity(client: httpx.Client) -> None:
    before = data(client.get("/api/v1/deals/6/activities"))
    assert before, "deal 6 of the seed has activities"
    moved = before[0]["id"]
    data(client.patch(f"/api/v2/activities/{moved}", json={"deal_id": 7}))
    assert moved not in [a["id"] for a in data(client.get("/api/v1/deals/6/activities"))]
    assert moved in [a["id"] for a in data(client.get("/api/v1/deals/7/activities"))]
    v2 = data(client.get("/api/v2/activities", params={"deal_id": 7, "limit": 500}))
    assert sorted(a["id"] for a in v2) == sorted(
        a["id"] for a in data(client.get("/api/v1/deals/7/activities"))
    )
