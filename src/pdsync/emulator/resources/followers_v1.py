"""v1 followers of deals, persons, organizations and products (the same follower lists
the v2 endpoints read and write), and ``permittedUsers`` of an item."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.changelog import notify_child
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import ApiProblem, Record, body, not_found, ok, user_id
from pdsync.emulator.resources.links import add_follower
from pdsync.emulator.resources.lists import live, offset_slice
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

FOLLOWED = {"deals": "deal", "persons": "person", "organizations": "organization",
            "products": "product"}  # fmt: skip
PARENT_KEY = {"deal": "deal_id", "person": "person_id", "organization": "org_id",
              "product": "product_id"}  # fmt: skip
PERMITTED = {**FOLLOWED, "leads": "lead"}
USER_ID_SPAN = 100_000  # a follower's id: parent id * span + user id (a user follows once)


def register(router: Router, store: Store) -> None:
    for path, entity in FOLLOWED.items():
        base = f"/api/v1/{path}/{{id}}/followers"
        router.add("GET", base, _list(store, entity))
        router.add("POST", base, _add(store, entity))
        router.add("DELETE", base + "/{follower_id}", _remove(store, entity))
    for path, entity in PERMITTED.items():
        router.add("GET", f"/api/v1/{path}/{{id}}/permittedUsers", _permitted(store, entity))


def follower_id(parent_id: int, user: int) -> int:
    return parent_id * USER_ID_SPAN + user


def _row(entity: str, parent_id: int, follower: Record) -> Record:
    return {"id": follower_id(parent_id, follower["user_id"]), "user_id": follower["user_id"],
            PARENT_KEY[entity]: parent_id, "add_time": v1_time(follower["add_time"])}  # fmt: skip


def _list(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        parent = live(store, entity, req.path_params["id"], entity.capitalize())
        rows = [_row(entity, parent["id"], f)
                for f in store.relations.children("follower", entity, parent["id"])]  # fmt: skip
        page, pagination = offset_slice(req, rows)
        if entity == "organization":
            return ok(page, {"pagination": pagination})
        flat = {k: v for k, v in pagination.items() if k != "next_start"}
        return ok(page, {**flat, "pagination": pagination})

    return handle


def _add(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        parent = live(store, entity, req.path_params["id"], entity.capitalize())
        data = body(req)
        raw = data.get("user_id")
        if raw in (None, ""):
            raise ApiProblem(400, "The 'user_id' field is required")
        if not str(raw).isdigit() or isinstance(raw, bool):
            raise ApiProblem(400, "The 'user_id' field must be an integer")
        row = add_follower(store, entity, parent["id"], int(raw), user_id(req))
        return ok(_row(entity, parent["id"], row), status=201 if entity == "product" else 200)

    return handle


def _remove(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        parent = live(store, entity, req.path_params["id"], entity.capitalize())
        raw = req.path_params["follower_id"]
        wanted = int(raw) if raw.isdigit() else -1
        with store.lock:
            followers = store.relations.writable("follower", entity, parent["id"])
            row = next((f for f in followers
                        if follower_id(parent["id"], f["user_id"]) == wanted), None)  # fmt: skip
            if row is None:
                raise not_found("Follower")
            followers.remove(row)
        notify_child(
            store, "follower", entity, parent["id"], "removed", row["user_id"], user_id(req)
        )
        return ok({"id": wanted})

    return handle


def permitted_users(store: Store, rec: Record) -> list[int]:
    """Users who may see a record: everyone for shared visibility (3, 7), else the owner
    and the admins (visibility 1: owner and followers; 5: owner's visibility group)."""
    users = [u for u in store.tables["user"].overlay.values() if u.get("active_flag", True)]
    if str(rec.get("visible_to", "3")) in ("3", "7"):
        return sorted(u["id"] for u in users)
    owner = rec.get("owner_id") or rec.get("user_id")
    return sorted(u["id"] for u in users if u["id"] == owner or u.get("role_id") == 1)


def _permitted(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        rec = live(store, entity, req.path_params["id"], entity.capitalize())
        return ok(permitted_users(store, rec))

    return handle
