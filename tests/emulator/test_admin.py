"""Behaviour of the account and administration operations: writes are seen by later reads
and by the related records, statistics agree with the deals listed by the API."""

from __future__ import annotations

import csv
from collections.abc import Iterator
from datetime import datetime, timezone
from importlib import resources
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.resources import admin
from pdsync.emulator.resources.deal_facts import deal_facts

OTHER_TOKEN = "regular-user-token"


@pytest.fixture
def emu() -> Emulator:
    return Emulator(EmulatorConfig(deals=400, rate_limits=False, extra_tokens={OTHER_TOKEN: 2}))


@pytest.fixture
def client(emu: Emulator) -> Iterator[httpx.Client]:
    headers = {"x-api-token": emu.config.token}
    with httpx.Client(transport=emu.transport(), base_url="http://e", headers=headers) as c:
        yield c


def data(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()["data"]


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    message: str = response.json()["error"]
    return message


def test_v1_field_writes_act_on_the_one_field_store(client: httpx.Client) -> None:
    added = data(client.post("/v1/dealFields", json={"name": "Tier", "field_type": "enum",
                                                     "options": [{"label": "A"}, {"label": "B"}]}))  # fmt: skip
    key = added["key"]
    v2_fields = {f["field_code"]: f for f in data(client.get("/api/v2/dealFields?limit=500"))}
    assert v2_fields[key]["field_name"] == "Tier"
    deal = data(client.get("/api/v2/deals/7"))
    assert key in deal["custom_fields"] and deal["custom_fields"][key] is None
    assert key in data(client.get("/v1/deals/7"))  # v1 flat custom field
    # Options are replaced whole: A is kept (relabelled), B left out is deleted, C is new.
    a_id = added["options"][0]["id"]
    changed = data(client.put(f"/v1/dealFields/{added['id']}",
                              json={"name": "Tier 2", "options": [{"id": a_id, "label": "A+"}, {"label": "C"}]}))  # fmt: skip
    assert [o["label"] for o in changed["options"]] == ["A+", "C"]
    assert changed["options"][0]["id"] == a_id
    v2_field = data(client.get(f"/api/v2/dealFields/{key}"))
    assert [o["label"] for o in v2_field["options"]] == ["A+", "C"]
    assert data(client.delete(f"/v1/dealFields/{added['id']}")) == {"id": added["id"]}
    assert client.get(f"/api/v2/dealFields/{key}").status_code == 404
    assert key not in data(client.get("/api/v2/deals/7"))["custom_fields"]
    assert "System field" in error(client.delete("/v1/dealFields/2"), 400)


def test_v1_bulk_field_delete_is_all_or_nothing(client: httpx.Client) -> None:
    ids = [data(client.post("/v1/personFields", json={"name": f"F{n}", "field_type": "varchar"}))["id"]
           for n in range(2)]  # fmt: skip
    assert "987654" in error(client.delete(f"/v1/personFields?ids={ids[0]},987654"), 404)
    listed = {f["id"] for f in data(client.get("/v1/personFields?limit=500"))}
    assert set(ids) <= listed
    assert data(client.delete(f"/v1/personFields?ids={ids[0]},{ids[1]}")) == {"id": ids}
    listed = {f["id"] for f in data(client.get("/v1/personFields?limit=500"))}
    assert not set(ids) & listed
    assert "'ids'" in error(client.delete("/v1/personFields"), 400)


def test_deleting_a_lead_label_removes_it_from_leads(client: httpx.Client) -> None:
    label = data(client.post("/v1/leadLabels", json={"name": "VIP", "color": "pink"}))
    other = data(client.get("/v1/leadLabels"))[0]["id"]
    lead = data(client.post("/v1/leads", json={"title": "L", "person_id": 1,
                                               "label_ids": [label["id"], other]}))  # fmt: skip
    renamed = data(client.patch(f"/v1/leadLabels/{label['id']}", json={"name": "VIP 2"}))
    assert renamed["name"] == "VIP 2" and renamed["color"] == "pink"
    assert data(client.delete(f"/v1/leadLabels/{label['id']}")) == {"id": label["id"]}
    assert data(client.get(f"/v1/leads/{lead['id']}"))["label_ids"] == [other]
    assert label["id"] not in [x["id"] for x in data(client.get("/v1/leadLabels"))]
    assert "'color'" in error(
        client.post("/v1/leadLabels", json={"name": "x", "color": "teal"}), 400
    )


def test_deleted_activity_type_stays_listed_inactive(client: httpx.Client) -> None:
    made = data(client.post("/v1/activityTypes", json={"name": "Demo", "icon_key": "camera"}))
    again = data(client.post("/v1/activityTypes", json={"name": "Demo", "icon_key": "camera"}))
    assert made["key_string"] != again["key_string"]
    updated = data(client.put(f"/v1/activityTypes/{made['id']}", json={"color": "00FF00"}))
    assert updated["color"] == "00FF00"
    deleted = data(client.delete(f"/v1/activityTypes/{made['id']}"))
    assert deleted["active_flag"] is False
    listed = {t["id"]: t for t in data(client.get("/v1/activityTypes"))}
    assert listed[made["id"]]["active_flag"] is False and listed[again["id"]]["active_flag"]
    assert client.put(f"/v1/activityTypes/{made['id']}", json={"name": "x"}).status_code == 404
    # Bulk: one unknown id and nothing is deleted.
    error(client.delete(f"/v1/activityTypes?ids={again['id']},987654"), 404)
    assert {t["id"]: t for t in data(client.get("/v1/activityTypes"))}[again["id"]]["active_flag"]


def test_roles_assignments_and_deletion(client: httpx.Client) -> None:
    role = data(client.post("/v1/roles", json={"name": "EMEA", "parent_role_id": 2}))["id"]
    child = data(client.post("/v1/roles", json={"name": "Nordics", "parent_role_id": role}))["id"]
    assert data(client.get(f"/v1/roles/{child}"))["level"] == 4
    data(client.post(f"/v1/roles/{role}/assignments", json={"user_id": 3}))
    data(client.post(f"/v1/roles/{role}/assignments", json={"user_id": 4}))
    got = data(client.get(f"/v1/roles/{role}"))
    assert (got["assignment_count"], got["sub_role_count"]) == ("2", "1")
    assert {a["user_id"] for a in data(client.get(f"/v1/roles/{role}/assignments"))} == {3, 4}
    assert data(client.get("/v1/users/3/roleAssignments"))[0]["role_id"] == role
    assert 1 in data(client.get("/v1/users/3/followers"))  # the manager above follows
    assert "'value'" in error(client.post(f"/v1/roles/{role}/settings",
                                          json={"setting_key": "deal_default_visibility", "value": 4}), 400)  # fmt: skip
    data(
        client.post(
            f"/v1/roles/{role}/settings",
            json={"setting_key": "deal_default_visibility", "value": 1},
        )
    )
    assert data(client.get("/v1/users/3/roleSettings"))["deal_default_visibility"] == 1
    hidden = data(
        client.put(f"/v1/roles/{role}/pipelines", json={"visible_pipeline_ids": {"remove": [1]}})
    )
    assert 1 not in hidden["pipeline_ids"]
    assert data(client.get(f"/v1/roles/{role}/pipelines?visible=false"))["pipeline_ids"] == [1]
    assert "cannot be its own parent" in error(
        client.put(f"/v1/roles/{role}", json={"parent_role_id": child}), 400
    )
    data(client.delete(f"/v1/roles/{role}"))
    # Its users went to the default role, its sub-role to its parent.
    assert data(client.get("/v1/users/3"))["role_id"] == 1
    assert data(client.get(f"/v1/roles/{child}"))["parent_role_id"] == 2
    assert role not in [r["id"] for r in data(client.get("/v1/roles"))]
    assert client.get(f"/v1/roles/{role}/assignments").status_code == 404


def test_users_added_by_admins_only(client: httpx.Client) -> None:
    denied = client.post(
        "/v1/users", json={"email": "x@example.com"}, headers={"x-api-token": OTHER_TOKEN}
    )
    assert error(denied, 403) == "You do not have permissions to do this."
    user = data(client.post("/v1/users", json={"email": "jane.doe@example.com"}))
    assert user["name"] == "Jane Doe" and user["active_flag"] and not user["is_you"]
    assert user["id"] in [u["id"] for u in data(client.get("/v1/users"))]
    assert "already exists" in error(
        client.post("/v1/users", json={"email": "Jane.Doe@example.com"}), 400
    )
    off = data(client.put(f"/v1/users/{user['id']}", json={"active_flag": False}))
    assert off["active_flag"] is False
    assert data(client.get(f"/v1/users/{user['id']}"))["active_flag"] is False
    assert "yourself" in error(client.put("/v1/users/1", json={"active_flag": False}), 400)
    perms = data(client.get(f"/v1/users/{user['id']}/permissions"))
    assert perms["can_use_api"] and not perms["can_see_security_dashboard"]
    assert all(data(client.get("/v1/users/1/permissions")).values())
    sets = {p["id"]: p for p in data(client.get("/v1/permissionSets"))}
    counted = {pid: len(data(client.get(f"/v1/permissionSets/{pid}/assignments"))) for pid in sets}
    assert counted == {pid: p["assignment_count"] for pid, p in sets.items()}
    assert sum(counted.values()) == 2 * len(data(client.get("/v1/users")))


def test_filters_keep_conditions_and_leave_lists_when_deleted(client: httpx.Client) -> None:
    owner = next(f for f in data(client.get("/v1/dealFields?limit=500")) if f["key"] == "owner_id")
    tree = {"glue": "and", "conditions": [
        {"glue": "and", "conditions": [{"object": "deal", "field_id": owner["id"], "operator": "=", "value": 2}]},
        {"glue": "or", "conditions": []}]}  # fmt: skip
    made = data(client.post("/v1/filters?include_field_code=true",
                            json={"name": "Mine", "type": "deals", "conditions": tree}))  # fmt: skip
    cond = made["conditions"]["conditions"][0]["conditions"][0]
    assert (cond["field_id"], cond["value"], cond["field_code"]) == (
        str(owner["id"]),
        "2",
        "owner_id",
    )
    assert (
        data(client.get(f"/v1/filters/{made['id']}"))["conditions"]["conditions"][0]["glue"]
        == "and"
    )
    assert "conditions" not in data(client.get("/v1/filters?type=deals"))[0]
    bad = dict(tree, conditions=[{"glue": "and", "conditions": [{**cond, "operator": "~"}]}])
    assert "operator" in error(
        client.put(f"/v1/filters/{made['id']}", json={"conditions": bad}), 400
    )
    data(client.delete(f"/v1/filters/{made['id']}"))
    assert made["id"] not in [f["id"] for f in data(client.get("/v1/filters"))]
    assert "IS NULL" in data(client.get("/v1/filters/helpers"))["operators"]["varchar"]


def _won_by(client: httpx.Client, owner: int, pipeline: int, start: float, end: float) -> int:
    """Won deals counted from the plain v2 listing (an independent path)."""
    count, cursor = 0, None
    while True:
        params: dict[str, Any] = {
            "status": "won",
            "owner_id": owner,
            "pipeline_id": pipeline,
            "limit": 500,
        }
        if cursor:
            params["cursor"] = cursor
        page = client.get("/api/v2/deals", params=params).json()
        for deal in page["data"]:
            won = datetime.fromisoformat(deal["won_time"].replace("Z", "+00:00")).timestamp()
            count += start <= won < end
        cursor = page["additional_data"].get("next_cursor")
        if not cursor:
            return count


def _ts(day: str) -> float:
    return datetime.fromisoformat(day).replace(tzinfo=timezone.utc).timestamp()


def test_goal_results_count_the_deals_the_api_lists(client: httpx.Client) -> None:
    goal = {"title": "Won", "assignee": {"id": 2, "type": "person"},
            "type": {"name": "deals_won", "params": {"pipeline_id": [1]}},
            "expected_outcome": {"target": 5, "tracking_metric": "quantity"},
            "duration": {"start": "2023-01-01", "end": None}, "interval": "yearly"}  # fmt: skip
    made = data(client.post("/v1/goals", json=goal))["goal"]
    result = data(client.get(f"/v1/goals/{made['id']}/results",
                             params={"period.start": "2024-01-01", "period.end": "2026-09-30"}))  # fmt: skip
    expected = _won_by(client, 2, 1, _ts("2024-01-01"), _ts("2026-10-01"))
    assert expected > 0 and result["progress"] == expected
    assert "goal's start" in error(client.get(f"/v1/goals/{made['id']}/results",
                                              params={"period.start": "2022-01-01", "period.end": "2024-01-01"}), 400)  # fmt: skip
    found = data(client.get("/v1/goals/find", params={"assignee.id": 2}))["goals"]
    assert [g["id"] for g in found] == [made["id"]]
    # Without criteria a user sees only their own goals.
    theirs = data(client.get("/v1/goals/find", headers={"x-api-token": OTHER_TOKEN}))["goals"]
    assert [g["id"] for g in theirs] == [made["id"]]
    # The admin set it: theirs too, beside the two generated ones assigned to them.
    assert len({g["id"] for g in data(client.get("/v1/goals/find"))["goals"]} | {made["id"]}) == 3
    assert made["id"] in {g["id"] for g in data(client.get("/v1/goals/find"))["goals"]}
    assert client.delete(f"/v1/goals/{made['id']}").json() == {"success": True}
    assert data(client.get("/v1/goals/find", params={"assignee.id": 2}))["goals"] == []


def test_movement_statistics_agree_with_the_listing(client: httpx.Client) -> None:
    params = {"start_date": "2023-01-01", "end_date": "2026-09-30", "user_id": 3}
    moved = data(client.get("/v1/pipelines/1/movement_statistics", params=params))
    won = _won_by(client, 3, 1, _ts("2023-01-01"), _ts("2026-10-01"))
    assert moved["won_deals"]["count"] == won == len(moved["won_deals"]["deals_ids"])
    converted = data(client.get("/v1/pipelines/1/conversion_statistics", params=params))
    assert all(0 <= s["conversion_rate"] <= 100 for s in converted["stage_conversions"])
    assert "'end_date'" in error(client.get("/v1/pipelines/1/movement_statistics",
                                            params={**params, "end_date": "2022-01-01"}), 400)  # fmt: skip


def test_deal_facts_match_generated_records(emu: Emulator) -> None:
    for fact in deal_facts(emu.store):
        rec = emu.store.get("deal", fact.id, custom=False)
        assert rec is not None and not rec["is_deleted"]
        assert (fact.owner_id, fact.stage_id, fact.pipeline_id, fact.status) == (
            rec["owner_id"], rec["stage_id"], rec["pipeline_id"], rec["status"])  # fmt: skip
        assert (fact.add_time, fact.stage_change_time, fact.won_time, fact.lost_time) == (
            rec["add_time"], rec["stage_change_time"], rec["won_time"], rec["lost_time"])  # fmt: skip


def test_remote_files_are_listed_with_their_item(client: httpx.Client) -> None:
    made = data(client.post("/v1/files/remote", data={"file_type": "gsheet", "title": "Plan",
                                                      "item_type": "organization", "item_id": "2",
                                                      "remote_location": "googledrive"}))  # fmt: skip
    assert (
        made["org_id"] == 2 and made["remote_location"] == "googledrive" and made["file_size"] == 0
    )
    assert made["id"] in [f["id"] for f in data(client.get("/v1/organizations/2/files"))]
    lead_link = {
        "item_type": "lead",
        "item_id": 1,
        "remote_id": "x",
        "remote_location": "googledrive",
    }
    assert "'item_type'" in error(client.post("/v1/files/remoteLink", json=lead_link), 400)


def test_settings_connections_and_provider_links(client: httpx.Client, emu: Emulator) -> None:
    assert data(client.get("/v1/userSettings"))["list_limit"] == 100
    assert set(data(client.get("/v1/userConnections"))) == {"google"}
    other = client.get("/v1/userConnections", headers={"x-api-token": OTHER_TOKEN})
    assert data(other) == {}
    link = {"user_provider_id": "2b1f9f3e-4c1d-4b8e-9a55-8c4d3f0e6a77", "user_id": 2,
            "company_id": 7000 + emu.config.seed, "marketplace_client_id": "c"}  # fmt: skip
    assert "Company" in error(
        client.post("/v1/meetings/userProviderLinks", json={**link, "company_id": 1}), 400
    )
    data(client.post("/v1/meetings/userProviderLinks", json=link))
    data(client.delete(f"/v1/meetings/userProviderLinks/{link['user_provider_id']}"))
    error(client.delete(f"/v1/meetings/userProviderLinks/{link['user_provider_id']}"), 404)


def test_every_admin_operation_costs_what_the_spec_says(emu: Emulator) -> None:
    text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text("utf-8")
    spec = {(r["method"], r["path"]): int(r["x_token_cost"])
            for r in csv.DictReader(text.splitlines(), delimiter="\t")}  # fmt: skip
    from pdsync.emulator.http import Router

    router = Router()
    admin.register(router, emu.store)
    for method, template in router.templates():
        concrete = template.replace("{id}", "12")
        op = emu.wsgi.costs.lookup(method, concrete)  # type: ignore[attr-defined]
        assert op.known and op.cost == spec[(method, template)], (method, template)
