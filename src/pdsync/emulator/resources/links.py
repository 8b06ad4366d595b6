"""Children of entities: v2 followers and deal products, v1 deal participants and merges."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator import render_v2
from pdsync.emulator.changelog import notify_child
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer, flatten_refs
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    count_records,
    int_list_arg,
    limit_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.input_types import FieldKinds, one_of
from pdsync.emulator.resources.v1_crm import offset_page

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

FOLLOWED = {
    "deals": "deal",
    "persons": "person",
    "organizations": "organization",
    "products": "product",
}
MERGEABLE = {"deals": "deal", "persons": "person", "organizations": "organization"}
DEAL_PRODUCT_TYPES: FieldKinds = {"product_id": "int", "item_price": "num", "quantity": "num", "tax": "num",
                      "comments": "str", "discount": "num",
                      "discount_type": one_of("percentage", "amount"), "is_enabled": "bool",
                      "tax_method": one_of("exclusive", "inclusive", "none"),
                      "product_variation_id": "int", "billing_frequency": "billing_frequency",
                      "billing_frequency_cycles": "int",
                      "billing_start_date": "date"}  # fmt: skip


def register(router: Router, store: Store) -> None:
    for path, entity in FOLLOWED.items():
        router.add("GET", f"/api/v2/{path}/{{id}}/followers", _followers(store, entity))
        router.add("POST", f"/api/v2/{path}/{{id}}/followers", _follow(store, entity))
        router.add(
            "DELETE", f"/api/v2/{path}/{{id}}/followers/{{follower_id}}", _unfollow(store, entity)
        )
    for path, entity in MERGEABLE.items():
        router.add("PUT", f"/api/v1/{path}/{{id}}/merge", _merge(store, entity))
    router.add("GET", "/api/v2/deals/{id}/products", _deal_products(store))
    router.add("POST", "/api/v2/deals/{id}/products", _add_deal_product(store))
    router.add(
        "PATCH",
        "/api/v2/deals/{id}/products/{product_attachment_id}",
        _change_deal_product(store, "update"),
    )
    router.add(
        "DELETE",
        "/api/v2/deals/{id}/products/{product_attachment_id}",
        _change_deal_product(store, "delete"),
    )
    router.add("GET", "/api/v2/deals/products", _batch_deal_products(store))
    router.add("GET", "/api/v1/deals/{id}/participants", _participants(store))
    router.add("POST", "/api/v1/deals/{id}/participants", _add_participant(store))
    router.add(
        "DELETE",
        "/api/v1/deals/{id}/participants/{deal_participant_id}",
        _remove_participant(store),
    )


def _parent(store: Store, entity: str, req: Request) -> Record:
    rec = store.get(entity, req.path_params["id"])
    if rec is None or rec.get("is_deleted"):
        raise not_found(entity.capitalize())
    return rec


def _followers(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        parent = _parent(store, entity, req)
        rows = [
            render_v2.follower(f)
            for f in store.relations.children("follower", entity, parent["id"])
        ]
        count_records(req, len(rows))
        return ok(rows, {"next_cursor": None})

    return handle


def _follow(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        parent = _parent(store, entity, req)
        data = check_body(body(req), {"user_id": "int"}, ("user_id",))
        row = add_follower(store, entity, parent["id"], data["user_id"], user_id(req))
        return ok(render_v2.follower(row), status=201)

    return handle


def add_follower(store: Store, entity: str, parent_id: Any, follower: int, actor: int) -> Record:
    """Make a user follow an item (v1 and v2 share the list), logged for the followers changelog."""
    user = store.get("user", follower)
    if user is None or user.get("active_flag") is False:
        raise ApiProblem(400, "User not found")
    with store.lock:
        followers = store.relations.writable("follower", entity, parent_id)
        if any(f["user_id"] == follower for f in followers):
            raise ApiProblem(400, "The user is already following this item")
        row = {"user_id": follower, "add_time": store.now()}
        followers.append(row)
    notify_child(store, "follower", entity, parent_id, "added", follower, actor)
    return row


def _unfollow(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        parent = _parent(store, entity, req)
        follower = (
            int(req.path_params["follower_id"]) if req.path_params["follower_id"].isdigit() else -1
        )
        with store.lock:
            followers = store.relations.writable("follower", entity, parent["id"])
            if not any(f["user_id"] == follower for f in followers):
                raise not_found("Follower")
            followers[:] = [f for f in followers if f["user_id"] != follower]
        notify_child(store, "follower", entity, parent["id"], "removed", follower, user_id(req))
        return ok({"user_id": follower})

    return handle


def _merge(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        loser = _parent(store, entity, req)
        data = check_body(body(req), {"merge_with_id": "int"}, ("merge_with_id",))
        winner = store.get(entity, data["merge_with_id"])
        if winner is None or winner.get("is_deleted") or winner["id"] == loser["id"]:
            raise ApiProblem(400, "The item to merge with does not exist")
        merged = store.merge(entity, loser["id"], winner["id"], user_id(req))
        rendered = V1Renderer(store, user_id(req)).render(entity, merged)
        return ok({**flatten_refs(rendered), "merge_what_id": loser["id"]})

    return handle


def _deal_products(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _parent(store, "deal", req)
        rows = [
            render_v2.deal_product(r)
            for r in store.relations.children("deal_product", "deal", deal["id"])
        ]
        count_records(req, len(rows))
        return ok(rows, {"next_cursor": None})

    return handle


def _batch_deal_products(store: Store) -> Any:
    def handle(req: Request) -> Response:
        ids = int_list_arg(req, "deal_ids", maximum=100)
        if not ids:
            raise ApiProblem(400, "Parameter 'deal_ids' is required")
        limit = limit_arg(req)
        rows = [render_v2.deal_product(r) for d in sorted(ids)
                for r in store.relations.children("deal_product", "deal", d)]  # fmt: skip
        count_records(req, min(len(rows), limit))
        return ok(rows[:limit], {"next_cursor": None})

    return handle


def _add_deal_product(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _parent(store, "deal", req)
        row = deal_product_row(store, deal, body(req))
        with store.lock:
            store.relations.writable("deal_product", "deal", deal["id"]).append(row)
        store.update("deal", deal["id"], {}, user_id(req))
        return ok(render_v2.deal_product(row), status=201)

    return handle


def deal_product_row(store: Store, deal: Record, raw: Record) -> Record:
    """A new product attachment of ``deal`` from a request body (checked), not yet stored."""
    data = check_body(raw, DEAL_PRODUCT_TYPES, ("product_id", "item_price", "quantity"))
    product = store.get("product", data["product_id"])
    if product is None or product.get("is_deleted"):
        raise ApiProblem(400, "Product not found")
    now = store.now()
    row = {"id": store.relations.new_id(), "deal_id": deal["id"], "product_id": product["id"],
           "product_variation_id": None, "name": product["name"], "tax": 0,
           "tax_method": "inclusive", "currency": deal["currency"], "discount": 0,
           "discount_type": "percentage", "is_enabled": True, "comments": "",
           "billing_frequency": "one-time", "billing_frequency_cycles": None,
           "billing_start_date": None, "add_time": now, "update_time": now, **data}  # fmt: skip
    rows = store.relations.children("deal_product", "deal", deal["id"])
    row["order_nr"] = max((r.get("order_nr") or 0 for r in rows), default=0) + 1
    row["sum"] = round(row["item_price"] * row["quantity"], 2)
    return row


def _change_deal_product(store: Store, action: str) -> Any:
    def handle(req: Request) -> Response:
        deal = _parent(store, "deal", req)
        attachment = req.path_params["product_attachment_id"]
        changes = check_body(body(req), DEAL_PRODUCT_TYPES) if action == "update" else {}
        with store.lock:
            rows = store.relations.writable("deal_product", "deal", deal["id"])
            row = next((r for r in rows if str(r["id"]) == attachment), None)
            if row is None:
                raise not_found("Deal product")
            if action == "delete":
                rows.remove(row)
            else:
                row.update(changes, update_time=store.now())
                row["sum"] = round(row["item_price"] * row["quantity"], 2)
        store.update("deal", deal["id"], {}, user_id(req))
        if action == "delete":
            return ok({"id": row["id"]})
        return ok(render_v2.deal_product(row))

    return handle


def _participant_v1(store: Store, req: Request, row: Record, deal: Record) -> Record:
    renderer = V1Renderer(store, user_id(req))
    return {"id": row["id"], "person_id": renderer.person_ref(row["person_id"]),
            "add_time": row["add_time"], "active_flag": row["active_flag"],
            "added_by_user_id": renderer.user_ref(row["added_by_user_id"]),
            "person": _participant_person(renderer, row["person_id"]),
            "related_item_type": "deal", "related_item_id": deal["id"],
            "related_item_data": {"deal_id": deal["id"], "title": deal["title"]}}  # fmt: skip


def _participant_person(renderer: V1Renderer, person_id: int | None) -> Record | None:
    """The participant's person, as the v1 person object plus ``first_char``."""
    person = renderer.lookup("person", person_id)
    if person is None:
        return None
    out = renderer.render("person", person)
    out["first_char"] = (person.get("name") or " ")[0].lower()
    return out


