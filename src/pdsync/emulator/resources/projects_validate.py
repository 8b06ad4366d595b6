"""Write bodies of projects and tasks: v1 names to v2, types, references, derived fields.

v2 is strict about types (as for deals); v1 also takes form-encoded bodies, so numeric
strings become numbers first. Every error is a 400 naming the field and what it needs.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.resources.common import ApiProblem, Record, check_body
from pdsync.emulator.resources.custom import check_custom_fields, flat_v1_custom_fields
from pdsync.emulator.resources.projects_common import user_exists

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

PROJECT_STATUSES = ("open", "completed", "canceled")
PROJECT_TYPES = {
    "title": "str", "description": "str", "status": "str", "board_id": "int", "phase_id": "int",
    "owner_id": "int", "start_date": "date", "end_date": "date", "deal_ids": "list",
    "person_ids": "list", "org_ids": "list", "label_ids": "list", "health_status": "int",
    "template_id": "int", "custom_fields": "obj",
}  # fmt: skip
TASK_TYPES = {
    "title": "str", "project_id": "int", "parent_task_id": "int", "description": "str",
    "done": "int", "milestone": "int", "due_date": "date", "start_date": "date",
    "assignee_id": "int", "assignee_ids": "list", "priority": "int",
}  # fmt: skip
_V1_INTS = ("board_id", "phase_id", "owner_id", "org_id", "person_id", "health_status",
            "template_id", "project_id", "parent_task_id", "assignee_id", "done")  # fmt: skip
_REFERENCES = {"deal_ids": ("deal", "deal"), "person_ids": ("person", "person"),
               "org_ids": ("organization", "organization")}  # fmt: skip


def v1_project_body(store: Store, data: Record) -> Record:
    """A v1 project body in v2 names: single ``org_id``/``person_id``, ``labels``, flat custom fields."""
    out = _numbers(data)
    for v1_name, v2_name in (("org_id", "org_ids"), ("person_id", "person_ids")):
        if v1_name in out:
            value = out.pop(v1_name)
            out[v2_name] = [value] if value is not None else []
    if "labels" in out:
        out["label_ids"] = out.pop("labels")
    custom = flat_v1_custom_fields(store, "project", out)
    if custom:
        out["custom_fields"] = custom
    return out


def v1_task_body(data: Record) -> Record:
    return _numbers(data)


def _numbers(data: Record) -> Record:
    out = dict(data)
    for name in _V1_INTS:
        value = out.get(name)
        numeric_text = isinstance(value, str) and value.strip().isdigit()
        if numeric_text or (isinstance(value, float) and value.is_integer()):
            out[name] = int(value)  # type: ignore[arg-type]
    return out


def clean_project(store: Store, data: Record, current: Record | None) -> Record:
    """Validated changes (or a new project's fields) with board, phase and times derived."""
    required = ("title",) if current is None else ()
    changes = check_body(data, PROJECT_TYPES, required)
    if current is not None:
        changes.pop("template_id", None)  # only used when creating (spec)
    if "title" in changes and not changes["title"]:
        raise ApiProblem(400, "The 'title' field must not be empty")
    status = changes.get("status")
    if "status" in changes and status not in PROJECT_STATUSES:
        raise ApiProblem(400, f"The 'status' field must be one of: {', '.join(PROJECT_STATUSES)}")  # fmt: skip
    if "owner_id" in changes and not user_exists(store, changes["owner_id"]):
        raise ApiProblem(400, "The 'owner_id' field must be the id of an existing user")
    if changes.get("health_status") is not None and changes["health_status"] < 0:
        raise ApiProblem(400, "The 'health_status' field must be 0 or more")
    for name in ("deal_ids", "person_ids", "org_ids", "label_ids"):
        if name in changes:
            changes[name] = _id_list(store, name, changes[name])
    start = changes.get("start_date", (current or {}).get("start_date"))
    end = changes.get("end_date", (current or {}).get("end_date"))
    if start and end and end < start:
        raise ApiProblem(400, "The 'end_date' field must not be before 'start_date'")
    _board_and_phase(store, changes, current)
    if "custom_fields" in changes:
        values = check_custom_fields(store, "project", changes["custom_fields"])
        base = dict((current or {}).get("custom_fields") or {})
        base.update(values)
        changes["custom_fields"] = base
    if current is not None and status is not None and status != current.get("status"):
        changes["status_change_time"] = store.now()
    return changes


def _id_list(store: Store, name: str, values: list[Any]) -> list[int]:
    if any(not isinstance(v, int) or isinstance(v, bool) for v in values):
        raise ApiProblem(400, f"The '{name}' field must be an array of integers")
    reference = _REFERENCES.get(name)
    if reference is not None:
        entity, label = reference
        for value in values:
            found = store.get(entity, value)
            if found is None or found.get("is_deleted"):
                raise ApiProblem(400, f"The '{name}' field refers to {label} {value}, which does not exist")  # fmt: skip
    return sorted(set(values), key=values.index)


def _board_and_phase(store: Store, changes: Record, current: Record | None) -> None:
    """A project always sits on a board, in one of its phases: fill in what was not given."""
    phase = _live(store, "phase", changes.get("phase_id"), "phase_id", "phase")
    board_id = changes.get("board_id")
    if board_id is None and phase is not None:
        board_id = phase["board_id"]
    if board_id is None and changes.get("template_id") is not None:
        template = store.get("project_template", changes["template_id"])
        if template is None or template.get("is_deleted"):
            raise ApiProblem(400, "The 'template_id' field must be the id of an existing project template")  # fmt: skip
        board_id = template["projects_board_id"]
    if board_id is None and current is not None:
        board_id = current["board_id"]  # unchanged: not checked again (it may since be deleted)
    elif board_id is None:
        boards = sorted(
            (b for b in store.tables["board"].overlay.values() if not b["is_deleted"]),
            key=lambda b: (b["order_nr"], b["id"]),
        )
        if not boards:
            raise ApiProblem(400, "The account has no project board: add one with POST /api/v2/boards")  # fmt: skip
        board_id = boards[0]["id"]
    else:
        _live(store, "board", board_id, "board_id", "board")
    if phase is not None and phase["board_id"] != board_id:
        raise ApiProblem(400, f"The 'phase_id' field must be a phase of board {board_id}")
    if phase is None and (current is None or current["board_id"] != board_id):
        phases = store.projects.phases_of_board(board_id)
        if not phases:
            raise ApiProblem(400, f"Board {board_id} has no phases: add one with POST /api/v2/phases")  # fmt: skip
        changes["phase_id"] = phases[0]["id"]
    changes["board_id"] = board_id


def _live(store: Store, entity: str, record_id: Any, name: str, label: str) -> Record | None:
    if record_id is None:
        return None
    found = store.get(entity, record_id)
    if found is None or found.get("is_deleted"):
        raise ApiProblem(400, f"The '{name}' field must be the id of an existing {label}")
    return found


def clean_task(store: Store, data: Record, current: Record | None) -> Record:
    """Validated task changes in canonical names (``is_done``, ``is_milestone``, ``assignee_ids``)."""
    required = ("title", "project_id") if current is None else ()
    changes = check_body(data, TASK_TYPES, required)
    if "title" in changes and not changes["title"]:
        raise ApiProblem(400, "The 'title' field must not be empty")
    project_id = changes.get("project_id", (current or {}).get("project_id"))
    if "project_id" in changes:
        if project_id is None:
            raise ApiProblem(400, "The 'project_id' field is required")
        _live(store, "project", project_id, "project_id", "project")
    for flag, name in (("done", "is_done"), ("milestone", "is_milestone")):
        if flag in changes:
            value = changes.pop(flag)
            if value not in (0, 1):
                raise ApiProblem(400, f"The '{flag}' field must be 0 or 1")
            changes[name] = bool(value)
    if changes.get("priority") is not None and changes["priority"] < 0:
        raise ApiProblem(400, "The 'priority' field must be 0 or more")
    if "assignee_id" in changes:  # one assignee replaces the list (spec)
        value = changes.pop("assignee_id")
        changes["assignee_ids"] = [value] if value is not None else []
    if "assignee_ids" in changes:
        ids = changes["assignee_ids"] or []
        if any(not user_exists(store, v) for v in ids):
            raise ApiProblem(400, "The 'assignee_ids' field must list ids of existing users")
        changes["assignee_ids"] = sorted(set(ids), key=ids.index)
    if "parent_task_id" in changes and changes["parent_task_id"] is not None:
        _check_parent(store, changes["parent_task_id"], project_id, current)
    elif current is not None and "project_id" in changes and current.get("parent_task_id"):
        parent = store.get("task", current["parent_task_id"])
        if parent is not None and parent["project_id"] != project_id:
            raise ApiProblem(400, "A subtask stays in its parent's project: move the parent task, or set 'parent_task_id' too")  # fmt: skip
    return changes


def _check_parent(store: Store, parent_id: int, project_id: Any, current: Record | None) -> None:
    parent = _live(store, "task", parent_id, "parent_task_id", "task")
    assert parent is not None
    if current is not None and parent["id"] == current["id"]:
        raise ApiProblem(400, "The 'parent_task_id' field cannot be the task's own id")
    if parent.get("parent_task_id") is not None:
        raise ApiProblem(400, "The 'parent_task_id' field cannot be the id of a task which is already a subtask")  # fmt: skip
    if parent["project_id"] != project_id:
        raise ApiProblem(400, "The 'parent_task_id' field must be a task of the same project")
    if current is not None and any(
        t.get("parent_task_id") == current["id"]
        for t in store.projects.tasks_of(current["project_id"])
    ):
        raise ApiProblem(400, "A task with subtasks cannot become a subtask itself")
