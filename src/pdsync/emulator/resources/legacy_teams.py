"""Legacy teams (``/v1/legacyTeams``): list, get, create, update, a user's teams, and
the members of a team (list, add, remove).

The seeded account has one team per role that has users, managed by the first user of the
role above it (the top role manages itself). Team changes are an administrator's (403
otherwise, as for the rest of company administration). Flags are 0/1 numbers, as the
spec's ``numberBoolean``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.admin_common import path_int, require_admin, require_user
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    count_records,
    int_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.input_types import FieldKinds
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

BASE = "/api/v1/legacyTeams"
ORDERS = ("id", "name", "manager_id", "active_flag")
TEAM_TYPES: FieldKinds = {"name": "str", "description": "str", "manager_id": "int",
                          "users": "ids", "active_flag": "flag",
                          "deleted_flag": "flag"}  # fmt: skip
NOT_NULL = ("name", "manager_id", "active_flag", "deleted_flag")


def register(router: Router, store: Store) -> None:
    router.add("GET", BASE, _list(store, by_user=False))
    router.add("POST", BASE, _create(store))
    router.add("GET", BASE + "/user/{id}", _list(store, by_user=True))
    router.add("GET", BASE + "/{id}", _get(store))
    router.add("PUT", BASE + "/{id}", _update(store))
    router.add("GET", BASE + "/{id}/users", _members(store, None))
    router.add("POST", BASE + "/{id}/users", _members(store, "add"))
    router.add("DELETE", BASE + "/{id}/users", _members(store, "remove"))


def teams(store: Store) -> dict[int, Record]:
    """The account's teams (seeded on first use from its roles)."""
    if "legacy_team" not in store.static:
        store.static["legacy_team"] = _seed(store)
    return store.static["legacy_team"]


def _seed(store: Store) -> dict[int, Record]:
    users = sorted(store.tables["user"].overlay.values(), key=lambda u: u["id"])
    out: dict[int, Record] = {}
    for role in sorted(store.static["role"].values(), key=lambda r: r["id"]):
        members = [u["id"] for u in users if u.get("role_id") == role["id"]]
        if not members:
            continue
        above = [u["id"] for u in users if u.get("role_id") == role["parent_role_id"]]
        team_id = len(out) + 1
        out[team_id] = {
            "id": team_id, "name": role["name"], "description": f"Everyone in {role['name']}",
            "manager_id": (above or members)[0], "users": members, "active_flag": 1,
            "deleted_flag": 0, "add_time": min(u["created"] for u in users),
            "created_by_user_id": users[0]["id"],
        }  # fmt: skip
    return out


def _render(team: Record, skip_users: bool = False) -> Record:
    out = {**team, "add_time": v1_time(team["add_time"])}
    if skip_users:
        del out["users"]
    return out


def _skip_users(req: Request) -> bool:
    value = int_arg(req, "skip_users", 0)
    if value not in (0, 1):
        raise ApiProblem(400, "Parameter 'skip_users' must be 0 or 1")
    return value == 1


def _team(store: Store, req: Request) -> Record:
    team = teams(store).get(path_int(req, "Team"))
    if team is None:
        raise not_found("Team")
    return team


def _list(store: Store, by_user: bool) -> Any:
    def handle(req: Request) -> Response:
        order = req.arg("order_by") or "id"
        if order not in ORDERS:
            raise ApiProblem(400, f"Parameter 'order_by' must be one of: {', '.join(ORDERS)}")
        skip = _skip_users(req)
        rows = list(teams(store).values())
        if by_user:
            member = require_user(store, req.path_params["id"])["id"]
            rows = [t for t in rows if member in t["users"]]
        rows.sort(key=lambda t: (t[order], t["id"]))
        count_records(req, len(rows))
        return ok([_render(t, skip) for t in rows])

    return handle


def _get(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(_render(_team(store, req), _skip_users(req)))

    return handle


def _checked(store: Store, raw: Record, required: tuple[str, ...]) -> Record:
    data = check_body(raw, TEAM_TYPES, required, not_null=NOT_NULL)
    for key in ("active_flag", "deleted_flag"):
        if key in data:
            data[key] = int(data[key])
    wanted = [data["manager_id"]] if "manager_id" in data else []
    for uid in wanted + list(data.get("users") or []):
        if store.get("user", uid) is None:
            raise ApiProblem(400, f"User {uid} does not exist")
    return data


def _create(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        data = _checked(store, body(req), ("name", "manager_id"))
        with store.lock:
            found = teams(store)
            team_id = max(found, default=0) + 1
            found[team_id] = {"id": team_id, "description": "", "users": [], "active_flag": 1,
                              "deleted_flag": 0, "add_time": store.now(),
                              "created_by_user_id": user_id(req), **data}  # fmt: skip
        return ok(_render(found[team_id]))

    return handle


def _update(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        team = _team(store, req)
        data = _checked(store, body(req), ())
        with store.lock:
            team.update(data)
        return ok(_render(team))

    return handle


def _member_ids(store: Store, raw: Record) -> list[int]:
    ids = check_body(raw, {"users": "ids"}, ("users",))["users"]
    for uid in ids:
        if store.get("user", uid) is None:
            raise ApiProblem(400, f"User {uid} does not exist")
    return list(ids)


def _members(store: Store, action: str | None) -> Any:
    def handle(req: Request) -> Response:
        team = _team(store, req)
        if action is not None:
            require_admin(store, req)
            ids = _member_ids(store, body(req))
            with store.lock:
                if action == "add":
                    team["users"] = sorted(set(team["users"]) | set(ids))
                else:
                    team["users"] = [u for u in team["users"] if u not in ids]
        count_records(req, len(team["users"]))
        return ok(list(team["users"]))

    return handle
