"""Conformance cases of the account and administration operations (see test_conformance.py).

v1 field writes, roles, permission set assignments, filters, goals, lead labels,
activity types, users, settings and connections, billing add-ons, meeting provider
links, pipeline statistics, remote files and the OAuth refresh path. Saved names start
with ``adm_``; goals are addressed by the ids the seed gives them (their add answer
nests the id under ``goal``).
"""

from __future__ import annotations

from typing import Any

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.static import goal_id

Case = tuple[str, str, str, Any, int, str | None]
MISSING = 987654321
SEED = EmulatorConfig().seed
GOALS = (goal_id(SEED, 0), goal_id(SEED, 1))
LINK_ID = "8f7a8ad4-6a55-4d3a-9c7e-0f4f1f6d2a11"
V1 = "/api/v1"


def _condition_tree(field_id: str, value: str) -> dict[str, Any]:
    rule = {"object": "deal", "field_id": field_id, "operator": ">", "value": value}
    return {"glue": "and", "conditions": [{"glue": "and", "conditions": [rule]},
                                          {"glue": "or", "conditions": []}]}  # fmt: skip


def _field_cases() -> list[Case]:
    cases: list[Case] = []
    for name in ("dealFields", "personFields", "organizationFields", "productFields"):
        base, one = f"{V1}/{name}", f"{V1}/{name}/{{id}}"
        saved = f"adm_{name}"
        # The spec declares product fields' add as 201 and a missing one's delete as 410.
        created, gone = (201, 410) if name == "productFields" else (200, 404)
        enum = {
            "name": "Adm tier",
            "field_type": "enum",
            "options": [{"label": "A"}, {"label": "B"}],
        }
        cases += [
            ("POST", base, base, enum, created, saved),
            ("POST", base, base, {"name": "Adm bad", "field_type": "url"}, 400, None),
            ("PUT", one, f"{base}/{{{saved}}}",
             {"name": "Adm tier 2", "options": [{"id": "{option}", "label": "A2"}, {"label": "C"}]}, 200, None),
            ("PUT", one, f"{base}/{MISSING}", {"name": "x"}, 404, None),
            ("DELETE", one, f"{base}/{{{saved}}}", None, 200, None),
            ("DELETE", one, f"{base}/{{{saved}}}", None, gone, None),
            ("POST", base, base, {"name": "Adm note", "field_type": "text"}, created, f"{saved}_2"),
            ("DELETE", base, f"{base}?ids={{{saved}_2}}", None, 200, None),
            ("DELETE", base, f"{base}?ids={MISSING}", None, 404, None),
        ]  # fmt: skip
    return cases


def _role_cases() -> list[Case]:
    one = f"{V1}/roles/{{id}}"
    mine = f"{V1}/roles/{{adm_role}}"
    return [
        ("POST", f"{V1}/roles", f"{V1}/roles", {"name": "Adm role", "parent_role_id": 1}, 200, "adm_role"),
        ("POST", f"{V1}/roles", f"{V1}/roles", {"parent_role_id": 1}, 400, None),
        ("PUT", one, mine, {"name": "Adm role 2"}, 200, None),
        ("PUT", one, f"{V1}/roles/{MISSING}", {"name": "x"}, 404, None),
        ("GET", one + "/assignments", f"{V1}/roles/2/assignments?start=0&limit=2", None, 200, None),
        ("POST", one + "/assignments", mine + "/assignments", {"user_id": 3}, 200, None),
        ("POST", one + "/assignments", mine + "/assignments", {"user_id": MISSING}, 400, None),
        ("DELETE", one + "/assignments", mine + "/assignments", {"user_id": 3}, 200, None),
        ("GET", one + "/pipelines", mine + "/pipelines?visible=false", None, 200, None),
        ("PUT", one + "/pipelines", mine + "/pipelines", {"visible_pipeline_ids": {"add": [1], "remove": [2]}}, 200, None),
        ("PUT", one + "/pipelines", mine + "/pipelines", {"visible_pipeline_ids": {"add": [MISSING]}}, 400, None),
        ("GET", one + "/settings", mine + "/settings", None, 200, None),
        ("POST", one + "/settings", mine + "/settings", {"setting_key": "deal_default_visibility", "value": 3}, 200, None),
        ("POST", one + "/settings", mine + "/settings", {"setting_key": "deal_default_visibility", "value": 2}, 400, None),
        ("DELETE", one, mine, None, 200, None),
        ("GET", one, f"{V1}/roles/{MISSING}", None, 404, None),
        ("GET", f"{V1}/permissionSets/{{id}}/assignments", f"{V1}/permissionSets/{{permission_set}}/assignments", None, 200, None),
        ("GET", f"{V1}/permissionSets/{{id}}/assignments", f"{V1}/permissionSets/nope/assignments", None, 404, None),
    ]  # fmt: skip


