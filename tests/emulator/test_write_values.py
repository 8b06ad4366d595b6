"""Every stored value can be served: bad values written through every write route are
refused (400) or stored in their canonical form, and afterwards every list still answers
(no 5xx) with bodies that validate against the official schemas."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.records import lead_uuid

from .in_process import client_for
from .openapi_schemas import V1, V1_OLD, V2, find_operation, load, to_json_schema
from .test_conformance import validate

SURROGATE = "\ud800"
# Values of the wrong shape for almost any field, and time-ish strings.
BAD_VALUES: list[Any] = ["2026-01-05", "2026-01-05 10:11:12", "not a date", 12345, 1.5, True,
                         [], ["x"], [{"value": 1}], [{}], {"value": 1}, {}, None]  # fmt: skip
SKIPPED = ("/_emulator/", "/oauth/", "/api/v1/files")  # control routes; multipart upload
BASE_BODIES: dict[str, Any] = {
    "POST /api/v2/deals": {"title": "Fuzz deal"},
    "POST /api/v2/persons": {"name": "Fuzz person"},
    "POST /api/v2/organizations": {"name": "Fuzz org"},
    "POST /api/v2/activities": {"subject": "Fuzz call"},
    "POST /api/v2/products": {"name": "Fuzz product"},
    "POST /api/v2/pipelines": {"name": "Fuzz pipeline"},
    "POST /api/v2/stages": {"name": "Fuzz stage", "pipeline_id": 1},
    "POST /api/v2/{fields}": {"field_name": "Fuzz field", "field_type": "varchar"},
    "POST /api/v2/{entity}/{id}/followers": {"user_id": 2},
    "PUT /api/v1/{entity}/{id}/merge": {"merge_with_id": 4},
    "POST /api/v2/deals/{id}/products": {"product_id": 1, "item_price": 10, "quantity": 1},
    "POST /api/v1/deals/{id}/participants": {"person_id": 3},
    "POST /api/v1/leads": {"title": "Fuzz lead", "person_id": 1},
    "POST /api/v1/notes": {"content": "<p>Fuzz</p>", "deal_id": 1},
    "POST /api/v1/activityTypes": {"name": "Fuzz type", "icon_key": "task"},
    "POST /api/v1/organizationRelationships": {"type": "parent", "rel_owner_org_id": 2,
                                               "rel_linked_org_id": 3},
}  # fmt: skip


def spec_of(template: str) -> list[tuple[str, str]]:
    if template.startswith("/api/v2/"):
        return [(V2, template.removeprefix("/api/v2"))]
    return [(V1, template.removeprefix("/api/v1")), (V1_OLD, template.removeprefix("/api/v1"))]


def body_properties(method: str, template: str) -> list[str]:
    """Field names the official spec lists for the operation's request body."""
    for name, path in spec_of(template):
        op = find_operation(name, method, path)
        if op is None or "requestBody" not in op:
            continue
        schema = to_json_schema(op["requestBody"], load(name))
        found: set[str] = set()
        _collect(schema, found)
        return sorted(found)
    return []


def _collect(node: Any, found: set[str]) -> None:
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            found.update(node["properties"])
            return
        for child in node.values():
            _collect(child, found)
    elif isinstance(node, list):
        for child in node:
            _collect(child, found)


def base_body(method: str, template: str) -> dict[str, Any]:
    generic = re.sub(r"/(deals|persons|organizations|products)/\{id\}/(followers|merge)",
                     r"/{entity}/{id}/\2", template)  # fmt: skip
    generic = re.sub(r"/api/v2/\w+Fields$", "/api/v2/{fields}", generic)
    return dict(BASE_BODIES.get(f"{method} {generic}", {}))


@pytest.fixture(scope="module")
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=40, rate_limits=False))


@pytest.fixture(scope="module")
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    with client_for(emulator) as c:
        yield c


def concrete(emulator: Emulator, client: httpx.Client, template: str) -> str:
    url = template
    if "{field_code}" in url:
        listing = client.get(url.split("/{field_code}")[0], params={"limit": 500}).json()
        fields = listing.get("data") or []
        custom = [f for f in fields if f.get("is_custom_field")]
        enums = [f for f in custom if f.get("field_type") == "enum"]
        url = url.replace("{field_code}", (enums or custom or fields)[0]["field_code"])
    if "{product_attachment_id}" in url:
        made = client.post("/api/v2/deals/2/products",
                           json={"product_id": 1, "item_price": 5, "quantity": 1}).json()  # fmt: skip
        url = url.replace("{product_attachment_id}", str(made["data"]["id"]))
    if url.startswith("/api/v1/leads/{id}"):
        url = url.replace("{id}", lead_uuid(emulator.config.seed, 2))
    if url.startswith("/api/v1/organizationRelationships/{id}"):
        link = {"type": "parent", "rel_owner_org_id": 7, "rel_linked_org_id": 8}
        made = client.post("/api/v1/organizationRelationships", json=link).json()
        url = url.replace("{id}", str(made["data"]["id"]))
    parent = re.match(r"/api/v[12]/(\w+)/\{id\}", url)
    if parent and f"POST /api/v2/{parent.group(1)}" in BASE_BODIES:
        # A fresh record: a generated one may be archived (read-only) or deleted.
        made = client.post(f"/api/v2/{parent.group(1)}",
                           json=BASE_BODIES[f"POST /api/v2/{parent.group(1)}"]).json()  # fmt: skip
        url = url.replace("{id}", str(made["data"]["id"]))
    if parent and parent.group(1) == "notes":
        made = client.post("/api/v1/notes", json=BASE_BODIES["POST /api/v1/notes"]).json()
        url = url.replace("{id}", str(made["data"]["id"]))
    return re.sub(r"\{\w+\}", "2", url)  # other ids: an early generated record


def send(client: httpx.Client, method: str, url: str, payload: Any) -> httpx.Response:
    # json.dumps escapes the lone surrogate as \ud800, as a client's JSON encoder would.
    content = json.dumps(payload)
    return client.request(
        method, url, content=content, headers={"content-type": "application/json"}
    )


def variants(method: str, template: str, emulator: Emulator) -> Iterator[Any]:
    """The base body with one field (the spec's, a custom field, or an option) made bad."""
    if template.endswith("/options"):
        for bad in [SURROGATE, *BAD_VALUES]:
            yield [{"label": bad}] if method == "POST" else [{"id": 1, "label": bad}]
        return
    base = base_body(method, template)
    names = set(body_properties(method, template)) | set(base)
    if template.startswith("/api/v2/") and "custom_fields" in names:
        entity = template.split("/")[3].removesuffix("s")  # deals -> deal; activities: none
        for f in emulator.store.fields.get(entity, []):
            if f.is_custom and not f.is_deleted:
                for bad in (SURROGATE, "2026-01-05", {"value": "x", "until": 5}, ["x"], 3.5):
                    yield {**base, "custom_fields": {f.key: bad}}
    for name in sorted(names):
        for bad in [SURROGATE, *BAD_VALUES]:
            yield {**base, name: bad}
    yield {**base, "nested": {SURROGATE: 1}}  # a surrogate in a key


def list_urls(emulator: Emulator) -> list[str]:
    urls = []
    for method, template in emulator.router.templates():
        if method != "GET" or template.startswith(SKIPPED[:2]) or "download" in template:
            continue
        if "{" in template and not template.endswith(("/followers", "/products", "/files",
                                                      "/participants")):  # fmt: skip
            continue
        urls.append(template)
    return sorted(set(urls))


LIST_PARAMS = {"/api/v1/recents": {"since_timestamp": "2000-01-01 00:00:00"},
               "/api/v1/organizationRelationships": {"org_id": 2},
               "/api/v1/users/find": {"term": "a"}, "/api/v2/deals/products": {"deal_ids": "1,2,3"},
               "/api/v2/itemSearch": {"term": "fuzz"}, "/api/v2/itemSearch/field":
               {"term": "fu", "entity_type": "deal", "field": "title"}}  # fmt: skip


def test_bad_values_through_every_write_route_never_break_a_list(
    emulator: Emulator, client: httpx.Client
) -> None:
    stored = 0
    for method, template in emulator.router.templates():
        if method not in ("POST", "PUT", "PATCH") or template.startswith(SKIPPED):
            continue
        url = concrete(emulator, client, template)
        for payload in variants(method, template, emulator):
            response = send(client, method, url, payload)
            assert response.status_code < 500, f"{method} {url} {payload!r}: {response.text[:300]}"
            if SURROGATE in json.dumps(payload, ensure_ascii=False) and response.is_success:
                # Only a route that never reads its body may accept it: nothing is echoed.
                assert "\\ud800" not in response.text, f"{method} {url} stored {payload!r}"
            elif SURROGATE in json.dumps(payload, ensure_ascii=False):
                # Refused: 400, or 403/404 once an earlier variant archived/merged the record.
                assert response.status_code in (400, 403, 404), f"{method} {url} {payload!r}"
            stored += response.status_code < 300
    assert stored > 300  # most variants of a wrong shape are normalised or ignored, not lost
    for template in list_urls(emulator):
        url = template.replace("{id}", "2")
        params = {**LIST_PARAMS.get(template, {}), **({"term": "fuzz"} if "search" in url else {})}
        response = client.get(url, params=params)
        assert response.status_code < 500, f"GET {url}: {response.text[:300]}"
        if response.status_code == 200 and "search" not in url:
            validate("GET", template, 200, response.json())
    for path in ("deals", "persons", "organizations", "activities", "products"):
        rows = client.get(f"/api/v2/{path}", params={"limit": 500}).json()
        validate("GET", f"/api/v2/{path}", 200, rows)
        legacy = client.get(f"/api/v1/{path}", params={"limit": 500})
        assert legacy.status_code == 200, legacy.text[:300]
        validate("GET", f"/api/v1/{path}", 200, legacy.json())


def test_times_in_any_api_format_are_stored_canonically(client: httpx.Client) -> None:
    deal = client.post("/api/v2/deals", json={"title": "Dated"}).json()["data"]["id"]
    for given in ("2026-01-05", "2026-01-05 00:00:00", "2026-01-05T00:00:00Z",
                  "2026-01-05T02:00:00+02:00"):  # fmt: skip
        response = client.patch(f"/api/v2/deals/{deal}", json={"add_time": given})
        assert response.status_code == 200, response.text
        assert response.json()["data"]["add_time"] == "2026-01-05T00:00:00Z"
        v1 = client.get(f"/api/v1/deals/{deal}").json()["data"]
        assert v1["add_time"] == "2026-01-05 00:00:00"
    bad = client.patch(f"/api/v2/deals/{deal}", json={"add_time": "05/01/2026"})
    assert bad.status_code == 400 and "'add_time' field must be a date-time" in bad.json()["error"]
    note = client.post("/api/v1/notes", json={"content": "x", "deal_id": 1}).json()["data"]["id"]
    put = client.put(f"/api/v1/notes/{note}", json={"add_time": "2026-02-03"})
    assert put.json()["data"]["add_time"] == "2026-02-03 00:00:00"


def test_invalid_text_and_numbers_are_refused_naming_the_field(client: httpx.Client) -> None:
    raw = {
        '{"name": "Ada \\ud800"}': "The 'name' field is not valid Unicode text",
        '{"name": "ok", "emails": [{"value": "\\udfff@x.example"}]}':
            "The 'emails[0].value' field is not valid Unicode text",
        '{"name": "ok", "custom_fields": {"\\ud83d": 1}}': "A field name in 'custom_fields'",
        '{"name": "ok", "org_id": 1e400}': "The 'org_id' field is not a finite number",
        '{"name": "ok", "org_id": NaN}': "not valid JSON",
    }  # fmt: skip
    for text, message in raw.items():
        for method, url in (("POST", "/api/v2/persons"), ("PATCH", "/api/v2/persons/3")):
            response = client.request(method, url, content=text,
                                      headers={"content-type": "application/json"})  # fmt: skip
            assert response.status_code == 400, (text, response.text)
            assert message in response.json()["error"], (text, response.json()["error"])
    # A well-formed surrogate *pair* is ordinary text (an emoji) and is stored.
    emoji = client.post("/api/v2/persons", content='{"name": "Ada \\ud83d\\ude00"}',
                        headers={"content-type": "application/json"})  # fmt: skip
    assert emoji.status_code == 200 and emoji.json()["data"]["name"] == "Ada \U0001f600"


def test_a_record_stored_around_the_checks_is_still_served(
    emulator: Emulator, client: httpx.Client
) -> None:
    """Defence in depth: text that bypassed input checks is served as a JSON escape."""
    emulator.store.update("person", 5, {"name": "Lone \ud800"})
    response = client.get("/api/v2/persons", params={"limit": 500})
    assert response.status_code == 200
    assert b"Lone \\ud800" in response.content
    assert any(p["name"] == "Lone \ud800" for p in response.json()["data"])


def test_lists_of_objects_are_normalised_to_the_stored_shape(client: httpx.Client) -> None:
    person = client.post("/api/v2/persons", json={
        "name": "Shaped", "emails": [{"value": "a@x.example"}, {"value": "b@x.example", "label": "home"}],
        "phones": [{"value": "+1 555", "primary": True}]}).json()["data"]  # fmt: skip
    assert person["emails"] == [{"value": "a@x.example", "primary": True, "label": "work"},
                                {"value": "b@x.example", "primary": False, "label": "home"}]  # fmt: skip
    assert person["phones"] == [{"value": "+1 555", "primary": True, "label": "work"}]
    for bad in (["a@x.example"], [{"label": "work"}], [{"value": 5}], "a@x.example"):
        response = client.patch(f"/api/v2/persons/{person['id']}", json={"emails": bad})
        assert response.status_code == 400 and "'emails' field" in response.json()["error"]
    cleared = client.patch(f"/api/v2/persons/{person['id']}", json={"emails": None})
    assert cleared.json()["data"]["emails"] == []
    assert client.get(f"/api/v1/persons/{person['id']}").status_code == 200
