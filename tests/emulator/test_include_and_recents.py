"""``include_fields``: every value the v2 spec lists is served, realistically; and
``/v1/recents`` answers all 12 ``items`` types with rows shaped as the spec says."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig

from .in_process import client_for
from .openapi_schemas import V2, load
from .test_conformance import validate

SINCE = {"since_timestamp": "2000-01-01 00:00:00"}


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=120, rate_limits=False))


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as c:
        yield c


def spec_include_fields() -> dict[str, list[str]]:
    """Spec path -> the ``include_fields`` values it lists (single values, not combos)."""
    found: dict[str, list[str]] = {}
    for path, ops in load(V2)["paths"].items():
        for param in ops.get("get", {}).get("parameters", []):
            if isinstance(param, dict) and param.get("name") == "include_fields":
                values = param.get("schema", {}).get("enum", [])
                found[path] = sorted({v for value in values for v in value.split(",")})
    return found


SERVED = ("/deals", "/deals/archived", "/deals/{id}", "/persons", "/persons/{id}",
          "/organizations", "/organizations/{id}", "/activities", "/activities/{id}")  # fmt: skip


@pytest.mark.parametrize("path", SERVED)
def test_every_include_fields_value_the_spec_lists_is_served(
    client: httpx.Client, path: str
) -> None:
    values = spec_include_fields()[path]
    assert values, path
    url = "/api/v2" + path.replace("{id}", "2")
    response = client.get(url, params={"include_fields": ",".join(values), "limit": 50})
    assert response.status_code == 200, response.text
    payload = response.json()
    validate("GET", "/api/v2" + path, 200, payload)
    rows = payload["data"] if isinstance(payload["data"], list) else [payload["data"]]
    assert rows
    for row in rows:
        assert set(values) <= set(row), sorted(set(values) - set(row))
    for value in values:  # one at a time too: nothing depends on a neighbour
        assert client.get(url, params={"include_fields": value}).status_code == 200


def test_fields_endpoints_accept_their_include_fields(client: httpx.Client) -> None:
    for path, values in spec_include_fields().items():
        if path.endswith("Fields"):
            for value in values:
                response = client.get("/api/v2" + path, params={"include_fields": value})
                assert response.status_code == 200, (path, value, response.text)


@pytest.mark.parametrize(("path", "key"), [("deals", "deal_id"), ("persons", "person_id"),
                                           ("organizations", "org_id")])  # fmt: skip
def test_done_and_undone_counts_agree_with_the_activity_list(
    client: httpx.Client, path: str, key: str
) -> None:
    names = "activities_count,done_activities_count,undone_activities_count"
    parents = client.get(f"/api/v2/{path}", params={"include_fields": names, "limit": 12}).json()
    checked = 0
    for parent in parents["data"]:
        listed = {}
        for done in ("true", "false"):
            params = {key: parent["id"], "done": done, "limit": 500}
            listed[done] = len(client.get("/api/v2/activities", params=params).json()["data"])
        assert parent["done_activities_count"] == listed["true"], parent["id"]
        assert parent["undone_activities_count"] == listed["false"], parent["id"]
        assert parent["activities_count"] == listed["true"] + listed["false"]
        checked += parent["activities_count"] > 0
    assert checked >= 3


def test_marking_an_activity_done_moves_the_counts(client: httpx.Client) -> None:
    names = {"include_fields": "done_activities_count,undone_activities_count"}
    undone = client.get("/api/v2/activities", params={"done": "false", "limit": 100}).json()
    activity = next(a for a in undone["data"] if a["deal_id"])
    before = client.get(f"/api/v2/deals/{activity['deal_id']}", params=names).json()["data"]
    assert (
        client.patch(f"/api/v2/activities/{activity['id']}", json={"done": True}).status_code == 200
    )
    after = client.get(f"/api/v2/deals/{activity['deal_id']}", params=names).json()["data"]
    assert after["done_activities_count"] == before["done_activities_count"] + 1
    assert after["undone_activities_count"] == before["undone_activities_count"] - 1


def test_attendees_of_meetings_and_written_attendees(client: httpx.Client) -> None:
    rows = client.get(
        "/api/v2/activities", params={"include_fields": "attendees", "limit": 200}
    ).json()["data"]
    meetings = [a for a in rows if a["type"] == "meeting" and a["participants"]]
    assert meetings and all(a["attendees"] == [] for a in rows if a["type"] != "meeting")
    for meeting in meetings:
        organizer, *invitees = meeting["attendees"]
        assert organizer["is_organizer"] and organizer["user_id"] == meeting["owner_id"]
        assert [i["person_id"] for i in invitees] == [
            p["person_id"] for p in meeting["participants"]
        ]
        assert all(i["email"] and "@" in i["email"] for i in invitees)
    written = [{"email": "guest@example.com", "name": "Guest"}, {"person_id": 3}]
    created = client.post("/api/v2/activities", json={"subject": "Demo", "type": "meeting",
                                                      "attendees": written}).json()["data"]  # fmt: skip
    assert "attendees" not in created  # opt-in: only when asked
    shown = client.get(
        f"/api/v2/activities/{created['id']}", params={"include_fields": "attendees"}
    )
    attendees = shown.json()["data"]["attendees"]
    assert [a["email"] for a in attendees] == ["guest@example.com", None]
    assert attendees[1]["person_id"] == 3 and attendees[0]["is_organizer"] is False


def test_recents_answers_all_twelve_item_types(emulator: Emulator, client: httpx.Client) -> None:
    # One change of each kind (users and filters have no write route here: the store).
    client.post("/api/v1/activityTypes", json={"name": "Demo", "icon_key": "presentation"})
    client.put("/api/v1/files/2", json={"name": "renamed.pdf"})
    emulator.store.update("filter", 1, {"name": "Renamed filter"})
    client.post("/api/v2/pipelines", json={"name": "Recent pipeline"})
    client.post("/api/v2/stages", json={"name": "Recent stage", "pipeline_id": 1})
    emulator.store.update("user", 2, {"name": "Renamed User"})
    client.patch("/api/v2/deals/3", json={"title": "Recent deal"})
    client.patch("/api/v2/persons/3", json={"name": "Recent person"})
    client.patch("/api/v2/organizations/3", json={"name": "Recent org"})
    client.patch("/api/v2/products/3", json={"name": "Recent product"})
    client.patch("/api/v2/activities/3", json={"subject": "Recent activity"})
    client.put("/api/v1/notes/3", json={"content": "<p>Recent note</p>"})
    items = ("activity", "activityType", "deal", "file", "filter", "note", "person",
             "organization", "pipeline", "product", "stage", "user")  # fmt: skip
    for item in items:
        response = client.get("/api/v1/recents", params={**SINCE, "items": item, "limit": 500})
        assert response.status_code == 200, (item, response.text)
        payload = response.json()
        validate("GET", "/api/v1/recents", 200, payload)
        assert payload["data"], item
        assert {row["item"] for row in payload["data"]} == {item}
        assert all(row["data"] is None or row["data"]["id"] == row["id"] for row in payload["data"])
    every = client.get("/api/v1/recents", params={**SINCE, "items": ",".join(items), "limit": 500})
    assert {row["item"] for row in every.json()["data"]} == set(items)
    user = client.get("/api/v1/recents", params={**SINCE, "items": "user"}).json()["data"]
    assert [row["data"]["name"] for row in user] == ["Renamed User"]
    unknown = client.get("/api/v1/recents", params={**SINCE, "items": "deal,mailbox"})
    assert unknown.status_code == 400 and "mailbox" in unknown.json()["error"]


def rows_of(payload: dict[str, Any]) -> list[dict[str, Any]]:
    return payload["data"] or []


@pytest.mark.parametrize(("path", "key"), [("deals", "deal_id"), ("persons", "person_id"),
                                           ("organizations", "org_id")])  # fmt: skip
def test_next_and_last_activity_follow_the_activity_list(
    client: httpx.Client, path: str, key: str
) -> None:
    names = {"include_fields": "next_activity_id,last_activity_id", "limit": 15}
    parents = client.get(f"/api/v2/{path}", params=names).json()["data"]
    seen = 0
    for parent in parents:
        listed = client.get("/api/v2/activities", params={key: parent["id"], "limit": 500}).json()
        activities = listed["data"]
        undone = sorted((a for a in activities if not a["done"]),
                        key=lambda a: (a["due_date"] is None, a["due_date"] or "", a["due_time"] or "", a["id"]))  # fmt: skip
        done = sorted((a for a in activities if a["done"]),
                      key=lambda a: (a["due_date"] or "", a["due_time"] or "", -a["id"]))  # fmt: skip
        assert parent["next_activity_id"] == (undone[0]["id"] if undone else None), parent["id"]
        assert parent["last_activity_id"] == (done[-1]["id"] if done else None), parent["id"]
        seen += bool(activities)
    assert seen >= 3
    # A new undone activity due before all others becomes the next one.
    target = parents[0]["id"]
    made = client.post("/api/v2/activities", json={"subject": "First", key: target,
                                                   "due_date": "2000-01-01"}).json()["data"]  # fmt: skip
    if key == "person_id":  # v2 links an activity to a person through its participants
        made = client.patch(f"/api/v2/activities/{made['id']}",
                            json={"participants": [{"person_id": target, "primary": True}]}).json()["data"]  # fmt: skip
    again = client.get(f"/api/v2/{path}/{target}", params=names).json()["data"]
    assert again["next_activity_id"] == made["id"]