def _filter_cases() -> list[Case]:
    base, one = f"{V1}/filters", f"{V1}/filters/{{id}}"
    tree = _condition_tree("{v1_dealFields}", "10")
    org_rule = {
        "object": "organization",
        "field_id": "{v1_organizationFields}",
        "operator": "IS NOT NULL",
    }
    org_tree = {"glue": "and", "conditions": [{"glue": "or", "conditions": [org_rule]}]}
    return [
        ("POST", base, base, {"name": "Adm filter", "type": "deals", "conditions": tree}, 200, "adm_filter"),
        ("POST", base, base, {"name": "Adm filter", "type": "deals"}, 400, None),
        ("POST", base, base, {"name": "Adm filter", "type": "deals", "conditions": _condition_tree("nope", "1")}, 400, None),
        ("GET", f"{base}/helpers", f"{base}/helpers", None, 200, None),
        ("PUT", one, f"{base}/{{adm_filter}}?include_field_code=true", {"name": "Adm 2", "conditions": tree}, 200, None),
        ("PUT", one, f"{base}/{MISSING}", {"conditions": tree}, 404, None),
        ("DELETE", one, f"{base}/{{adm_filter}}", None, 200, None),
        ("GET", one, f"{base}/{{adm_filter}}", None, 404, None),
        ("POST", base, base, {"name": "Adm filter 2", "type": "org", "conditions": org_tree}, 200, "adm_filter2"),
        ("DELETE", base, f"{base}?ids={{adm_filter2}}", None, 200, None),
        ("DELETE", base, f"{base}?ids={MISSING}", None, 404, None),
    ]  # fmt: skip


def _goal_cases() -> list[Case]:
    one = f"{V1}/goals/{{id}}"
    new = {"title": "Adm goal", "assignee": {"id": 1, "type": "person"},
           "type": {"name": "deals_won", "params": {"pipeline_id": [1]}},
           "expected_outcome": {"target": 10, "tracking_metric": "quantity"},
           "duration": {"start": "2026-01-01", "end": "2026-12-31"}, "interval": "quarterly"}  # fmt: skip
    period = "period.start=2026-10-01&period.end=2026-12-31"
    return [
        ("POST", f"{V1}/goals", f"{V1}/goals", new, 200, None),
        ("POST", f"{V1}/goals", f"{V1}/goals", {**new, "interval": "daily"}, 400, None),
        ("PUT", one, f"{V1}/goals/{GOALS[1]}", {"title": "Adm renamed goal"}, 200, None),
        ("PUT", one, f"{V1}/goals/{GOALS[1]}", {"expected_outcome": {"target": 5}}, 400, None),
        ("GET", one + "/results", f"{V1}/goals/{GOALS[0]}/results?{period}", None, 200, None),
        ("GET", one + "/results", f"{V1}/goals/{GOALS[0]}/results", None, 400, None),
        ("DELETE", one, f"{V1}/goals/{GOALS[1]}", None, 200, None),
        ("DELETE", one, f"{V1}/goals/{GOALS[1]}", None, 404, None),
    ]  # fmt: skip


def _label_and_type_cases() -> list[Case]:
    labels, label = f"{V1}/leadLabels", f"{V1}/leadLabels/{{id}}"
    types, one_type = f"{V1}/activityTypes", f"{V1}/activityTypes/{{id}}"
    return [
        ("POST", labels, labels, {"name": "Adm label", "color": "green"}, 200, "adm_label"),
        ("POST", labels, labels, {"name": "Adm label", "color": "teal"}, 400, None),
        ("PATCH", label, f"{labels}/{{adm_label}}", {"name": "Adm label 2", "color": "dark-gray"}, 200, None),
        ("PATCH", label, f"{labels}/00000000-0000-4000-a000-000000000000", {"name": "x"}, 404, None),
        ("DELETE", label, f"{labels}/{{adm_label}}", None, 200, None),
        ("DELETE", label, f"{labels}/{{adm_label}}", None, 404, None),
        ("POST", types, types, {"name": "Adm demo", "icon_key": "camera"}, 200, "adm_type"),
        ("POST", types, types, {"name": "Adm demo", "icon_key": "rocket"}, 400, None),
        ("PUT", one_type, f"{types}/{{adm_type}}", {"color": "FFAA00", "order_nr": 9}, 200, None),
        ("PUT", one_type, f"{types}/{{adm_type}}", {"color": "orange"}, 400, None),
        ("DELETE", one_type, f"{types}/{{adm_type}}", None, 200, None),
        ("DELETE", one_type, f"{types}/{{adm_type}}", None, 404, None),
        ("POST", types, types, {"name": "Adm lunch", "icon_key": "lunch"}, 200, "adm_type2"),
        ("DELETE", types, f"{types}?ids={{adm_type2}}", None, 200, None),
        ("DELETE", types, f"{types}?ids={MISSING}", None, 404, None),
    ]  # fmt: skip


