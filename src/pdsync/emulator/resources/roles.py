"""v1 roles (visibility groups) and permission sets.

A user belongs to one role (the user record's ``role_id``); a role's assignment and
sub-role counts, and a permission set's assignments, are counted from the records
when rendered, so they never drift. Deleting a role marks it inactive, moves its users
to the default role (the first top-level role) and its sub-roles to its parent.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.admin_common import (
    choice,
    int_value,
    offset_rows,
    path_int,
    public,
    require_admin,
    text_value,
)
from pdsync.emulator.resources.common import ApiProblem, Record, body, not_found, ok, user_id
from pdsync.emulator.static import new_role

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

SETTING_KEYS = ("deal_default_visibility", "lead_default_visibility", "org_default_visibility",
                "person_default_visibility", "product_default_visibility")  # fmt: skip
VISIBILITY_VALUES = (1, 3, 5, 7)
ASSIGNMENT_TYPE = "1"  # the only assignment type the API shows


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/roles", _list(store))
    router.add("POST", "/api/v1/roles", _add(store))
    router.add("GET", "/api/v1/roles/{id}", _get(store))
    router.add("PUT", "/api/v1/roles/{id}", _update(store))
    router.add("DELETE", "/api/v1/roles/{id}", _delete(store))
    router.add("GET", "/api/v1/roles/{id}/assignments", _assignments(store))
    router.add("POST", "/api/v1/roles/{id}/assignments", _assign(store))
    router.add("DELETE", "/api/v1/roles/{id}/assignments", _unassign(store))
    router.add("GET", "/api/v1/roles/{id}/pipelines", _pipelines(store))
    router.add("PUT", "/api/v1/roles/{id}/pipelines", _set_pipelines(store))
    router.add("GET", "/api/v1/roles/{id}/settings", _settings(store))
    router.add("POST", "/api/v1/roles/{id}/settings", _set_setting(store))
    router.add("GET", "/api/v1/permissionSets", _permission_sets(store))
    router.add("GET", "/api/v1/permissionSets/{id}", _permission_set(store))
    router.add("GET", "/api/v1/permissionSets/{id}/assignments", _set_assignments(store))


# -- the model -----------------------------------------------------------------------------


def users(store: Store) -> list[Record]:
    return list(store.tables["user"].overlay.values())


def level(store: Store, role: Record) -> int:
    depth, parent = 1, role["parent_role_id"]
    while parent is not None and depth < 64:
        depth += 1
        parent = store.static["role"][parent]["parent_role_id"]
    return depth


def render_role(store: Store, role: Record) -> Record:
    assigned = sum(1 for u in users(store) if u.get("role_id") == role["id"])
    subs = sum(1 for r in store.static["role"].values()
               if r["parent_role_id"] == role["id"] and r["active_flag"])  # fmt: skip
    return {**public(role), "assignment_count": str(assigned), "sub_role_count": str(subs),
            "level": level(store, role)}  # fmt: skip


def default_role(store: Store) -> Record:
    """Where users go when their role is taken away: the first active top-level role."""
    return next(r for r in store.static["role"].values()
                if r["active_flag"] and r["parent_role_id"] is None)  # fmt: skip


def live_role(store: Store, req: Request) -> Record:
    role = store.static["role"].get(path_int(req, "Role"))
    if role is None or not role["active_flag"]:
        raise not_found("Role")
    return role


def assignment(store: Store, user: Record) -> Record:
    role = store.static["role"][user["role_id"]]
    return {"user_id": user["id"], "role_id": role["id"], "parent_role_id": role["parent_role_id"],
            "name": role["name"], "active_flag": bool(user.get("active_flag")),
            "type": ASSIGNMENT_TYPE}  # fmt: skip


def _parent_id(store: Store, data: Record, role_id: int | None) -> int | None:
    parent = int_value(data, "parent_role_id", required=False)
    if parent is None:
        return None
    found = store.static["role"].get(parent)
    if found is None or not found["active_flag"]:
        raise ApiProblem(400, f"Parent role {parent} does not exist")
    ancestor: int | None = parent
    while ancestor is not None:  # a role cannot sit below itself
        if ancestor == role_id:
            raise ApiProblem(400, "A role cannot be its own parent or a parent of its parents")
        ancestor = store.static["role"][ancestor]["parent_role_id"]
    return parent


def _move_users(store: Store, user_ids: list[int], role_id: int, actor: int) -> None:
    for uid in user_ids:
        store.update("user", uid, {"role_id": role_id}, actor)


# -- roles -----------------------------------------------------------------------------------


def _list(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rows = [render_role(store, r) for r in store.static["role"].values() if r["active_flag"]]
        return offset_rows(req, rows)

    return handle


def _get(store: Store) -> Any:
    def handle(req: Request) -> Response:
        role = store.static["role"].get(path_int(req, "Role"))
        if role is None:
            raise not_found("Role")
        return ok(render_role(store, role))

    return handle


def _add(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        data = body(req)
        name = text_value(data, "name")
        assert name is not None
        with store.lock:
            roles = store.static["role"]
            role_id = max(roles, default=0) + 1
            roles[role_id] = new_role(role_id, name, _parent_id(store, data, role_id))
        return ok({"id": role_id})

    return handle


def _update(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        role = live_role(store, req)
        data = body(req)
        name = text_value(data, "name", required=False)
        with store.lock:
            if "parent_role_id" in data:
                role["parent_role_id"] = _parent_id(store, data, role["id"])
            if name is not None:
                role["name"] = name
        return ok({"id": role["id"]})

    return handle


def _delete(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        role = live_role(store, req)
        with store.lock:
            if role is default_role(store):
                raise ApiProblem(400, "The default role cannot be deleted")
            role["active_flag"] = False
            for other in store.static["role"].values():
                if other["parent_role_id"] == role["id"]:
                    other["parent_role_id"] = role["parent_role_id"]
            moved = [u["id"] for u in users(store) if u.get("role_id") == role["id"]]
            _move_users(store, moved, default_role(store)["id"], user_id(req))
        return ok({"id": role["id"]})

    return handle


# -- assignments -------------------------------------------------------------------------------


def _assignments(store: Store) -> Any:
    def handle(req: Request) -> Response:
        role = live_role(store, req)
        rows = [assignment(store, u) for u in users(store) if u.get("role_id") == role["id"]]
        return offset_rows(req, rows)

    return handle


def _assign_user(store: Store, data: Record) -> Record:
    uid = int_value(data, "user_id")
    user = store.get("user", uid)
    if user is None:
        raise ApiProblem(400, f"User {uid} does not exist")
    return user


def _assign(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        role = live_role(store, req)
        user = _assign_user(store, body(req))
        if user.get("role_id") == role["id"]:
            raise ApiProblem(400, f"User {user['id']} is already assigned to this role")
        _move_users(store, [user["id"]], role["id"], user_id(req))
        return ok({"user_id": user["id"], "role_id": role["id"]})

    return handle


def _unassign(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        role = live_role(store, req)
        user = _assign_user(store, body(req))
        if user.get("role_id") != role["id"]:
            raise ApiProblem(400, f"User {user['id']} is not assigned to this role")
        target = default_role(store)
        if target["id"] == role["id"]:
            raise ApiProblem(400, "Users cannot be removed from the default role")
        _move_users(store, [user["id"]], target["id"], user_id(req))
        return ok({"id": role["id"]})

    return handle


# -- pipeline visibility and settings -------------------------------------------------------------


def _visible_answer(store: Store, role: Record, visible: bool) -> Record:
    hidden = set(role["_hidden_pipelines"])
    ids = [p["id"] for p in store.tables["pipeline"].overlay.values()
           if not p.get("is_deleted") and (p["id"] not in hidden) == visible]  # fmt: skip
    return {"pipeline_ids": ids, "visible": visible}


def _pipelines(store: Store) -> Any:
    def handle(req: Request) -> Response:
        role = live_role(store, req)
        raw = (req.arg("visible") or "true").lower()
        if raw not in ("true", "false", "1", "0"):
            raise ApiProblem(400, "Parameter 'visible' must be a boolean")
        return ok(_visible_answer(store, role, raw in ("true", "1")))

    return handle


def _id_list(value: Any, name: str) -> list[int]:
    """``[1, 2]``, or the JSON-encoded ``"[1, 2]"`` the spec's example shows."""
    if isinstance(value, str):
        try:
            value = json.loads(value)
        except ValueError:
            raise ApiProblem(400, f"'{name}' must be an array of pipeline ids") from None
    if value is None:
        return []
    if not isinstance(value, list) or not all(
        isinstance(v, int) and not isinstance(v, bool) for v in value
    ):
        raise ApiProblem(400, f"'{name}' must be an array of pipeline ids")
    return value


