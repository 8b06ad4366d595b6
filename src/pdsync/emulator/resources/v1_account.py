"""v1 account resources: users (list, me, find, one) and currencies.

Activity types, filters, roles, permission sets and goals have their own modules
(``labels_types``, ``filters_api``, ``roles``, ``goals_api``: see ``resources/admin.py``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    bool_arg,
    count_records,
    not_found,
    ok,
    user_id,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/users", _users(store))
    router.add("GET", "/api/v1/users/me", _me(store))
    router.add("GET", "/api/v1/users/find", _find_users(store))
    router.add("GET", "/api/v1/users/{id}", _user(store))
    router.add("GET", "/api/v1/currencies", _currencies(store))


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


def _currencies(store: Store) -> Any:
    def handle(req: Request) -> Response:
        term = (req.arg("term") or "").lower()
        rows = [r for r in store.static["currency"].values()
                if term in r["code"].lower() or term in r["name"].lower()]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle
