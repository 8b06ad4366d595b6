"""Files, organization relationships, noteFields, include_fields counters, recents, quiet resets."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig


@pytest.fixture
def client() -> Iterator[httpx.Client]:
    emu = Emulator(EmulatorConfig(deals=300, rate_limits=False))
    headers = {"x-api-token": emu.config.token}
    with httpx.Client(transport=emu.transport(), base_url="http://e", headers=headers) as c:
        yield c


def data(response: httpx.Response) -> Any:
    assert response.is_success, response.text
    return response.json()["data"]


def test_upload_download_rename_delete(client: httpx.Client) -> None:
    deal_id = data(client.get("/api/v2/deals", params={"limit": 1}))[0]["id"]
    content = bytes(range(256)) * 10
    uploaded = data(client.post("/v1/files", data={"deal_id": str(deal_id)},
                                files={"file": ("price list.bin", content)}))  # fmt: skip
    assert uploaded["file_size"] == len(content) and uploaded["deal_id"] == deal_id
    assert uploaded["url"].endswith(f"/api/v1/files/{uploaded['id']}/download")
    download = client.get(f"/v1/files/{uploaded['id']}/download")
    assert download.content == content
    assert "price list.bin" in download.headers["content-disposition"]
    listed = data(client.get(f"/v1/deals/{deal_id}/files"))
    assert uploaded["id"] in [f["id"] for f in listed]
    renamed = data(client.put(f"/v1/files/{uploaded['id']}", json={"name": "prices.bin"}))
    assert renamed["name"] == "prices.bin" and renamed["update_time"] >= uploaded["update_time"]
    assert data(client.delete(f"/v1/files/{uploaded['id']}")) == {"id": uploaded["id"]}
    assert client.get(f"/v1/files/{uploaded['id']}").status_code == 404
    assert uploaded["id"] not in [f["id"] for f in data(client.get(f"/v1/deals/{deal_id}/files"))]


def test_generated_files_page_and_download(client: httpx.Client) -> None:
    first = client.get("/v1/files", params={"start": 0, "limit": 10}).json()
    assert len(first["data"]) == 10 and first["additional_data"]["pagination"]["next_start"] == 10
    rec = first["data"][0]
    assert sum(1 for k in ("deal_id", "person_id", "org_id") if rec[k]) == 1
    body = client.get(f"/v1/files/{rec['id']}/download").content
    assert len(body) == rec["file_size"]


@pytest.mark.parametrize(
    ("fields", "files", "message"),
    [
        ({"deal_id": "1"}, None, "multipart"),
        ({}, {"file": ("a.txt", b"x")}, "must be linked"),
        ({"deal_id": "99999999"}, {"file": ("a.txt", b"x")}, "does not exist"),
    ],
)
def test_bad_uploads_are_400(
    client: httpx.Client, fields: dict[str, str], files: Any, message: str
) -> None:
    if files is None:
        response = client.post("/v1/files", json=fields)
    else:
        response = client.post("/v1/files", data=fields, files=files)
    assert response.status_code == 400 and message in response.json()["error"]


def test_counters_agree_with_child_lists_and_follow_writes(client: httpx.Client) -> None:
    names = (
        "activities_count,notes_count,files_count,followers_count,products_count,participants_count"
    )
    deals = data(client.get("/api/v2/deals", params={"limit": 30, "include_fields": names}))
    for deal in deals[:10]:
        activities = data(client.get("/api/v2/activities", params={"deal_id": deal["id"]}))
        notes = data(client.get("/v1/notes", params={"deal_id": deal["id"]}))
        products = data(client.get(f"/api/v2/deals/{deal['id']}/products"))
        assert deal["activities_count"] == len(activities)
        assert deal["notes_count"] == len(notes)
        assert deal["products_count"] == len(products)
    deal_file = next(f for f in data(client.get("/v1/files")) if f["deal_id"])
    counted = data(client.get(f"/api/v2/deals/{deal_file['deal_id']}", params={"include_fields": "files_count"}))  # fmt: skip
    assert counted["files_count"] == len(
        data(client.get(f"/v1/deals/{deal_file['deal_id']}/files"))
    )
    assert counted["files_count"] >= 1
    target = deals[0]
    client.post("/v1/notes", json={"content": "<p>x</p>", "deal_id": target["id"]})
    after = data(client.get(f"/api/v2/deals/{target['id']}", params={"include_fields": names}))
    assert after["notes_count"] == target["notes_count"] + 1


def test_organization_counters(client: httpx.Client) -> None:
    org = data(client.get("/api/v2/organizations/4", params={"include_fields": "people_count"}))
    people = data(client.get("/api/v2/persons", params={"org_id": 4, "limit": 500}))
    assert org["people_count"] == len(people)


def test_organization_relationships(client: httpx.Client) -> None:
    parent_view = data(client.get("/v1/organizationRelationships", params={"org_id": 3}))
    assert [(r["type"], r["calculated_type"], r["calculated_related_org_id"]) for r in parent_view] == [("parent", "daughter", 30)]  # fmt: skip
    daughter_view = data(client.get("/v1/organizationRelationships", params={"org_id": 30}))
    assert daughter_view[0]["calculated_type"] == "parent"
    created = data(client.post("/v1/organizationRelationships", json={"type": "related", "rel_owner_org_id": 5, "rel_linked_org_id": 6}))  # fmt: skip
    assert created["active_flag"] == "true"
    assert created["id"] in [r["id"] for r in data(client.get("/v1/organizationRelationships", params={"org_id": 6}))]  # fmt: skip
    client.delete(f"/v1/organizationRelationships/{created['id']}")
    assert client.get(f"/v1/organizationRelationships/{created['id']}").status_code == 404
    bad = client.post("/v1/organizationRelationships", json={"type": "parent", "rel_owner_org_id": 5, "rel_linked_org_id": 5})  # fmt: skip
    assert bad.status_code == 400


def test_note_fields(client: httpx.Client) -> None:
    keys = {f["key"] for f in data(client.get("/v1/noteFields"))}
    assert {"content", "deal_id", "person_id", "org_id", "lead_id", "user_id"} <= keys


def test_recents_show_the_last_month_of_generated_history(client: httpx.Client) -> None:
    recents = client.get("/v1/recents", params={"since_timestamp": "2000-01-01 00:00:00"}).json()
    assert recents["data"], "a generated account has recent changes"
    times = [r["data"]["update_time"] for r in recents["data"] if r["data"]]
    assert min(times) >= "2026-09-01"  # about a month before the history's end (2026-10-01)


def test_organizations_have_firmographics(client: httpx.Client) -> None:
    orgs = data(client.get("/api/v2/organizations", params={"limit": 50}))
    assert any(o["website"] and o["employee_count"] for o in orgs)
    assert all(set(o) >= {"website", "linkedin", "industry", "annual_revenue", "employee_count"}
               for o in orgs)  # fmt: skip


RESET_SCRIPT = """
import httpx
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
with EmulatorServer(EmulatorConfig(deals=20, faults="rate=1,kinds=reset", rate_limits=False)) as srv:
    for _ in range(3):
        try:
            httpx.get(srv.url + "/api/v2/deals", headers={"x-api-token": srv.config.token})
        except httpx.HTTPError:
            print("dropped")
"""


def test_reset_fault_is_silent_on_stderr() -> None:
    done = subprocess.run([sys.executable, "-c", RESET_SCRIPT], capture_output=True, text=True, timeout=60)  # fmt: skip
    assert done.stdout.split() == ["dropped"] * 3
    assert done.stderr == ""