def _user_cases() -> list[Case]:
    one = f"{V1}/users/{{id}}"
    link = {"user_provider_id": LINK_ID, "user_id": 1, "company_id": 7000 + SEED,
            "marketplace_client_id": "adm-client"}  # fmt: skip
    links = f"{V1}/meetings/userProviderLinks"
    return [
        ("POST", f"{V1}/users", f"{V1}/users", {"email": "adm.new.user@example.com"}, 200, "adm_user"),
        ("POST", f"{V1}/users", f"{V1}/users", {"email": "adm.new.user@example.com"}, 400, None),
        ("PUT", one, f"{V1}/users/{{adm_user}}", {"active_flag": False}, 200, None),
        ("PUT", one, f"{V1}/users/{MISSING}", {"active_flag": False}, 404, None),
        ("PUT", one, f"{V1}/users/{{adm_user}}", {"active_flag": "no"}, 400, None),
        ("GET", one + "/followers", f"{V1}/users/3/followers", None, 200, None),
        ("GET", one + "/followers", f"{V1}/users/{MISSING}/followers", None, 404, None),
        ("GET", "/api/v2/users/{id}/followers", "/api/v2/users/3/followers?limit=1", None, 200, None),
        ("GET", one + "/permissions", f"{V1}/users/2/permissions", None, 200, None),
        ("GET", one + "/roleAssignments", f"{V1}/users/2/roleAssignments", None, 200, None),
        ("GET", one + "/roleSettings", f"{V1}/users/2/roleSettings", None, 200, None),
        ("GET", f"{V1}/userSettings", f"{V1}/userSettings", None, 200, None),
        ("GET", f"{V1}/userConnections", f"{V1}/userConnections", None, 200, None),
        ("GET", f"{V1}/billing/subscriptions/addons", f"{V1}/billing/subscriptions/addons", None, 200, None),
        ("POST", links, links, link, 200, None),
        ("POST", links, links, {**link, "user_provider_id": "not-a-uuid"}, 400, None),
        ("DELETE", links + "/{id}", f"{links}/{LINK_ID}", None, 200, None),
        ("DELETE", links + "/{id}", f"{links}/{LINK_ID}", None, 404, None),
    ]  # fmt: skip


def _pipeline_and_file_cases() -> list[Case]:
    stats = f"{V1}/pipelines/{{id}}"
    dates = "start_date=2023-01-01&end_date=2026-09-30&user_id=2"
    remote = {"file_type": "gdoc", "title": "Adm doc", "item_type": "deal", "item_id": 5,
              "remote_location": "googledrive"}  # fmt: skip
    linked = {"item_type": "person", "item_id": 1, "remote_id": "adm-remote-1",
              "remote_location": "googledrive"}  # fmt: skip
    return [
        ("GET", stats + "/conversion_statistics", f"{V1}/pipelines/1/conversion_statistics?{dates}", None, 200, None),
        ("GET", stats + "/conversion_statistics", f"{V1}/pipelines/1/conversion_statistics", None, 400, None),
        ("GET", stats + "/movement_statistics", f"{V1}/pipelines/1/movement_statistics?{dates}", None, 200, None),
        ("GET", stats + "/movement_statistics", f"{V1}/pipelines/{MISSING}/movement_statistics?{dates}", None, 404, None),
        ("POST", f"{V1}/files/remote", f"{V1}/files/remote", remote, 200, None),
        ("POST", f"{V1}/files/remote", f"{V1}/files/remote", {**remote, "file_type": "pdf"}, 400, None),
        ("POST", f"{V1}/files/remoteLink", f"{V1}/files/remoteLink", linked, 200, None),
        ("POST", f"{V1}/files/remoteLink", f"{V1}/files/remoteLink", {**linked, "item_id": MISSING}, 404, None),
        # Without client credentials: Pipedrive's invalid_client (the flow has its own tests).
        ("POST", "/oauth/token/", "/oauth/token/", {"grant_type": "refresh_token"}, 400, None),
    ]  # fmt: skip


def cases() -> list[Case]:
    return (
        _field_cases()
        + _role_cases()
        + _filter_cases()
        + _goal_cases()
        + _label_and_type_cases()
        + _user_cases()
        + _pipeline_and_file_cases()
    )