def _participants(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _parent(store, "deal", req)
        from pdsync.emulator.timefmt import v1_time

        rows = [
            {**_participant_v1(store, req, r, deal), "add_time": v1_time(r["add_time"])}
            for r in store.relations.children("participant", "deal", deal["id"])
        ]
        return offset_page(req, rows, 0, 100, False)

    return handle


def _add_participant(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _parent(store, "deal", req)
        data = check_body(body(req), {"person_id": "int"}, ("person_id",))
        if store.get("person", data["person_id"]) is None:
            raise ApiProblem(400, "Person not found")
        from pdsync.emulator.timefmt import v1_time

        row = {"id": store.relations.new_id(), "person_id": data["person_id"],
               "add_time": store.now(), "active_flag": True, "added_by_user_id": user_id(req)}  # fmt: skip
        with store.lock:
            store.relations.writable("participant", "deal", deal["id"]).append(row)
        notify_child(
            store, "participant", "deal", deal["id"], "added", row["person_id"], user_id(req)
        )
        return ok({**_participant_v1(store, req, row, deal), "add_time": v1_time(row["add_time"])})

    return handle


def _remove_participant(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _parent(store, "deal", req)
        wanted = req.path_params["deal_participant_id"]
        with store.lock:
            rows = store.relations.writable("participant", "deal", deal["id"])
            row = next((r for r in rows if str(r["id"]) == wanted), None)
            if row is None:
                raise not_found("Deal participant")
            rows.remove(row)
        notify_child(
            store, "participant", "deal", deal["id"], "removed", row["person_id"], user_id(req)
        )
        return ok({"id": row["id"]})

    return handle
