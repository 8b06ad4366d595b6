"""What hangs on a project: plan groups, the plan (tasks and activities placed in phases
and groups), its activities, its changelog (v2, cursor-paged) and its permitted users."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    count_records,
    encode_cursor,
    limit_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.projects_common import after_arg, existing, path_id
from pdsync.emulator.timefmt import v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    base = "/api/v1/projects/{id}"
    router.add("GET", base + "/groups", _groups(store))
    router.add("GET", base + "/plan", _plan(store))
    router.add("PUT", base + "/plan/activities/{activityId}", _place(store, "activity"))
    router.add("PUT", base + "/plan/tasks/{taskId}", _place(store, "task"))
    router.add("GET", base + "/activities", _activities(store))
    router.add("GET", "/api/v2/projects/{id}/changelog", _changelog(store))
    router.add("GET", "/api/v2/projects/{id}/permittedUsers", _permitted_users(store))


def _project(store: Store, req: Request) -> Record:
    return existing(store, "project", path_id(req), "Project")


def _groups(store: Store) -> Any:
    def handle(req: Request) -> Response:
        groups = store.projects.groups(_project(store, req)["id"])
        count_records(req, len(groups))
        return ok(groups)

    return handle


def _plan(store: Store) -> Any:
    def handle(req: Request) -> Response:
        items = store.projects.plan_items(_project(store, req))
        count_records(req, len(items))
        return ok(items)

    return handle


def _place(store: Store, kind: str) -> Any:
    param = "activityId" if kind == "activity" else "taskId"

    def handle(req: Request) -> Response:
        project = _project(store, req)
        item_id = path_id(req, param)
        data = store.projects
        members = data.activities_of(project["id"]) if kind == "activity" else data.tasks_of(project["id"])  # fmt: skip
        if not any(m["id"] == item_id for m in members):
            raise not_found(f"{kind.capitalize()} in project {project['id']}")
        changes = body(req)
        phases = {p["id"] for p in data.phases_of_board(project["board_id"])}
        groups = {g["id"] for g in data.groups(project["id"])}
        current = next(i for i in data.plan_items(project) if i["item_id"] == item_id and i["item_type"] == kind)  # fmt: skip
        phase_id = _choice(changes, "phase_id", phases, current["phase_id"], "a phase of the project's board")  # fmt: skip
        group_id = _choice(changes, "group_id", groups, current["group_id"], "a group of the project (GET /v1/projects/{id}/groups)")  # fmt: skip
        return ok(data.place(project["id"], kind, item_id, phase_id, group_id))

    return handle


def _choice(data: Record, name: str, allowed: set[int], current: Any, what: str) -> Any:
    if name not in data:
        return current
    value = data[name]
    if isinstance(value, str) and value.isdigit():
        value = int(value)
    if value is not None and (not isinstance(value, int) or value not in allowed):
        raise ApiProblem(400, f"The '{name}' field must be {what}, or null")
    return value


def _activities(store: Store) -> Any:
    def handle(req: Request) -> Response:
        activities = store.projects.activities_of(_project(store, req)["id"])
        renderer = V1Renderer(store, user_id(req))
        count_records(req, len(activities))
        return ok([renderer.render("activity", a) for a in activities], {"next_cursor": None})

    return handle


def _changelog(store: Store) -> Any:
    def handle(req: Request) -> Response:
        project = existing(store, "project", path_id(req), "Project", live=False)
        limit, offset = limit_arg(req), after_arg(req)
        entries = store.projects.changelog(project["id"])
        rows = entries[offset : offset + limit]
        more = offset + limit < len(entries)
        count_records(req, len(rows))
        cursor = encode_cursor((offset + limit, offset + limit)) if more else None
        data = [{**e, "time": v2_time(e["time"])} for e in rows]
        return ok(data, {"next_cursor": cursor})

    return handle


def _permitted_users(store: Store) -> Any:
    """The owner, the account's admins and the assignees of its tasks."""

    def handle(req: Request) -> Response:
        project = existing(store, "project", path_id(req), "Project", live=False)
        users = {project["owner_id"]}
        users.update(u["id"] for u in store.tables["user"].overlay.values()
                     if u.get("active_flag", True) and any(a.get("admin") for a in u.get("access", [])))  # fmt: skip
        for task in store.projects.tasks_of(project["id"]):
            users.update(task.get("assignee_ids") or [])
        return ok(sorted(users))

    return handle
