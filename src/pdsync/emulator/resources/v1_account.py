"""v1 account resources: users (me, find), activity types, currencies, filters, roles,
permission sets and goals."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    bool_arg,
    check_body,
    count_records,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.input_types import FieldKinds, one_of
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

# The spec's enum of activity type icons.
ICON_KEYS = ("task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow",
             "document", "smartphone", "camera", "scissors", "cogs", "bubble", "uparrow",
             "checkbox", "signpost", "shuffle", "addressbook", "linegraph", "picture", "car",
             "world", "search", "clip", "sound", "brush", "key", "padlock", "pricetag",
             "suitcase", "finish", "plane", "loop", "wifi", "truck", "cart", "bulb", "bell",
             "presentation")  # fmt: skip
ACTIVITY_TYPE_TYPES: FieldKinds = {"name": "str", "icon_key": one_of(*ICON_KEYS), "color": "color"}


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/users", _users(store))
    router.add("GET", "/api/v1/users/me", _me(store))
    router.add("GET", "/api/v1/users/find", _find_users(store))
    router.add("GET", "/api/v1/users/{id}", _user(store))
    router.add("GET", "/api/v1/activityTypes", _table(store, "activity_type"))
    router.add("POST", "/api/v1/activityTypes", _create_activity_type(store))
    router.add("GET", "/api/v1/currencies", _currencies(store))
    router.add("GET", "/api/v1/filters", _filters(store))
    router.add("GET", "/api/v1/filters/{id}", _one(store, "filter", "Filter"))
    router.add("GET", "/api/v1/roles", _static_list(store, "role"))
    router.add("GET", "/api/v1/roles/{id}", _static_one(store, "role", "Role"))
    router.add("GET", "/api/v1/permissionSets", _static_list(store, "permission_set"))
    router.add(
        "GET", "/api/v1/permissionSets/{id}", _static_one(store, "permission_set", "Permission set")
    )
    router.add("GET", "/api/v1/goals/find", _goals(store))


def _render_user(store: Store, req: Request, rec: Record) -> Record:
    return V1Renderer(store, user_id(req)).render("user", rec)


def _users(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rows = [_render_user(store, req, u) for u in store.tables["user"].overlay.values()]
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _me(store: Store) -> Any:
    def handle(req: Request) -> Response:
        me = store.get("user", user_id(req))
        if me is None:
            raise not_found("User")
        domain = store.config.company_domain
        data = {**_render_user(store, req, me), "company_id": 7000 + store.seed,
                "company_name": f"{domain.capitalize()} Inc.", "company_domain": domain,
                "company_country": "EE", "company_industry": "Software", "language":
                {"language_code": "en", "country_code": "US"}}  # fmt: skip
        return ok(data)

    return handle


def _find_users(store: Store) -> Any:
    def handle(req: Request) -> Response:
        term = (req.arg("term") or "").lower()
        if not term:
            raise ApiProblem(400, "Parameter 'term' is required")
        by_email = bool_arg(req, "search_by_email")
        key = "email" if by_email else "name"
        rows = [_render_user(store, req, u) for u in store.tables["user"].overlay.values()
                if term in str(u[key]).lower()]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows or None)

    return handle


def _user(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = store.get("user", req.path_params["id"])
        if rec is None:
            raise not_found("User")
        return ok(_render_user(store, req, rec))

    return handle


def _table(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        renderer = V1Renderer(store, user_id(req))
        rows = [renderer.render(entity, r) for r in store.tables[entity].overlay.values()
                if not store.is_deleted(entity, r)]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _one(store: Store, entity: str, label: str) -> Any:
    def handle(req: Request) -> Response:
        rec = store.get(entity, req.path_params["id"])
        if rec is None or store.is_deleted(entity, rec):
            raise not_found(label)
        return ok(V1Renderer(store, user_id(req)).render(entity, rec))

    return handle


def _create_activity_type(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = check_body(body(req), ACTIVITY_TYPE_TYPES, ("name", "icon_key"))
        table = store.tables["activity_type"]
        key = "".join(c for c in data["name"].lower() if c.isalnum()) or "custom"
        record = {"order_nr": len(table.overlay) + 1, "key_string": key, "active_flag": True,
                  "color": None, "is_custom_flag": True, **data}  # fmt: skip
        created = store.create("activity_type", record, user_id(req))
        return ok(V1Renderer(store).render("activity_type", created))

    return handle


def _currencies(store: Store) -> Any:
    def handle(req: Request) -> Response:
        term = (req.arg("term") or "").lower()
        rows = [r for r in store.static["currency"].values()
                if term in r["code"].lower() or term in r["name"].lower()]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _filters(store: Store) -> Any:
    def handle(req: Request) -> Response:
        kind = req.arg("type")
        rows = [{**r, "add_time": v1_time(r["add_time"]), "update_time": v1_time(r["update_time"])}
                for r in store.tables["filter"].overlay.values()
                if r["active_flag"] and (kind is None or r["type"] == kind)]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _static_list(store: Store, name: str) -> Any:
    def handle(req: Request) -> Response:
        rows = list(store.static[name].values())
        count_records(req, len(rows))
        return ok(
            rows, {"pagination": {"start": 0, "limit": 100, "more_items_in_collection": False}}
        )

    return handle


def _static_one(store: Store, name: str, label: str) -> Any:
    def handle(req: Request) -> Response:
        key: Any = req.path_params["id"]
        table = store.static[name]
        rec = table.get(key) or (table.get(int(key)) if key.isdigit() else None)
        if rec is None:
            raise not_found(label)
        return ok(rec)

    return handle


def _goals(store: Store) -> Any:
    def handle(req: Request) -> Response:
        kind = req.arg("type.name")
        goals = [
            g for g in store.static["goal"].values() if kind is None or g["type"]["name"] == kind
        ]
        count_records(req, len(goals))
        return ok({"goals": goals})

    return handle
