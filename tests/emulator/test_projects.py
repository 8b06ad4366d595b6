"""Behaviour of the projects family: generated data, lists, filters, paging, writes and
their side effects (cascading deletes, archive, changelog, plan), and errors."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.store import Store

DEALS = 400


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=DEALS, rate_limits=False))


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    headers = {"x-api-token": emulator.config.token}
    with httpx.Client(
        transport=emulator.transport(), base_url="http://emulator", headers=headers
    ) as http:
        yield http


def data(response: httpx.Response, status: int = 200) -> Any:
    assert response.status_code == status, response.text
    return response.json()["data"]


def all_pages(client: httpx.Client, url: str, limit: int) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    cursor = None
    for _ in range(1000):
        sep = "&" if "?" in url else "?"
        params = f"{sep}limit={limit}" + (f"&cursor={cursor}" if cursor else "")
        body = client.get(url + params).json()
        assert len(body["data"]) <= limit
        rows += body["data"]
        cursor = body["additional_data"]["next_cursor"]
        if cursor is None:
            return rows
    raise AssertionError("paging did not end")


def error(response: httpx.Response, status: int) -> str:
    assert response.status_code == status, response.text
    body = response.json()
    assert body["success"] is False
    return str(body["error"])


# -- generated data ------------------------------------------------------------------------


def test_generated_account_has_projects_in_proportion_with_tasks_and_activities() -> None:
    store = Store(EmulatorConfig(deals=DEALS))
    projects = [store.get("project", i) for i in range(1, store.tables["project"].base_count + 1)]
    assert len(projects) == DEALS // 40
    tasks = [store.get("task", i) for i in range(1, store.tables["task"].base_count + 1)]
    assert len(tasks) >= 2 * len(projects)
    by_id = {t["id"]: t for t in tasks if t is not None}
    subtasks = [t for t in by_id.values() if t["parent_task_id"] is not None]
    assert subtasks, "some tasks have a parent"
    for sub in subtasks:
        parent = by_id[sub["parent_task_id"]]
        assert parent["parent_task_id"] is None and parent["project_id"] == sub["project_id"]
    assert {t["is_done"] for t in by_id.values()} == {True, False}
    assert any(t["assignee_ids"] for t in by_id.values())
    for task in by_id.values():
        assert (task["marked_as_done_time"] is not None) == task["is_done"]
        assert task["add_time"] <= task["update_time"]
    for project in projects:
        assert project is not None and project["add_time"] <= project["update_time"]
        assert project["deal_ids"], "generated projects start from a deal"
        assert (project["archive_time"] is not None) == project["is_archived"]
        assert (project["archive_time"] or 0) <= project["update_time"]
        deal = store.get("deal", project["deal_ids"][0])
        assert deal is not None and deal["status"] == "won"
        assert project["add_time"] >= deal["won_time"]
        activities = store.projects.activities_of(project["id"])
        assert all(a["project_id"] == project["id"] for a in activities)
        history = store.projects.changelog(project["id"])
        assert all(e["time"] <= project["update_time"] for e in history)
        if history:  # the newest change is the project's current state
            newest = history[0]["new_values"]
            assert newest.get("phase_id", project["phase_id"]) == project["phase_id"]
            assert newest.get("status", project["status"]) == project["status"]


def test_generated_projects_are_deterministic_from_the_seed() -> None:
    one, two = Store(EmulatorConfig(deals=200, seed=7)), Store(EmulatorConfig(deals=200, seed=7))
    other = Store(EmulatorConfig(deals=200, seed=8))
    assert one.get("project", 3) == two.get("project", 3)
    assert one.get("task", 5) == two.get("task", 5)
    assert [other.get("project", i) for i in (1, 2, 3)] != [one.get("project", i) for i in (1, 2, 3)]  # fmt: skip


def test_a_million_deal_account_starts_without_building_project_columns() -> None:
    store = Store(EmulatorConfig(deals=1_000_000))
    assert store.tables["project"].base_count == 25_000
    assert store.projects.layout._projects is None  # built on first use only


# -- lists, filters, paging ----------------------------------------------------------------


def test_pages_join_to_the_whole_list_in_id_order(client: httpx.Client) -> None:
    for url in ("/api/v2/tasks", "/api/v1/tasks", "/api/v2/projects?status=open,completed,canceled,deleted"):  # fmt: skip
        rows = all_pages(client, url, 7)
        ids = [r["id"] for r in rows]
        assert ids == sorted(set(ids)) and ids
    every = all_pages(client, "/api/v2/projects?status=open,completed,canceled,deleted", 500)
    archived = all_pages(client, "/api/v2/projects/archived?status=open,completed,canceled,deleted", 500)  # fmt: skip
    assert len(every) + len(archived) == DEALS // 40
    assert {r["id"] for r in every}.isdisjoint(r["id"] for r in archived)


def test_project_filters(client: httpx.Client, emulator: Emulator) -> None:
    store = emulator.store
    generated = [store.get("project", i) for i in range(1, DEALS // 40 + 1)]
    deleted = {p["id"] for p in generated if p and p["is_deleted"] and not p["is_archived"]}
    listed = data(client.get("/api/v2/projects?status=deleted&limit=500"))
    assert {p["id"] for p in listed} == deleted and all(p["status"] == "deleted" for p in listed)
    phase = generated[0]["phase_id"] if generated[0] else 1
    in_phase = data(client.get(f"/api/v1/projects?phase_id={phase}&include_archived=true&status=open,completed,canceled"))  # fmt: skip
    assert in_phase and all(p["phase_id"] == phase for p in in_phase)
    project = next(p for p in generated if p and not p["is_deleted"] and not p["is_archived"])
    deal = project["deal_ids"][0]
    by_deal = data(client.get(f"/api/v2/projects?deal_id={deal}&status=open,completed,canceled"))
    assert [p["id"] for p in by_deal] == [project["id"]]
    person = project["person_ids"][0]
    by_person = data(client.get(f"/api/v2/projects?person_id={person}&status=open,completed,canceled"))  # fmt: skip
    assert project["id"] in [p["id"] for p in by_person]


def test_task_filters(client: httpx.Client) -> None:
    roots = data(client.get("/api/v2/tasks?parent_task_id=null&limit=500"))
    assert roots and all(t["parent_task_id"] is None for t in roots)
    parent = next(t["parent_task_id"] for t in data(client.get("/api/v2/tasks?limit=500")) if t["parent_task_id"])  # fmt: skip
    subs = data(client.get(f"/api/v2/tasks?parent_task_id={parent}"))
    assert subs and all(t["parent_task_id"] == parent for t in subs)
    undone = data(client.get("/api/v2/tasks?is_done=false&limit=500"))
    assert undone and not any(t["is_done"] for t in undone)
    done_v1 = data(client.get("/api/v1/tasks?done=1"))
    assert done_v1 and all(t["done"] == 1 for t in done_v1)
    mine = data(client.get("/api/v2/tasks?assignee_id=2&limit=500"))
    assert mine and all(2 in t["assignee_ids"] for t in mine)
    of_project = data(client.get("/api/v2/tasks?project_id=3&limit=500"))
    assert of_project and {t["project_id"] for t in of_project} == {3}
    assert len(data(client.get("/api/v1/projects/3/tasks"))) == len(of_project)


def test_bad_parameters_get_400_naming_the_parameter(client: httpx.Client) -> None:
    assert "limit" in error(client.get("/api/v2/projects?limit=501"), 400)
    assert "status" in error(client.get("/api/v2/projects?status=closed"), 400)
    assert "parent_task_id" in error(client.get("/api/v2/tasks?parent_task_id=x"), 400)
    assert "done" in error(client.get("/api/v1/tasks?done=true"), 400)
    assert "board_id" in error(client.get("/api/v2/phases"), 400)
    assert "cursor" in error(client.get("/api/v2/tasks?cursor=%%%"), 400).lower()


# -- writes and side effects ---------------------------------------------------------------


def test_create_update_and_delete_cascades_to_tasks(client: httpx.Client) -> None:
    project = data(client.post("/api/v2/projects", json={"title": "Rollout", "template_id": 1}), 201)  # fmt: skip
    assert project["board_id"] == 1 and project["phase_id"] == 1 and project["status"] == "open"
    tasks = data(client.get(f"/api/v2/tasks?project_id={project['id']}"))
    assert [t["title"] for t in tasks][:2] == ["Kick-off call", "Import customer data"]
    sub = data(client.post("/api/v2/tasks", json={"title": "Agenda", "project_id": project["id"],
                                                  "parent_task_id": tasks[0]["id"]}), 201)  # fmt: skip
    done = data(client.patch(f"/api/v2/tasks/{sub['id']}", json={"done": 1}))
    assert done["is_done"] and done["marked_as_done_time"]
    undone = data(client.put(f"/api/v1/tasks/{sub['id']}", json={"done": "0"}))
    assert undone["done"] == 0 and undone["marked_as_done_time"] is None
    data(client.delete(f"/api/v2/tasks/{tasks[0]['id']}"))
    error(client.get(f"/api/v2/tasks/{sub['id']}"), 404)  # the subtask went with its parent
    data(client.delete(f"/api/v2/projects/{project['id']}"))
    assert data(client.get(f"/api/v2/tasks?project_id={project['id']}")) == []
    for task in tasks[1:]:
        error(client.get(f"/api/v1/tasks/{task['id']}"), 404)
    assert data(client.get(f"/api/v2/projects/{project['id']}"))["status"] == "deleted"
    error(client.patch(f"/api/v2/projects/{project['id']}", json={"title": "x"}), 404)
    error(client.delete(f"/api/v1/projects/{project['id']}"), 404)


def test_deleting_a_generated_project_deletes_its_generated_tasks(client: httpx.Client) -> None:
    live = data(client.get("/api/v2/projects?limit=1"))[0]
    tasks = data(client.get(f"/api/v2/tasks?project_id={live['id']}"))
    assert tasks
    gone = data(client.delete(f"/api/v1/projects/{live['id']}"))
    assert gone == {"success": True, "data": {"id": live["id"]}}
    assert data(client.get(f"/api/v2/tasks?project_id={live['id']}")) == []
    listed = {t["id"] for t in all_pages(client, "/api/v2/tasks", 500)}
    assert listed.isdisjoint(t["id"] for t in tasks)


def test_archive_moves_a_project_to_the_archived_list(client: httpx.Client) -> None:
    project = data(client.post("/api/v1/projects", json={"title": "To archive", "org_id": 2}), 201)
    assert project["org_id"] == 2 and project["archive_time"] is None
    archived = data(client.post(f"/api/v2/projects/{project['id']}/archive"))
    assert archived["archive_time"] is not None
    main_ids = {p["id"] for p in all_pages(client, "/api/v2/projects", 500)}
    archived_ids = {p["id"] for p in all_pages(client, "/api/v2/projects/archived", 500)}
    assert project["id"] in archived_ids and project["id"] not in main_ids
    v1_all = {p["id"] for p in data(client.get("/api/v1/projects?include_archived=true&limit=500"))}  # fmt: skip
    assert project["id"] in v1_all


def test_validation_errors_name_the_field(client: httpx.Client) -> None:
    assert "title" in error(client.post("/api/v2/projects", json={}), 400)
    assert "status" in error(client.post("/api/v2/projects", json={"title": "x", "status": "won"}), 400)  # fmt: skip
    assert "phase_id" in error(client.post("/api/v2/projects", json={"title": "x", "board_id": 1, "phase_id": 5}), 400)  # fmt: skip
    assert "deal_ids" in error(client.post("/api/v2/projects", json={"title": "x", "deal_ids": [10**8]}), 400)  # fmt: skip
    assert "end_date" in error(client.post("/api/v2/projects", json={"title": "x", "start_date": "2026-05-02", "end_date": "2026-05-01"}), 400)  # fmt: skip
    assert "board_id" in error(client.post("/api/v2/projects", json={"title": "x", "board_id": "1"}), 400)  # fmt: skip
    assert "project_id" in error(client.post("/api/v2/tasks", json={"title": "x"}), 400)
    assert "project_id" in error(client.post("/api/v2/tasks", json={"title": "x", "project_id": 10**8}), 400)  # fmt: skip
    sub = data(client.get("/api/v2/tasks?limit=500"))
    nested = next(t for t in sub if t["parent_task_id"])
    response = client.post("/api/v2/tasks", json={"title": "x", "project_id": nested["project_id"], "parent_task_id": nested["id"]})  # fmt: skip
    assert "subtask" in error(response, 400)
    assert "Custom field" in error(client.post("/api/v2/projects", json={"title": "x", "custom_fields": {"nope": 1}}), 400)  # fmt: skip
    for url in ("/api/v2/projects/999999", "/api/v1/projects/abc", "/api/v2/tasks/999999",
                "/api/v2/boards/999", "/api/v2/phases/999", "/api/v2/projectTemplates/999",
                "/api/v2/projects/999999/changelog", "/api/v1/projects/999999/plan"):  # fmt: skip
        error(client.get(url), 404)


def test_custom_fields_in_v2_object_and_v1_flat(client: httpx.Client, emulator: Emulator) -> None:
    code = next(f for f in emulator.store.fields["project"] if f.field_type == "varchar" and f.is_custom).key  # fmt: skip
    project = data(client.post("/api/v2/projects", json={"title": "CF", "custom_fields": {code: "PRJ-7"}}), 201)  # fmt: skip
    assert project["custom_fields"][code] == "PRJ-7"
    assert data(client.get(f"/api/v1/projects/{project['id']}"))[code] == "PRJ-7"
    updated = data(client.put(f"/api/v1/projects/{project['id']}", json={code: "PRJ-8"}))
    assert updated[code] == "PRJ-8"
    log = data(client.get(f"/api/v2/projects/{project['id']}/changelog"))
    assert log[0]["old_values"] == {code: "PRJ-7"} and log[0]["new_values"] == {code: "PRJ-8"}
    assert log[0]["change_source"] == "api"


def test_changelog_records_api_changes_newest_first_and_pages(client: httpx.Client) -> None:
    project = data(client.post("/api/v2/projects", json={"title": "Log", "board_id": 2}), 201)
    for phase in (6, 7, 8):
        data(client.patch(f"/api/v2/projects/{project['id']}", json={"phase_id": phase}))
    entries = all_pages(client, f"/api/v2/projects/{project['id']}/changelog", 2)
    assert [e["new_values"]["phase_id"] for e in entries] == [8, 7, 6]
    assert entries[-1]["old_values"] == {"phase_id": 5}


def test_plan_groups_and_moving_items(client: httpx.Client) -> None:
    project = data(client.post("/api/v1/projects", json={"title": "Plan", "board_id": 1}), 201)
    task = data(client.post("/api/v1/tasks", json={"title": "Step", "project_id": project["id"]}), 201)  # fmt: skip
    groups = data(client.get(f"/api/v1/projects/{project['id']}/groups"))
    assert len(groups) in (2, 3) and [g["order_nr"] for g in groups] == list(range(1, len(groups) + 1))  # fmt: skip
    moved = data(client.put(f"/api/v1/projects/{project['id']}/plan/tasks/{task['id']}",
                            json={"phase_id": 3, "group_id": groups[1]["id"]}))  # fmt: skip
    assert moved == {"item_id": task["id"], "item_type": "task", "phase_id": 3, "group_id": groups[1]["id"]}  # fmt: skip
    plan = data(client.get(f"/api/v1/projects/{project['id']}/plan"))
    assert moved in plan
    assert "phase_id" in error(client.put(f"/api/v1/projects/{project['id']}/plan/tasks/{task['id']}", json={"phase_id": 7}), 400)  # fmt: skip


def test_boards_and_phases_keep_their_order(client: httpx.Client) -> None:
    board = data(client.post("/api/v2/boards", json={"name": "First", "order_nr": 1}))
    boards = data(client.get("/api/v2/boards"))
    assert [b["order_nr"] for b in boards] == [1, 2, 3, 4] and boards[0]["id"] == board["id"]
    phase = data(client.post("/api/v2/phases", json={"name": "Only", "board_id": board["id"]}))
    assert phase["order_nr"] == 1
    data(client.delete(f"/api/v2/boards/{board['id']}"))
    error(client.get(f"/api/v2/phases/{phase['id']}"), 404)  # a board's phases go with it
    assert [b["order_nr"] for b in data(client.get("/api/v1/projects/boards"))] == [1, 2, 3]


def test_a_project_on_a_deleted_board_can_still_be_edited(client: httpx.Client) -> None:
    board = data(client.post("/api/v2/boards", json={"name": "Temporary"}))
    data(client.post("/api/v2/phases", json={"name": "Only", "board_id": board["id"]}))
    project = data(client.post("/api/v2/projects", json={"title": "P", "board_id": board["id"]}), 201)  # fmt: skip
    data(client.delete(f"/api/v2/boards/{board['id']}"))
    renamed = data(client.patch(f"/api/v2/projects/{project['id']}", json={"title": "Renamed"}))
    assert renamed["title"] == "Renamed" and renamed["board_id"] == board["id"]
    moved = data(client.patch(f"/api/v2/projects/{project['id']}", json={"board_id": 2}))
    assert moved["board_id"] == 2 and moved["phase_id"] == 5  # the first phase of board 2


def test_search_finds_written_and_generated_projects(client: httpx.Client) -> None:
    made = data(client.post("/api/v2/projects", json={"title": "Zebra rollout", "person_ids": [4]}), 201)  # fmt: skip
    found = data(client.get("/api/v2/projects/search?term=zebra"))["items"]
    assert [i["item"]["id"] for i in found] == [made["id"]]
    assert found[0]["item"]["person"]["id"] == 4
    assert data(client.get("/api/v2/projects/search?term=zebra&person_id=5"))["items"] == []
    generated = data(client.get("/api/v2/projects/search?term=onboarding&limit=500"))["items"]
    for found_item in (i["item"] for i in generated):
        texts = [found_item["title"], found_item["description"] or "", *found_item["custom_fields"]]
        assert "onboarding" in " ".join(texts).lower()
    assert generated
    data(client.delete(f"/api/v2/projects/{made['id']}"))
    assert data(client.get("/api/v2/projects/search?term=zebra"))["items"] == []


def test_moving_a_parent_task_moves_its_subtasks(client: httpx.Client) -> None:
    one = data(client.post("/api/v2/projects", json={"title": "One"}), 201)
    two = data(client.post("/api/v2/projects", json={"title": "Two"}), 201)
    parent = data(client.post("/api/v2/tasks", json={"title": "P", "project_id": one["id"]}), 201)
    child = {"title": "C", "project_id": one["id"], "parent_task_id": parent["id"]}
    sub = data(client.post("/api/v2/tasks", json=child), 201)
    response = client.patch(f"/api/v2/tasks/{sub['id']}", json={"project_id": two["id"]})
    assert "parent" in error(response, 400)
    moved = data(client.patch(f"/api/v2/tasks/{parent['id']}", json={"project_id": two["id"], "assignee_ids": [2, 3]}))  # fmt: skip
    assert moved["project_id"] == two["id"] and moved["assignee_ids"] == [2, 3]
    assert data(client.get(f"/api/v2/tasks/{sub['id']}"))["project_id"] == two["id"]
    assert data(client.get(f"/api/v2/tasks?project_id={one['id']}")) == []
    v1 = data(client.get(f"/api/v1/tasks/{parent['id']}"))
    assert v1["assignee_id"] == 2 and v1["assignee_ids"] == [2, 3]


def test_v1_accepts_form_encoded_bodies(client: httpx.Client) -> None:
    form = {"title": "Form project", "board_id": "2", "person_id": "3"}
    project = data(client.post("/api/v1/projects", data=form), 201)
    assert project["board_id"] == 2 and project["person_id"] == 3 and project["phase_id"] == 5
    task = data(client.post("/api/v1/tasks", data={"title": "T", "project_id": str(project["id"]), "done": "1"}), 201)  # fmt: skip
    assert task["done"] == 1 and task["marked_as_done_time"] is not None