def _set_pipelines(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        role = live_role(store, req)
        change = body(req).get("visible_pipeline_ids")
        if not isinstance(change, dict) or not ({"add", "remove"} & set(change)):
            raise ApiProblem(
                400,
                'The \'visible_pipeline_ids\' field is required: {"add": [ids], "remove": [ids]}',
            )
        add = _id_list(change.get("add"), "visible_pipeline_ids.add")
        remove = _id_list(change.get("remove"), "visible_pipeline_ids.remove")
        known = {
            p["id"] for p in store.tables["pipeline"].overlay.values() if not p.get("is_deleted")
        }
        unknown = sorted(set(add + remove) - known)
        if unknown:
            raise ApiProblem(400, f"Pipelines not found: {', '.join(map(str, unknown))}")
        with store.lock:
            hidden = (set(role["_hidden_pipelines"]) - set(add)) | set(remove)
            role["_hidden_pipelines"] = sorted(hidden)
        return ok(_visible_answer(store, role, True))

    return handle


def _settings(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(dict(live_role(store, req)["_settings"]))

    return handle


def _set_setting(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        role = live_role(store, req)
        data = body(req)
        key = choice(data, "setting_key", SETTING_KEYS)
        value = choice(data, "value", VISIBILITY_VALUES)
        with store.lock:
            role["_settings"][key] = value
        return ok({"id": role["id"], key: value})

    return handle


# -- permission sets ---------------------------------------------------------------------------


def set_assignments(store: Store, set_id: str) -> list[Record]:
    pset = store.static["permission_set"][set_id]
    return [{"user_id": u["id"], "permission_set_id": set_id, "name": pset["name"]}
            for u in users(store)
            if any(a.get("permission_set_id") == set_id for a in u.get("access") or [])]  # fmt: skip


def render_set(store: Store, pset: Record, contents: bool = False) -> Record:
    out = {**public(pset), "assignment_count": len(set_assignments(store, pset["id"]))}
    if contents:
        out["contents"] = list(pset["_contents"])
    return out


def _permission_sets(store: Store) -> Any:
    def handle(req: Request) -> Response:
        app = req.arg("app")
        rows = [render_set(store, p) for p in store.static["permission_set"].values()
                if app is None or p["app"] == app]  # fmt: skip
        return offset_rows(req, rows)

    return handle


def _find_set(store: Store, req: Request) -> Record:
    pset = store.static["permission_set"].get(req.path_params["id"])
    if pset is None:
        raise not_found("Permission set")
    return pset


def _permission_set(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(render_set(store, _find_set(store, req), contents=True))

    return handle


def _set_assignments(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        return offset_rows(req, set_assignments(store, _find_set(store, req)["id"]))

    return handle
