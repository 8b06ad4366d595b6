"""Projects, v1 and v2: list (and archived), get, add, update, archive, delete.

A deleted project keeps answering ``GET`` with status ``deleted`` and is listed only when
``status`` asks for it; deleting it deletes its tasks. Archived projects leave the main
v2 list for ``/projects/archived`` (v1: ``include_archived=true``). Changes through the API
are written to the project's changelog.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.projects_layout import ARCHIVED, DELETED, STATUSES
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    bool_arg,
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
    project_v1,
    project_v2,
    scan,
)
from pdsync.emulator.resources.projects_validate import clean_project, v1_project_body

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

LIST_STATUSES = (*STATUSES, "deleted")
DEFAULTS: Record = {
    "description": None, "status": "open", "start_date": None, "end_date": None, "deal_ids": [],
    "person_ids": [], "org_ids": [], "label_ids": [], "health_status": None, "archive_time": None,
    "is_archived": False, "is_deleted": False, "template_id": None,
}  # fmt: skip


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v2/projects", _list(store, v2=True, archived=False))
    router.add("GET", "/api/v2/projects/archived", _list(store, v2=True, archived=True))
    router.add("GET", "/api/v1/projects", _list(store, v2=False, archived=False))
    for v2, base in ((True, "/api/v2/projects"), (False, "/api/v1/projects")):
        router.add("POST", base, _create(store, v2))
        router.add("GET", base + "/{id}", _get(store, v2))
        router.add("PATCH" if v2 else "PUT", base + "/{id}", _update(store, v2))
        router.add("DELETE", base + "/{id}", _delete(store, v2))
        router.add("POST", base + "/{id}/archive", _archive(store, v2))


def render(store: Store, rec: Record, v2: bool) -> Record:
    return project_v2(store, rec) if v2 else project_v1(store, rec)


# -- lists --------------------------------------------------------------------------------


def status_filter(store: Store, req: Request) -> Filter:
    raw = req.arg("status")
    wanted = {s.strip() for s in raw.split(",") if s.strip()} if raw else set(STATUSES)
    if not wanted or wanted - set(LIST_STATUSES):
        raise ApiProblem(400, f"Parameter 'status' must be a comma-separated list of: {', '.join(LIST_STATUSES)}")  # fmt: skip
    cols = store.projects.layout.project_columns()
    flags, status, gone = cols.flags, cols.status, "deleted" in wanted

    def column(i: int) -> bool:
        return gone if flags[i] & DELETED else STATUSES[status[i]] in wanted

    def record(r: Record) -> bool:
        return gone if r.get("is_deleted") else r.get("status") in wanted

    return Filter(column, record)


def archived_filter(store: Store, archived: bool) -> Filter:
    flags = store.projects.layout.project_columns().flags
    return Filter(
        lambda i: bool(flags[i] & ARCHIVED) == archived,
        lambda r: bool(r.get("is_archived")) == archived,
    )


def link_filters(store: Store, req: Request, names: tuple[str, ...]) -> list[Filter]:
    """``phase_id`` and the deal/person/organization a project is linked to."""
    cols = store.projects.layout.project_columns()
    deals = store.columns.get("deal").ints if store.counts.deal else {}
    filters = []
    for name in names:
        wanted = int_arg(req, minimum=1, name=name)
        if wanted is None:
            continue
        if name == "phase_id":
            filters.append(Filter(_equals(cols.phase_id, wanted), _has("phase_id", wanted)))
        elif name == "deal_id":
            filters.append(Filter(_equals(cols.deal_id, wanted), _has("deal_ids", wanted)))
        else:
            key = "person_ids" if name == "person_id" else "org_ids"
            via = deals.get(name)
            filters.append(Filter(_via_deal(cols.deal_id, via, wanted), _has(key, wanted)))
    return filters


def _equals(column: Any, wanted: int) -> Any:
    return lambda i: column[i] == wanted


def _via_deal(deal_of: Any, column: Any, wanted: int) -> Any:
    if column is None:
        return lambda i: False
    return lambda i: bool(deal_of[i]) and column[deal_of[i]] == wanted


def _has(key: str, wanted: int) -> Any:
    def check(r: Record) -> bool:
        value = r.get(key)
        return wanted in value if isinstance(value, list) else value == wanted

    return check


def check_filter_id(store: Store, req: Request) -> None:
    """A saved filter must exist (404 otherwise); its conditions are not evaluated."""
    filter_id = int_arg(req, "filter_id", minimum=1)
    if filter_id is None:
        return
    found = store.get("filter", filter_id)
    if found is None or found.get("active_flag") is False:
        raise ApiProblem(404, "Filter not found")


def _list(store: Store, v2: bool, archived: bool) -> Any:
    links = ("phase_id", "deal_id", "person_id", "org_id") if v2 and not archived else ("phase_id",)  # fmt: skip

    def handle(req: Request) -> Response:
        limit = limit_arg(req, default=100)
        check_filter_id(store, req)
        filters = [status_filter(store, req), *link_filters(store, req, links)]
        if v2 or not bool_arg(req, "include_archived"):
            filters.append(archived_filter(store, archived))
        rows, cursor = page(scan(store, "project", after_arg(req), filters), limit, req)
        return ok([render(store, r, v2) for r in rows], {"next_cursor": cursor})

    return handle


# -- single projects ------------------------------------------------------------------------


def _get(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        record = existing(store, "project", path_id(req), "Project", live=False)
        return ok(render(store, record, v2))

    return handle


def _create(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        data = body(req) if v2 else v1_project_body(store, body(req))
        changes = clean_project(store, data, None)
        record = {**DEFAULTS, "owner_id": user_id(req), **changes}
        record["custom_fields"] = {
            **{f.key: None for f in store.fields["project"] if f.is_custom and not f.is_deleted},
            **record.get("custom_fields", {}),
        }
        record["status_change_time"] = None
        with store.lock:
            created = store.create("project", record, user_id(req))
            created["status_change_time"] = created["add_time"]  # the status was set on creation
            _tasks_from_template(store, created, user_id(req))
        return ok(render(store, created, v2), status=201)

    return handle


def _tasks_from_template(store: Store, project: Record, user: int) -> None:
    from pdsync.emulator.projects_data import template_tasks
    from pdsync.emulator.resources.projects_tasks import TASK_DEFAULTS

    for title in template_tasks(project.get("template_id") or 0):
        task = {**TASK_DEFAULTS, "title": title, "project_id": project["id"], "creator_id": user}
        store.create("task", task, user)


def _update(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        current = existing(store, "project", path_id(req), "Project")
        data = body(req) if v2 else v1_project_body(store, body(req))
        with store.lock:
            changes = clean_project(store, data, current)
            updated = store.update("project", current["id"], changes, user_id(req))
            store.projects.record_change(current["id"], current, updated, user_id(req),
                                         req.headers.get("user-agent"))  # fmt: skip
        return ok(render(store, updated, v2))

    return handle


def _archive(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        current = existing(store, "project", path_id(req), "Project")
        if current.get("is_archived"):
            return ok(render(store, current, v2))
        with store.lock:
            now = store.now()
            updated = store.update("project", current["id"], {"is_archived": True, "archive_time": now}, user_id(req))  # fmt: skip
        return ok(render(store, updated, v2))

    return handle


def _delete(store: Store, v2: bool) -> Any:
    def handle(req: Request) -> Response:
        current = existing(store, "project", path_id(req), "Project")
        with store.lock:
            for task in store.projects.tasks_of(current["id"]):
                store.delete("task", task["id"], user_id(req))
            store.delete("project", current["id"], user_id(req))
        gone = {"id": current["id"]}
        # v1 wraps the id in a second success envelope (spec).
        return ok(gone if v2 else {"success": True, "data": gone})

    return handle
