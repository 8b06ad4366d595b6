"""Every operation the emulator implements, called and validated against the official specs.

v2 operations against openapi-v2.yaml, v1 against openapi-v1.yaml, legacy v1 (dropped
from the current spec) against the 2026-01-14 spec with deprecated operations. Error
bodies are validated too: against the operation's own error schema when the spec
declares one, else the spec's common error schema. The test fails if a route exists
that no case calls.
"""

from __future__ import annotations

import json
import re
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig

from . import conformance_admin, conformance_history, conformance_projects
from .openapi_schemas import V1, V1_OLD, V2, error_validator, find_operation, response_validator

# Routes outside Pipedrive's JSON API, covered by their own tests (edges engineer).
EXEMPT = {
    ("GET", "/oauth/authorize"),  # browser redirect, no JSON body
    ("POST", "/oauth/token"),  # needs an authorization code: tests/emulator/edges/test_oauth.py
}
NOT_FOUND_ID = 987654321
INVALID = {"deals": {"value": "not a number"}, "activities": {"done": "yes"}}

# (method, template, url, body, expected status, name to save data.id as)
Case = tuple[str, str, str, Any, int, str | None]


def _entity_cases() -> list[Case]:
    cases: list[Case] = []
    bodies = {
        "deals": {"title": "Conformance deal", "value": 1200, "currency": "EUR"},
        "persons": {"name": "Conformance Person", "emails": [{"value": "c@example.com", "primary": True, "label": "work"}]},
        "organizations": {"name": "Conformance Org"},
        "activities": {"subject": "Conformance call", "type": "call", "due_date": "2026-12-01"},
        "products": {"name": "Conformance product", "prices": [{"price": 10, "currency": "EUR"}]},
        "pipelines": {"name": "Conformance pipeline"},
        "stages": {"name": "Conformance stage", "pipeline_id": 1},
    }  # fmt: skip
    patches = {"deals": {"value": 1500, "status": "won"}, "persons": {"name": "Renamed"},
               "organizations": {"name": "Renamed Org"}, "activities": {"done": True},
               "products": {"name": "Renamed product"}, "pipelines": {"name": "Renamed"},
               "stages": {"name": "Renamed"}}  # fmt: skip
    for path, data in bodies.items():
        base = f"/api/v2/{path}"
        cases += [
            ("GET", base, f"{base}?limit=5", None, 200, None),
            ("POST", base, base, data, 201 if path == "products" else 200, path),
            ("POST", base, base, INVALID.get(path, {"name": 12}), 400, None),
            ("GET", base + "/{id}", f"{base}/{{{path}}}", None, 200, None),
            ("GET", base + "/{id}", f"{base}/{NOT_FOUND_ID}", None, 404, None),
            ("PATCH", base + "/{id}", f"{base}/{{{path}}}", patches[path], 200, None),
            ("DELETE", base + "/{id}", f"{base}/{{{path}}}", None, 200, None),
        ]
    return cases


def _field_cases() -> list[Case]:
    cases: list[Case] = []
    for name in ("dealFields", "personFields", "organizationFields", "productFields"):
        base = f"/api/v2/{name}"
        key = f"{name}_code"
        cases += [
            ("GET", base, base + "?limit=100", None, 200, None),
            (
                "POST",
                base,
                base,
                {"field_name": "Tier", "field_type": "enum", "options": [{"label": "A"}]},
                200,
                key,
            ),
            ("POST", base, base, {"field_name": "Bad", "field_type": "url"}, 400, None),
            ("GET", base + "/{field_code}", f"{base}/{{{key}}}", None, 200, None),
            (
                "PATCH",
                base + "/{field_code}",
                f"{base}/{{{key}}}",
                {"field_name": "Tier (renamed)"},
                200,
                None,
            ),
            (
                "POST",
                base + "/{field_code}/options",
                f"{base}/{{{key}}}/options",
                [{"label": "B"}],
                200,
                None,
            ),
            (
                "PATCH",
                base + "/{field_code}/options",
                f"{base}/{{{key}}}/options",
                [{"id": "{option}", "label": "B2"}],
                200,
                None,
            ),
            (
                "DELETE",
                base + "/{field_code}/options",
                f"{base}/{{{key}}}/options",
                [{"id": "{option}"}],
                200,
                None,
            ),
            ("DELETE", base + "/{field_code}", f"{base}/{{{key}}}", None, 200, None),
            ("GET", f"/api/v1/{name}", f"/api/v1/{name}?limit=50", None, 200, None),
            ("GET", f"/api/v1/{name}/{{id}}", f"/api/v1/{name}/{{v1_{name}}}", None, 200, None),
        ]
    cases += [
        ("GET", "/api/v2/activityFields", "/api/v2/activityFields", None, 200, None),
        (
            "GET",
            "/api/v2/activityFields/{field_code}",
            "/api/v2/activityFields/subject",
            None,
            200,
            None,
        ),
        ("GET", "/api/v1/activityFields", "/api/v1/activityFields", None, 200, None),
        ("GET", "/api/v1/leadFields", "/api/v1/leadFields", None, 200, None),
    ]
    return cases


def _link_cases() -> list[Case]:
    cases: list[Case] = []
    for path in ("deals", "persons", "organizations", "products"):
        base = f"/api/v2/{path}/{{id}}/followers"
        url = f"/api/v2/{path}/2/followers"
        cases += [
            ("GET", base, url, None, 200, None),
            ("POST", base, url, {"user_id": 5}, 201, None),
            ("POST", base, url, {"user_id": 5}, 400, None),
            ("DELETE", base + "/{follower_id}", url + "/5", None, 200, None),
        ]
    for path in ("deals", "persons", "organizations"):
        cases.append(("PUT", f"/api/v1/{path}/{{id}}/merge", f"/api/v1/{path}/{{merge_{path}}}/merge",
                      {"merge_with_id": 2}, 200, None))  # fmt: skip
    cases += [
        ("GET", "/api/v2/deals/{id}/products", "/api/v2/deals/2/products", None, 200, None),
        ("POST", "/api/v2/deals/{id}/products", "/api/v2/deals/2/products",
         {"product_id": 1, "item_price": 10, "quantity": 2}, 201, "attachment"),
        ("PATCH", "/api/v2/deals/{id}/products/{product_attachment_id}",
         "/api/v2/deals/2/products/{attachment}", {"quantity": 3}, 200, None),
        ("DELETE", "/api/v2/deals/{id}/products/{product_attachment_id}",
         "/api/v2/deals/2/products/{attachment}", None, 200, None),
        ("GET", "/api/v2/deals/products", "/api/v2/deals/products?deal_ids=1,2,3", None, 200, None),
        ("GET", "/api/v2/deals/archived", "/api/v2/deals/archived?limit=5", None, 200, None),
        ("GET", "/api/v1/deals/{id}/participants", "/api/v1/deals/2/participants", None, 200, None),
        ("POST", "/api/v1/deals/{id}/participants", "/api/v1/deals/2/participants", {"person_id": 3}, 200, "participant"),
        ("DELETE", "/api/v1/deals/{id}/participants/{deal_participant_id}",
         "/api/v1/deals/2/participants/{participant}", None, 200, None),
        ("DELETE", "/api/v1/deals/{id}/participants/{deal_participant_id}",
         f"/api/v1/deals/2/participants/{NOT_FOUND_ID}", None, 404, None),
    ]  # fmt: skip
    return cases


