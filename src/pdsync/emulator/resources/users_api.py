"""v1 user administration and per-user account data.

Adding and (de)activating users (admins only, as Pipedrive), a user's followers (the
users of the roles above theirs: managers follow their team), aggregated permissions
over the user's permission sets, role assignment and role settings, the caller's
settings and connections, the company's add-ons and video-call provider links.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.admin_common import (
    int_value,
    offset_rows,
    public,
    require_admin,
    require_user,
)
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    count_records,
    decode_cursor,
    encode_cursor,
    limit_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.roles import assignment, default_role
from pdsync.emulator.static import PERMISSIONS
from pdsync.emulator.timefmt import v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

APPS = ("global", "sales", "campaigns", "projects", "account_settings", "partnership", "nova")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
USER_SETTINGS = {
    "marketplace_team": False, "list_limit": 100, "beta_app": False,
    "prevent_salesphone_callto_override": False, "file_upload_destination": "s3",
    "callto_link_syntax": "callto:[number]", "autofill_deal_expected_close_date": False,
    "person_duplicate_condition": "name && (org_id || email || phone)",
}  # fmt: skip


def register(router: Router, store: Store) -> None:
    router.add("POST", "/api/v1/users", _add_user(store))
    router.add("PUT", "/api/v1/users/{id}", _update_user(store))
    router.add("GET", "/api/v1/users/{id}/followers", _followers_v1(store))
    router.add("GET", "/api/v2/users/{id}/followers", _followers_v2(store))
    router.add("GET", "/api/v1/users/{id}/permissions", _permissions(store))
    router.add("GET", "/api/v1/users/{id}/roleAssignments", _role_assignments(store))
    router.add("GET", "/api/v1/users/{id}/roleSettings", _role_settings(store))
    router.add("GET", "/api/v1/userSettings", lambda req: ok(dict(USER_SETTINGS)))
    router.add("GET", "/api/v1/userConnections", _connections(store))
    router.add("GET", "/api/v1/billing/subscriptions/addons", _addons(store))
    router.add("POST", "/api/v1/meetings/userProviderLinks", _save_link(store))
    router.add("DELETE", "/api/v1/meetings/userProviderLinks/{id}", _delete_link(store))


def _render(store: Store, req: Request, rec: Record) -> Record:
    return V1Renderer(store, user_id(req)).render("user", rec)


# -- adding and (de)activating users ------------------------------------------------------------


def _default_access(store: Store) -> list[Record]:
    """New users get the regular sets of the global and sales apps ("the default for new users")."""
    regular = {p["app"]: p["id"] for p in store.static["permission_set"].values()
               if p["type"] == "regular"}  # fmt: skip
    return [{"app": app, "admin": False, "permission_set_id": regular[app]}
            for app in ("global", "sales") if app in regular]  # fmt: skip


def _access(store: Store, raw: Any) -> list[Record]:
    if raw is None:
        return _default_access(store)
    if not isinstance(raw, list) or not raw:
        raise ApiProblem(
            400, "The 'access' field must be a non-empty array of {app, admin, permission_set_id}"
        )
    entries = []
    for item in raw:
        app = item.get("app") if isinstance(item, dict) else None
        if app not in APPS:
            raise ApiProblem(400, f"Each 'access' entry needs an 'app', one of: {', '.join(APPS)}")
        admin = item.get("admin", False)
        if not isinstance(admin, bool):
            raise ApiProblem(400, "The 'admin' of an 'access' entry must be a boolean")
        set_id = item.get("permission_set_id")
        if set_id is None:
            matching = [p for p in store.static["permission_set"].values()
                        if p["app"] == app and (p["type"] == "admin") == admin]  # fmt: skip
            set_id = matching[0]["id"] if matching else None
        else:
            pset = store.static["permission_set"].get(set_id)
            if pset is None or pset["app"] != app:
                raise ApiProblem(400, f"Permission set '{set_id}' does not exist for app '{app}'")
        entries.append({"app": app, "admin": admin, "permission_set_id": set_id})
    return entries


def _add_user(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        data = body(req)
        email = data.get("email")
        if not isinstance(email, str) or not EMAIL.match(email.strip()):
            raise ApiProblem(400, "The 'email' field is required and must be a valid email address")
        email = email.strip()
        active = data.get("active_flag", True)
        if not isinstance(active, bool):
            raise ApiProblem(400, "The 'active_flag' field must be a boolean")
        access = _access(store, data.get("access"))
        with store.lock:
            taken = {str(u["email"]).lower() for u in store.tables["user"].overlay.values()}
            if email.lower() in taken:
                raise ApiProblem(400, f"A user with the email '{email}' already exists")
            me = store.get("user", user_id(req)) or {}
            local = email.split("@", 1)[0]
            name = " ".join(p.capitalize() for p in re.split(r"[._+-]+", local) if p) or local
            record = {
                "name": name, "email": email, "lang": 1, "locale": "en_US",
                "timezone_name": me.get("timezone_name", "Europe/Tallinn"),
                "timezone_offset": me.get("timezone_offset", "+02:00"),
                "default_currency": me.get("default_currency", "EUR"), "icon_url": None,
                "active_flag": active, "is_deleted": False,
                # An invited user has not logged in yet.
                "activated": False, "role_id": default_role(store)["id"], "last_login": None,
                "has_created_company": False, "access": access, "phone": None,
            }  # fmt: skip
            record["created"] = record["modified"] = store.now()
            created = store.create("user", record, user_id(req))
        return ok(_render(store, req, created))

    return handle


def _update_user(store: Store) -> Any:
    def handle(req: Request) -> Response:
        require_admin(store, req)
        user = require_user(store, req.path_params["id"])
        active = body(req).get("active_flag")
        if not isinstance(active, bool):
            raise ApiProblem(400, "The 'active_flag' field is required and must be a boolean")
        if user["id"] == user_id(req) and not active:
            raise ApiProblem(400, "You cannot deactivate yourself")
        changes = {"active_flag": active, "modified": store.now()}
        updated = store.update("user", user["id"], changes, user_id(req))
        return ok(_render(store, req, updated))

    return handle


# -- followers, permissions, roles ------------------------------------------------------------------


def followers(store: Store, user: Record) -> list[Record]:
    """The active users whose role is above this user's role, with when they began following."""
    roles = store.static["role"]
    above: set[int] = set()
    parent = roles[user["role_id"]]["parent_role_id"] if user["role_id"] in roles else None
    while parent is not None and parent not in above:
        above.add(parent)
        parent = roles[parent]["parent_role_id"]
    return [{"user_id": u["id"], "add_time": max(u["created"], user["created"])}
            for u in store.tables["user"].overlay.values()
            if u["role_id"] in above and u.get("active_flag") and u["id"] != user["id"]]  # fmt: skip


