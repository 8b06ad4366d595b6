"""Listing semantics, determinism, data shape and input errors, in-process (no sockets)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.fields import CREATABLE_TYPES, CUSTOM_FIELD_ENTITIES


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=300, rate_limits=False))


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    headers = {"x-api-token": emulator.config.token}
    with httpx.Client(transport=emulator.transport(), base_url="http://e", headers=headers) as c:
        yield c


def walk(c: httpx.Client, path: str, between: Any = None, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    while True:
        body = c.get(path, params={**params, **({"cursor": cursor} if cursor else {})}).json()
        rows += body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if not cursor:
            return rows
        if between is not None:
            between()


def test_same_seed_same_account_other_seed_other_account() -> None:
    first = Emulator(EmulatorConfig(deals=100, seed=7)).store
    again = Emulator(EmulatorConfig(deals=100, seed=7)).store
    other = Emulator(EmulatorConfig(deals=100, seed=8)).store
    assert first.get("deal", 42) == again.get("deal", 42)
    assert first.get("person", 9) == again.get("person", 9)
    assert first.get("deal", 42) != other.get("deal", 42)


def test_pages_join_to_the_whole_list_without_duplicates(client: httpx.Client) -> None:
    small_pages = walk(client, "/api/v2/deals", limit=37)
    one_page = client.get("/api/v2/deals", params={"limit": 500}).json()["data"]
    assert [d["id"] for d in small_pages] == [d["id"] for d in one_page]
    assert all(not d["is_deleted"] and not d["is_archived"] for d in one_page)


def test_update_time_cursor_is_stable_under_concurrent_writes(client: httpx.Client) -> None:
    expected = {d["id"] for d in walk(client, "/api/v2/persons", limit=500)}
    edited: list[int] = []

    def write_between_pages() -> None:
        victim = sorted(expected - set(edited))[len(edited)]
        client.patch(f"/api/v2/persons/{victim}", json={"name": f"Edited {victim}"})
        edited.append(victim)

    rows = walk(client, "/api/v2/persons", write_between_pages, limit=40, sort_by="update_time")
    ids = [r["id"] for r in rows]
    assert set(ids) == expected  # nothing skipped; edited records reappear at the end
    times = [r["update_time"] for r in rows]
    assert times == sorted(times)


def test_descending_sort_and_filters(client: httpx.Client) -> None:
    rows = client.get(
        "/api/v2/deals", params={"limit": 50, "sort_by": "add_time", "sort_direction": "desc"}
    ).json()["data"]
    assert [r["add_time"] for r in rows] == sorted((r["add_time"] for r in rows), reverse=True)
    won = walk(client, "/api/v2/deals", limit=500, status="won", pipeline_id=1)
    assert won and all(r["status"] == "won" and r["pipeline_id"] == 1 for r in won)
    owner = walk(client, "/api/v2/activities", limit=500, owner_id=2)
    assert owner and all(r["owner_id"] == 2 for r in owner)


@pytest.mark.parametrize(
    ("method", "path", "body", "message"),
    [
        ("GET", "/api/v2/deals?limit=501", None, "limit"),
        ("GET", "/api/v2/deals?cursor=%%%", None, "cursor"),
        ("GET", "/api/v2/deals?sort_by=title", None, "sort_by"),
        ("GET", "/api/v2/deals?updated_since=yesterday", None, "updated_since"),
        ("POST", "/api/v2/deals", {"title": "x", "value": "12"}, "value"),
        ("POST", "/api/v2/deals", {"title": "x", "custom_fields": {"nope": 1}}, "nope"),
        ("POST", "/api/v2/organizations", {}, "name"),
        ("PATCH", "/api/v2/stages/1", {"days_to_rotten": "ten"}, "days_to_rotten"),
    ],
)
def test_bad_input_is_a_400_envelope(
    client: httpx.Client, method: str, path: str, body: Any, message: str
) -> None:
    response = client.request(method, path, json=body)
    assert response.status_code == 400
    payload = response.json()
    assert payload["success"] is False and message in payload["error"]


def test_malformed_json_and_unknown_paths(client: httpx.Client) -> None:
    bad = client.post(
        "/api/v2/deals", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert bad.status_code == 400
    assert client.get("/api/v2/nothing").status_code == 404
    assert client.put("/api/v2/deals/1", json={}).status_code == 405


def test_custom_fields_cover_every_creatable_type(emulator: Emulator) -> None:
    for entity in CUSTOM_FIELD_ENTITIES:
        custom = [f for f in emulator.store.fields[entity] if f.is_custom]
        assert 20 <= len(custom) <= 40
        assert {f.field_type for f in custom} >= set(CREATABLE_TYPES)
        assert any("🚀" in f.name for f in custom) and any('"' in f.name for f in custom)


def test_v1_leads_notes_and_users_me(client: httpx.Client, emulator: Emulator) -> None:
    me = client.get("/v1/users/me").json()["data"]
    assert me["company_domain"] == emulator.config.company_domain and me["is_you"] is True
    leads = client.get("/v1/leads", params={"limit": 500}).json()["data"]
    archived = client.get("/v1/leads/archived", params={"limit": 500}).json()["data"]
    assert not {lead["id"] for lead in leads} & {lead["id"] for lead in archived}
    assert all(len(lead["id"]) == 36 for lead in leads)
    note = client.post("/v1/notes", json={"content": "<b>hi</b>", "deal_id": 1}).json()["data"]
    changed = client.get(
        "/v1/notes", params={"updated_since": note["update_time"], "limit": 500}
    ).json()["data"]
    assert [n["id"] for n in changed] == [note["id"]]


def test_mutate_endpoint_simulates_a_busy_account(client: httpx.Client) -> None:
    before = client.get("/api/v2/deals", params={"limit": 500}).json()["data"]
    since = max(d["update_time"] for d in before)
    done = client.post(
        "/_emulator/mutate", json={"object": "deal", "action": "update", "count": 5}
    ).json()
    changed = walk(client, "/api/v2/deals", limit=500, updated_since=since, sort_by="update_time")
    assert {d["id"] for d in changed} >= set(done["data"]["ids"])
    field = client.post(
        "/_emulator/mutate", json={"object": "person", "action": "add_field", "field_type": "enum"}
    )
    code = field.json()["data"]["field_code"]
    assert (
        code
        in client.get("/api/v2/persons", params={"limit": 1}).json()["data"][0]["custom_fields"]
    )


def test_cli_rejects_a_bad_size_with_a_hint() -> None:
    result = CliRunner().invoke(main, ["emulator", "serve", "--size", "huge"])
    assert result.exit_code == 2
    assert "size must be one of" in result.output