def _v1_cases() -> list[Case]:
    cases: list[Case] = [
        ("GET", "/api/v1/leads", "/api/v1/leads?limit=5", None, 200, None),
        ("GET", "/api/v1/leads/archived", "/api/v1/leads/archived?limit=5", None, 200, None),
        ("POST", "/api/v1/leads", "/api/v1/leads", {"title": "Conformance lead", "person_id": 1,
                                                    "value": {"amount": 10, "currency": "EUR"}}, 201, "lead"),
        ("POST", "/api/v1/leads", "/api/v1/leads", {"person_id": 1}, 400, None),
        ("GET", "/api/v1/leads/{id}", "/api/v1/leads/{lead}", None, 200, None),
        ("GET", "/api/v1/leads/{id}", "/api/v1/leads/00000000-0000-4000-a000-000000000000", None, 404, None),
        ("PATCH", "/api/v1/leads/{id}", "/api/v1/leads/{lead}", {"title": "Renamed lead"}, 200, None),
        ("DELETE", "/api/v1/leads/{id}", "/api/v1/leads/{lead}", None, 200, None),
        ("GET", "/api/v1/leadLabels", "/api/v1/leadLabels", None, 200, None),
        ("GET", "/api/v1/leadSources", "/api/v1/leadSources", None, 200, None),
        ("GET", "/api/v1/notes", "/api/v1/notes?limit=5", None, 200, None),
        ("POST", "/api/v1/notes", "/api/v1/notes", {"content": "<p>Hi</p>", "deal_id": 1}, 200, "note"),
        ("POST", "/api/v1/notes", "/api/v1/notes", {"content": "<p>Hi</p>"}, 400, None),
        ("GET", "/api/v1/notes/{id}", "/api/v1/notes/{note}", None, 200, None),
        ("PUT", "/api/v1/notes/{id}", "/api/v1/notes/{note}", {"content": "<p>Edited</p>"}, 200, None),
        ("DELETE", "/api/v1/notes/{id}", "/api/v1/notes/{note}", None, 200, None),
        ("GET", "/api/v1/notes/{id}", f"/api/v1/notes/{NOT_FOUND_ID}", None, 404, None),
        ("GET", "/api/v1/users", "/api/v1/users", None, 200, None),
        ("GET", "/api/v1/users/me", "/api/v1/users/me", None, 200, None),
        ("GET", "/api/v1/users/find", "/api/v1/users/find?term=a", None, 200, None),
        ("GET", "/api/v1/users/{id}", "/api/v1/users/1", None, 200, None),
        ("GET", "/api/v1/users/{id}", f"/api/v1/users/{NOT_FOUND_ID}", None, 404, None),
        ("GET", "/api/v1/activityTypes", "/api/v1/activityTypes", None, 200, None),
        ("POST", "/api/v1/activityTypes", "/api/v1/activityTypes", {"name": "Demo", "icon_key": "presentation"}, 200, None),
        ("GET", "/api/v1/currencies", "/api/v1/currencies", None, 200, None),
        ("GET", "/api/v1/filters", "/api/v1/filters?type=deals", None, 200, None),
        ("GET", "/api/v1/filters/{id}", "/api/v1/filters/1", None, 200, None),
        ("GET", "/api/v1/roles", "/api/v1/roles", None, 200, None),
        ("GET", "/api/v1/roles/{id}", "/api/v1/roles/1", None, 200, None),
        ("GET", "/api/v1/permissionSets", "/api/v1/permissionSets", None, 200, None),
        ("GET", "/api/v1/permissionSets/{id}", "/api/v1/permissionSets/{permission_set}", None, 200, None),
        ("GET", "/api/v1/goals/find", "/api/v1/goals/find", None, 200, None),
        ("GET", "/api/v1/recents", "/api/v1/recents?since_timestamp=2026-01-01%2000:00:00&limit=50", None, 200, None),
        ("GET", "/api/v1/webhooks", "/api/v1/webhooks", None, 200, None),
        ("POST", "/api/v1/webhooks", "/api/v1/webhooks", {"subscription_url": "http://127.0.0.1:9/hook",
         "event_action": "*", "event_object": "deal", "name": "Conformance"}, 201, "webhook"),
        ("DELETE", "/api/v1/webhooks/{id}", "/api/v1/webhooks/{webhook}", None, 200, None),
    ]  # fmt: skip
    for path in (
        "deals",
        "persons",
        "organizations",
        "activities",
        "products",
        "pipelines",
        "stages",
    ):
        cases += [
            ("GET", f"/api/v1/{path}", f"/v1/{path}?start=0&limit=5", None, 200, None),
            ("GET", f"/api/v1/{path}/{{id}}", f"/api/v1/{path}/1", None, 200, None),
        ]
    return cases


