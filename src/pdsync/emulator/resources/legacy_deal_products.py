"""Legacy v1 products of a deal: ``GET/POST /v1/deals/{id}/products`` and
``PUT/DELETE /v1/deals/{id}/products/{product_attachment_id}``.

The same attachments as v2's ``/deals/{id}/products`` (one store), in the v1 shape:
``enabled_flag``, ``last_edit``, formatted sums, offset paging with page totals, and the
product itself when ``include_product_data=1``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    int_arg,
    limit_arg,
    ok,
    user_id,
)
from pdsync.emulator.resources.deal_reports import money
from pdsync.emulator.resources.entities import DEAL
from pdsync.emulator.resources.legacy_crud import live_record
from pdsync.emulator.resources.legacy_input import lenient
from pdsync.emulator.resources.links import (
    DEAL_PRODUCT_TYPES,
    change_deal_product,
    deal_product_row,
)
from pdsync.emulator.resources.v1_crm import offset_page
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

ITEM = "/api/v1/deals/{id}/products/{product_attachment_id}"
PRODUCT_KEYS = ("id", "name", "code", "unit", "tax", "billing_frequency",
                "billing_frequency_cycles")  # fmt: skip


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/deals/{id}/products", _list(store))
    router.add("POST", "/api/v1/deals/{id}/products", _add(store))
    router.add("PUT", ITEM, _change(store, "update"))
    router.add("DELETE", ITEM, _change(store, "delete"))


def v1_deal_product(row: Record) -> Record:
    """An attachment the v1 way (v1 names, v1 times, integer quantity where it is one)."""
    out = {k: v for k, v in row.items() if k not in ("is_enabled", "update_time")}
    quantity = row["quantity"]
    if isinstance(quantity, float) and quantity.is_integer():
        quantity = int(quantity)
    out.update(
        quantity=quantity, enabled_flag=row["is_enabled"], active_flag=True,
        add_time=v1_time(row["add_time"]), last_edit=v1_time(row["update_time"]),
        sum_formatted=money(row["sum"], row["currency"]),
        quantity_formatted=f"{quantity:g}",
    )  # fmt: skip
    return out


def _v1_body(raw: Record) -> Record:
    """v1 names and text values → the kinds of :data:`DEAL_PRODUCT_TYPES`."""
    data = dict(raw)
    if "enabled_flag" in data:
        data["is_enabled"] = data.pop("enabled_flag")
    for key, kind in DEAL_PRODUCT_TYPES.items():
        if key in data and isinstance(kind, str):
            data[key] = lenient(kind, data[key])
    return data


def _product(renderer: V1Renderer, store: Store, product_id: int) -> Record | None:
    product = store.get("product", product_id, custom=False)
    if product is None:
        return None
    v1 = renderer.render("product", product)
    out = {k: v1.get(k) for k in PRODUCT_KEYS}
    out.update(active_flag=v1["active_flag"], selectable=v1["selectable"],
               visible_to=v1["visible_to"], owner_id=v1["owner_id"],
               prices=v1["prices"])  # fmt: skip
    return out


def _list(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = live_record(store, DEAL, req.path_params["id"])
        start = int_arg(req, "start", 0) or 0
        limit = limit_arg(req)
        with_product = int_arg(req, "include_product_data") == 1
        rows = sorted(
            store.relations.children("deal_product", "deal", deal["id"]),
            key=lambda r: (r.get("order_nr") or 0, r["id"]),
        )
        renderer = V1Renderer(store, user_id(req))
        page = []
        for row in rows[start : start + limit]:
            item = v1_deal_product(row)
            if with_product:
                item["product"] = _product(renderer, store, row["product_id"])
            page.append(item)
        response = offset_page(req, page, start, limit, start + limit < len(rows))
        return _with_totals(response, rows, deal["currency"])

    return handle


def _with_totals(response: Response, rows: list[Record], currency: str) -> Response:
    import json

    payload = json.loads(response.body)
    quantity = sum(r["quantity"] for r in rows if r["is_enabled"])
    total = sum(r["sum"] for r in rows if r["is_enabled"])
    payload["additional_data"].update(
        products_quantity_total=round(quantity), products_sum_total=round(total),
        products_quantity_total_formatted=f"{quantity:g}",
        products_sum_total_formatted=money(total, currency),
    )  # fmt: skip
    return Response.json(payload, response.status)


def _add(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = live_record(store, DEAL, req.path_params["id"])
        if deal.get("is_archived"):
            raise ApiProblem(403, "Archived deals cannot be edited")
        row = deal_product_row(store, deal, _v1_body(body(req)))
        with store.lock:
            store.relations.writable("deal_product", "deal", deal["id"]).append(row)
        store.update("deal", deal["id"], {}, user_id(req))
        return ok({**v1_deal_product(row), "product_attachment_id": row["id"]})

    return handle


def _change(store: Store, action: str) -> Any:
    def handle(req: Request) -> Response:
        deal = live_record(store, DEAL, req.path_params["id"])
        attachment = req.path_params["product_attachment_id"]
        changes = (
            check_body(_v1_body(body(req)), DEAL_PRODUCT_TYPES) if action == "update" else None
        )
        if (
            changes
            and "product_id" in changes
            and store.get("product", changes["product_id"]) is None
        ):
            raise ApiProblem(400, "Product not found")
        row = change_deal_product(store, deal, attachment, changes, user_id(req))
        return ok({"id": row["id"]} if action == "delete" else v1_deal_product(row))

    return handle