def _followers_v1(store: Store) -> Any:
    def handle(req: Request) -> Response:
        user = require_user(store, req.path_params["id"])
        ids = [f["user_id"] for f in followers(store, user)]
        count_records(req, len(ids))
        return ok(ids)

    return handle


def _followers_v2(store: Store) -> Any:
    def handle(req: Request) -> Response:
        user = require_user(store, req.path_params["id"])
        limit = limit_arg(req)
        after = decode_cursor(req)
        rows = [f for f in followers(store, user) if after is None or f["user_id"] > after[1]]
        page = rows[:limit]
        more = len(rows) > limit
        count_records(req, len(page))
        cursor = encode_cursor((page[-1]["user_id"], page[-1]["user_id"])) if more else None
        data = [{"user_id": f["user_id"], "add_time": v2_time(f["add_time"])} for f in page]
        return ok(data, {"next_cursor": cursor})

    return handle


def _permissions(store: Store) -> Any:
    def handle(req: Request) -> Response:
        user = require_user(store, req.path_params["id"])
        granted: set[str] = set()
        for entry in user.get("access") or []:
            pset = store.static["permission_set"].get(entry.get("permission_set_id"))
            if pset is not None:
                granted.update(pset["_contents"])
        return ok({name: name in granted for name in PERMISSIONS})

    return handle


def _role_assignments(store: Store) -> Any:
    def handle(req: Request) -> Response:
        user = require_user(store, req.path_params["id"])
        return offset_rows(req, [assignment(store, user)])

    return handle


def _role_settings(store: Store) -> Any:
    def handle(req: Request) -> Response:
        user = require_user(store, req.path_params["id"])
        return ok(dict(store.static["role"][user["role_id"]]["_settings"]))

    return handle


# -- the caller's connections, the company's add-ons, video-call provider links ------------------------


def _connections(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(dict(store.static["user_connection"].get(user_id(req), {})))

    return handle


def _addons(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rows = [public(a) for a in store.static["addon"].values()]
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _uuid(value: Any, name: str) -> str:
    try:
        return str(uuid.UUID(str(value)))
    except ValueError:
        raise ApiProblem(400, f"The '{name}' field is required and must be a UUID") from None


def _save_link(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        link_id = _uuid(data.get("user_provider_id"), "user_provider_id")
        uid = int_value(data, "user_id")
        if store.get("user", uid) is None:
            raise ApiProblem(400, f"User {uid} does not exist")
        company = int_value(data, "company_id")
        if company != 7000 + store.seed:  # the company id /users/me reports
            raise ApiProblem(400, f"Company {company} is not this company")
        client = data.get("marketplace_client_id")
        if not isinstance(client, str) or not client.strip():
            raise ApiProblem(400, "The 'marketplace_client_id' field is required")
        with store.lock:
            store.static["user_provider_link"][link_id] = {
                "id": link_id, "user_id": uid, "company_id": company,
                "marketplace_client_id": client, "add_time": store.now(),
            }  # fmt: skip
        return ok({"message": "The user was added successfully"})

    return handle


def _delete_link(store: Store) -> Any:
    def handle(req: Request) -> Response:
        with store.lock:
            if store.static["user_provider_link"].pop(req.path_params["id"], None) is None:
                raise not_found("User provider link")
        return ok({"message": "The user data was successfully removed"})

    return handle