def _search_cases() -> list[Case]:
    cases: list[Case] = []
    terms = {"persons": "a", "organizations": "ab", "deals": "pro", "leads": "lead",
             "products": "pro"}  # fmt: skip
    for path, term in terms.items():
        template = f"/api/v2/{path}/search"
        exact = "&exact_match=true" if len(term) == 1 else ""
        cases += [
            ("GET", template, f"{template}?term={term}{exact}&limit=3", None, 200, None),
            ("GET", template, f"{template}?term=x", None, 400, None),
        ]
    cases += [
        ("GET", "/api/v2/deals/search", "/api/v2/deals/search?term=pro&status=won&fields=title,notes&include_fields=deal.cc_email", None, 200, None),
        ("GET", "/api/v2/itemSearch", "/api/v2/itemSearch?term=acme&limit=5&search_for_related_items=true", None, 200, None),
        ("GET", "/api/v2/itemSearch", "/api/v2/itemSearch?term=acme&limit=101", None, 400, None),
        ("GET", "/api/v2/itemSearch/field", "/api/v2/itemSearch/field?term=ac&entity_type=organization&field=name&match=beginning", None, 200, None),
        ("GET", "/api/v2/itemSearch/field", "/api/v2/itemSearch/field?term=ac&entity_type=organization&field=nope", None, 400, None),
    ]  # fmt: skip
    return cases


UPLOAD = {"multipart": {"deal_id": "3"}, "file": ["notes.txt", "hello"]}


def _file_cases() -> list[Case]:
    return [
        ("GET", "/api/v1/files", "/api/v1/files?start=0&limit=3", None, 200, None),
        ("GET", "/api/v1/files", "/api/v1/files?limit=101", None, 400, None),
        ("POST", "/api/v1/files", "/api/v1/files", UPLOAD, 200, "file"),
        ("POST", "/api/v1/files", "/api/v1/files", {"deal_id": 3}, 400, None),
        ("GET", "/api/v1/files/{id}", "/api/v1/files/{file}", None, 200, None),
        ("GET", "/api/v1/files/{id}", f"/api/v1/files/{NOT_FOUND_ID}", None, 404, None),
        ("PUT", "/api/v1/files/{id}", "/api/v1/files/{file}", {"name": "renamed.txt"}, 200, None),
        ("GET", "/api/v1/files/{id}/download", "/api/v1/files/{file}/download", None, 200, None),
        ("DELETE", "/api/v1/files/{id}", "/api/v1/files/{file}", None, 200, None),
        ("GET", "/api/v1/deals/{id}/files", "/api/v1/deals/3/files", None, 200, None),
        ("GET", "/api/v1/persons/{id}/files", "/api/v1/persons/1/files", None, 200, None),
        ("GET", "/api/v1/organizations/{id}/files", "/api/v1/organizations/2/files", None, 200, None),
        ("GET", "/api/v1/products/{id}/files", "/api/v1/products/1/files", None, 200, None),
    ]  # fmt: skip


def _more_v1_cases() -> list[Case]:
    base = "/api/v1/organizationRelationships"
    inc = "products_count,participants_count,followers_count,activities_count,notes_count,files_count,source_lead_id"
    return [
        ("GET", "/api/v1/noteFields", "/api/v1/noteFields", None, 200, None),
        ("GET", base, f"{base}?org_id=1", None, 200, None),
        ("GET", base, f"{base}?org_id=10", None, 200, None),
        ("GET", base, base, None, 400, None),
        ("POST", base, base, {"type": "related", "rel_owner_org_id": 2, "rel_linked_org_id": 3}, 200, "relationship"),
        ("POST", base, base, {"type": "sibling", "rel_owner_org_id": 2, "rel_linked_org_id": 3}, 400, None),
        ("GET", base + "/{id}", base + "/{relationship}", None, 200, None),
        ("GET", base + "/{id}", f"{base}/{NOT_FOUND_ID}", None, 404, None),
        ("PUT", base + "/{id}", base + "/{relationship}", {"type": "parent"}, 200, None),
        ("DELETE", base + "/{id}", base + "/{relationship}", None, 200, None),
        ("GET", "/api/v2/deals", f"/api/v2/deals?limit=3&include_fields={inc}", None, 200, None),
        ("GET", "/api/v2/deals", "/api/v2/deals?include_fields=nope", None, 400, None),
        ("GET", "/api/v2/persons/{id}", "/api/v2/persons/2?include_fields=activities_count,notes_count,files_count,followers_count,open_deals_count", None, 200, None),
        ("GET", "/api/v2/organizations", "/api/v2/organizations?limit=3&include_fields=people_count,activities_count,files_count,won_deals_count", None, 200, None),
    ]  # fmt: skip


CASES = (
    _entity_cases()
    + _more_v1_cases()
    + _field_cases()
    + _link_cases()
    + _v1_cases()
    + _search_cases()
    + _file_cases()
    + conformance_admin.cases()
    + conformance_projects.cases()
    + conformance_history.cases()
)


def spec_for(template: str) -> list[tuple[str, str]]:
    if template.startswith("/api/v2/"):
        return [(V2, template.removeprefix("/api/v2"))]
    return [(V1, template.removeprefix("/api/v1")), (V1_OLD, template.removeprefix("/api/v1"))]


def validate(method: str, template: str, status: int, payload: Any) -> None:
    for name, path in spec_for(template):
        if find_operation(name, method, path) is None:
            continue
        validator = response_validator(name, method, path, status)
        if validator is None and status >= 400:
            validator = error_validator(name)
        assert validator is not None, f"{name} declares no {status} for {method} {path}"
        errors = sorted(validator.iter_errors(payload), key=lambda e: list(e.absolute_path))
        detail = "\n".join(
            f"  {list(e.absolute_path)}: {e.message[:200]} {[[*list(c.absolute_path)[-3:], c.message[:150]] for c in (e.context or [])][:4]}"
            for e in errors[:8]
        )
        assert not errors, f"{method} {template} ({status}) breaks {name}:\n{detail}"
        return
    raise AssertionError(f"{method} {template} is in no official spec")


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=200, rate_limits=False))


def test_every_route_has_a_case(emulator: Emulator) -> None:
    covered = {(m, t) for m, t, *_ in CASES} | EXEMPT
    routes = {(m, t) for m, t in emulator.router.templates() if not t.startswith("/_emulator/")}
    assert sorted(routes - covered) == []


def test_every_operation_conforms(emulator: Emulator) -> None:
    saved: dict[str, Any] = {"permission_set": next(iter(emulator.store.static["permission_set"]))}
    for path in ("deals", "persons", "organizations"):
        saved[f"merge_{path}"] = 3
    for name, entity in (
        ("dealFields", "deal"),
        ("personFields", "person"),
        ("organizationFields", "organization"),
        ("productFields", "product"),
    ):
        saved[f"v1_{name}"] = emulator.store.fields[entity][0].id
    headers = {"x-api-token": emulator.config.token}
    with httpx.Client(
        transport=emulator.transport(), base_url="http://emulator", headers=headers
    ) as client:
        for method, template, url, body, expected, save_as in CASES:
            concrete = url.format(**saved)
            response = _call(client, method, concrete, _fill(body, saved))
            assert response.status_code == expected, f"{method} {concrete}: {response.text[:300]}"
            if response.headers["content-type"] == "application/octet-stream":
                assert response.content, f"{method} {concrete}: empty download"
                continue
            payload = response.json()
            validate(method, template, response.status_code, payload)
            _remember(saved, save_as, payload)


def _call(client: httpx.Client, method: str, url: str, body: Any) -> httpx.Response:
    if isinstance(body, dict) and "multipart" in body:
        name, text = body["file"]
        files = {"file": (name, text.encode())}
        return client.request(method, url, data=body["multipart"], files=files)
    content = json.dumps(body) if body is not None else None
    headers = {"content-type": "application/json"} if content else {}
    return client.request(method, url, content=content, headers=headers)


def _fill(body: Any, saved: dict[str, Any]) -> Any:
    text = json.dumps(body)
    return json.loads(re.sub(r'"\{(\w+)\}"', lambda m: json.dumps(saved[m.group(1)]), text))


def _remember(saved: dict[str, Any], save_as: str | None, payload: Any) -> None:
    if save_as is None:
        return
    data = payload["data"]
    saved[save_as] = data.get("field_code") or data.get("id")
    if data.get("options"):
        saved["option"] = data["options"][0]["id"]
