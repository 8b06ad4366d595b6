"""Tasks, v1 and v2: list, get, add, update, delete; and ``/v1/projects/{id}/tasks``.

A task belongs to a project and may have one level of subtasks. Deleting a task deletes
its subtasks; moving a parent task to another project moves its subtasks with it. Marking
a task done stamps ``marked_as_done_time``; undoing clears it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.projects_layout import DELETED, DONE, MILESTONE
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    bool_arg,
    count_records,
    int_arg,
    limit_arg,
    ok,
    user_id,
)
from pdsync.emulator.resources.projects_common import (
    Filter,
    after_arg,
    existing,
    page,
    path_id,
    scan,
    task_v1,
    task_v2,
)
from pdsync.emulator.resources.projects_validate import clean_task, v1_task_body

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

TASK_DEFAULTS: Record = {
    "description": None, "parent_task_id": None, "assignee_ids": [], "is_done": False,
    "is_milestone": False, "due_date": None, "start_date": None, "priority": None,
    "marked_as_done_time": None, "is_deleted": False,
}  # fmt: skip


def register(router: Router, store: Store) -> None:
    for v2, base in ((True, "/api/v2/tasks"), (False, "/api/v1/tasks")):
        router.add("GET", base, _list(store, v2))
        router.add("POST", base, _create(store, v2))
        router.add("GET", base + "/{id}", _get(store, v2))
        router.add("PATCH" if v2 else "PUT", base + "/{id}", _update(store, v2))
        router.add("DELETE", base + "/{id}", _delete(store, v2))
    router.add("GET", "/api/v1/projects/{id}/tasks", _project_tasks(store))


def render(rec: Record, v2: bool) -> Record:
    return task_v2(rec) if v2 else task_v1(rec)


def task_filters(store: Store, req: Request, v2: bool) -> tuple[list[Filter], range | None]:
    """Filters of a task list, and the generated ids that can match (one project's range)."""
    layout = store.projects.layout
    cols = layout.task_columns()
    flags, parent, assignee = cols.flags, cols.parent, cols.assignee
    filters = [Filter(lambda i: not flags[i] & DELETED, lambda r: not r.get("is_deleted"))]
    ids = None
    project_id = int_arg(req, minimum=1, name="project_id")
    if project_id is not None:
        ids = layout.task_range(project_id)
        filters.append(Filter(lambda i: layout.project_of_task(i) == project_id,
                              lambda r: r.get("project_id") == project_id))  # fmt: skip
    assignee_id = int_arg(req, minimum=1, name="assignee_id")
    if assignee_id is not None:
        filters.append(Filter(lambda i: assignee[i] == assignee_id,
                              lambda r: assignee_id in (r.get("assignee_ids") or [])))  # fmt: skip
    raw_parent = req.arg("parent_task_id")
    if raw_parent:
        if raw_parent == "null":
            filters.append(Filter(lambda i: not parent[i], lambda r: r.get("parent_task_id") is None))  # fmt: skip
        elif raw_parent.isdigit():
            wanted = int(raw_parent)
            filters.append(Filter(lambda i: parent[i] == wanted,
                                  lambda r: r.get("parent_task_id") == wanted))  # fmt: skip
        else:
            raise ApiProblem(400, "Parameter 'parent_task_id' must be a task id or null")
    for name, bit, key in (("is_done", DONE, "is_done"), ("is_milestone", MILESTONE, "is_milestone")):  # fmt: skip
        param = name if v2 else ("done" if name == "is_done" else "")
        if not param or req.arg(param) in (None, ""):
            continue
        if v2:
            value = bool_arg(req, param)
        elif req.arg(param) in ("0", "1"):
            value = req.arg(param) == "1"
        else:
            raise ApiProblem(400, "Parameter 'done' must be 0 or 1")
        filters.append(_flag_filter(flags, bit, key, value))
    return filters, ids


def _flag_filter(flags: bytearray, bit: int, key: str, value: bool) -> Filter:
    return Filter(lambda i: bool(flags[i] & bit) == value, lambda r: bool(r.get(key)) == value)


def _list(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        limit = limit_arg(req, default=100 if v2 else 500)
        filters, ids = task_filters(store, req, v2)
        rows, cursor = page(scan(store, "task", after_arg(req), filters, ids), limit, req)
        return ok([render(r, v2) for r in rows], {"next_cursor": cursor})

    return handle


def _project_tasks(store: Store) -> Any:
    def handle(req: Request) -> Response:
        project = existing(store, "project", path_id(req), "Project")
        tasks = store.projects.tasks_of(project["id"])
        count_records(req, len(tasks))
        return ok([task_v1(t) for t in tasks], {"next_cursor": None})

    return handle


def _get(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        return ok(render(existing(store, "task", path_id(req), "Task"), v2))

    return handle


def _create(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        data = body(req) if v2 else v1_task_body(body(req))
        with store.lock:
            changes = clean_task(store, data, None)
            record = {**TASK_DEFAULTS, "creator_id": user_id(req), **changes}
            created = store.create("task", record, user_id(req))
            if created["is_done"]:
                created["marked_as_done_time"] = created["add_time"]
        return ok(render(created, v2), status=201)

    return handle


def _update(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        current = existing(store, "task", path_id(req), "Task")
        data = body(req) if v2 else v1_task_body(body(req))
        with store.lock:
            changes = clean_task(store, data, current)
            if "is_done" in changes and changes["is_done"] != current["is_done"]:
                changes["marked_as_done_time"] = store.now() if changes["is_done"] else None
            moved = "project_id" in changes and changes["project_id"] != current["project_id"]
            subtasks = _subtasks(store, current) if moved else []
            updated = store.update("task", current["id"], changes, user_id(req))
            for sub in subtasks:
                store.update("task", sub["id"], {"project_id": changes["project_id"]}, user_id(req))  # fmt: skip
        return ok(render(updated, v2))

    return handle


def _subtasks(store: Store, task: Record) -> list[Record]:
    return [t for t in store.projects.tasks_of(task["project_id"]) if t.get("parent_task_id") == task["id"]]  # fmt: skip


def _delete(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        current = existing(store, "task", path_id(req), "Task")
        with store.lock:
            for sub in _subtasks(store, current):
                store.delete("task", sub["id"], user_id(req))
            store.delete("task", current["id"], user_id(req))
        gone = {"id": current["id"]}
        return ok(gone if v2 else {"success": True, "data": gone})

    return handle
