"""v2 search against the emulator: exact and partial matches, fields, filters, paging, writes."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    emu = Emulator(EmulatorConfig(deals=400, rate_limits=False))
    headers = {"x-api-token": emu.config.token}
    with httpx.Client(transport=emu.transport(), base_url="http://e", headers=headers) as c:
        yield c


def search(client: httpx.Client, path: str, **params: Any) -> dict[str, Any]:
    response = client.get(f"/api/v2/{path}", params=params)
    assert response.status_code == 200, response.text
    data: dict[str, Any] = response.json()
    return data


def live_person_ids(client: httpx.Client, n: int) -> list[int]:
    return [p["id"] for p in client.get("/api/v2/persons", params={"limit": n}).json()["data"]]


def ids(payload: dict[str, Any]) -> list[Any]:
    return [entry["item"]["id"] for entry in payload["data"]["items"]]


def test_exact_email_finds_exactly_that_person(client: httpx.Client) -> None:
    pid = live_person_ids(client, 7)[-1]
    person = client.get(f"/api/v2/persons/{pid}").json()["data"]
    email = person["emails"][0]["value"].upper()  # case-insensitive
    found = search(client, "persons/search", term=email, fields="email", exact_match="true")
    assert pid in ids(found)
    item = found["data"]["items"][0]["item"]
    assert item["type"] == "person" and isinstance(item["emails"][0], str)
    assert all(email.lower() in [e.lower() for e in entry["item"]["emails"]]
               for entry in found["data"]["items"])  # fmt: skip


def test_partial_match_ranks_whole_value_first(client: httpx.Client) -> None:
    created = client.post("/api/v2/organizations", json={"name": "Zyxwv"}).json()["data"]
    client.post("/api/v2/organizations", json={"name": "Zyxwv Holdings"})
    found = search(client, "organizations/search", term="zyxw", fields="name")
    assert len(found["data"]["items"]) == 2
    exact = search(client, "organizations/search", term="zyxwv", fields="name")
    assert ids(exact)[0] == created["id"]
    scores = [entry["result_score"] for entry in exact["data"]["items"]]
    assert scores == sorted(scores, reverse=True) and scores[0] > scores[1]


def test_custom_field_exact_match_follows_writes(client: httpx.Client) -> None:
    field = client.post(
        "/api/v2/personFields", json={"field_name": "User id", "field_type": "varchar"}
    ).json()["data"]
    code = field["field_code"]
    pid = live_person_ids(client, 12)[-1]
    client.patch(f"/api/v2/persons/{pid}", json={"custom_fields": {code: "u-4711"}})
    params = {"term": "u-4711", "fields": "custom_fields", "exact_match": "true"}
    found = search(client, "persons/search", **params)
    assert ids(found) == [pid]
    assert found["data"]["items"][0]["item"]["custom_fields"] == ["u-4711"]
    assert ids(search(client, "persons/search", **{**params, "term": "u-471"})) == []
    client.patch(f"/api/v2/persons/{pid}", json={"custom_fields": {code: "u-9999"}})
    assert ids(search(client, "persons/search", **params)) == []
    client.delete(f"/api/v2/persons/{pid}")
    assert ids(search(client, "persons/search", **{**params, "term": "u-9999"})) == []


def test_deleted_records_are_not_found(client: httpx.Client) -> None:
    pid = live_person_ids(client, 20)[-1]
    person = client.get(f"/api/v2/persons/{pid}").json()["data"]
    params = {"term": person["name"], "fields": "name", "exact_match": "true"}
    assert pid in ids(search(client, "persons/search", **params))
    client.delete(f"/api/v2/persons/{pid}")
    assert pid not in ids(search(client, "persons/search", **params))


def test_deal_filters_and_item_shape(client: httpx.Client) -> None:
    found = search(client, "deals/search", term="pro", status="won", limit=20)
    assert found["data"]["items"]
    for entry in found["data"]["items"]:
        item = entry["item"]
        assert item["status"] == "won" and set(item["stage"]) == {"id", "name"}
    deal = client.get("/api/v2/deals/5").json()["data"]
    by_person = search(client, "deals/search", term=deal["title"][:6], person_id=deal["person_id"])
    assert ids(by_person) and all(e["item"]["person"]["id"] == deal["person_id"]
                                  for e in by_person["data"]["items"])  # fmt: skip


def test_notes_field_finds_the_parent(client: httpx.Client) -> None:
    pid = live_person_ids(client, 9)[-1]
    client.post("/api/v1/notes", json={"content": "<p>Quokka <b>budget</b></p>", "person_id": pid})
    found = search(client, "persons/search", term="quokka budget", fields="notes")
    assert ids(found) == [pid]
    assert found["data"]["items"][0]["item"]["notes"] == ["Quokka budget"]


def test_cursor_pages_join_to_the_whole_result(client: httpx.Client) -> None:
    whole = ids(search(client, "persons/search", term="an", limit=500))
    assert len(whole) > 30
    seen: list[Any] = []
    params: dict[str, Any] = {"term": "an", "limit": 7}
    while True:
        page = search(client, "persons/search", **params)
        seen += ids(page)
        cursor = page["additional_data"]["next_cursor"]
        if not cursor:
            break
        params["cursor"] = cursor
    assert seen == whole


def test_item_search_mixes_types_and_limits(client: httpx.Client) -> None:
    found = search(client, "itemSearch", term="acme", item_types="organization,deal", limit=50)
    types = {entry["item"]["type"] for entry in found["data"]["items"]}
    assert types <= {"organization", "deal"} and types
    assert (
        client.get("/api/v2/itemSearch", params={"term": "acme", "limit": 101}).status_code == 400
    )


def test_field_search_by_beginning(client: httpx.Client) -> None:
    found = search(client, "itemSearch/field", term="acm", entity_type="organization",
                   field="name", match="beginning")  # fmt: skip
    assert found["data"] and all(row["name"].lower().startswith("acm") for row in found["data"])


@pytest.mark.parametrize(
    ("params", "message"),
    [
        ({"term": "a"}, "at least 2 characters"),
        ({"term": "ab", "fields": "title"}, "Parameter 'fields'"),
        ({"term": "ab", "limit": 501}, "at most 500"),
        ({"term": "ab", "cursor": "%%%"}, "Invalid cursor"),
    ],
)
def test_bad_search_input_is_a_400(
    client: httpx.Client, params: dict[str, Any], message: str
) -> None:
    response = client.get("/api/v2/persons/search", params=params)
    assert response.status_code == 400 and message in response.json()["error"]


def test_one_char_term_works_with_exact_match(client: httpx.Client) -> None:
    client.post("/api/v2/products", json={"name": "Q", "code": "Q"})
    found = search(client, "products/search", term="q", exact_match="true", fields="code")
    assert [e["item"]["code"] for e in found["data"]["items"]] == ["Q"]
