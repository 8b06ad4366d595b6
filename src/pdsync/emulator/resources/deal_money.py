"""v2 deal additional discounts and installments, and deal products in bulk.

Seeded: about one deal in ten with products has an additional discount, and about one
deal in twenty has two or three installments adding up to its value; both derived from
``(seed, deal id)``. The first write to a deal's list copies it into an overlay. A write
changes the deal's ``update_time`` (as deal product writes do) and nothing else.
"""

from __future__ import annotations

import threading
import uuid
from datetime import date, timedelta
from typing import TYPE_CHECKING, Any

from pdsync.emulator import render_v2
from pdsync.emulator.dataset import record_rng
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    count_records,
    int_list_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.links import deal_product_row
from pdsync.emulator.resources.lists import check_date, cursor_page, live, path_int
from pdsync.emulator.timefmt import v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

DISCOUNT_TYPES = {"description": "str", "amount": "num", "type": "str"}
INSTALLMENT_TYPES = {"description": "str", "amount": "num", "billing_date": "date"}
BULK_MAX = 100


class DealMoney:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.overlay: dict[tuple[str, int], list[Record]] = {}
        self.next_installment = 4 * (store.counts.deal + 1)

    def rows(self, kind: str, deal: Record) -> list[Record]:
        with self.lock:
            found = self.overlay.get((kind, deal["id"]))
            return list(found) if found is not None else self._seeded(kind, deal)

    def writable(self, kind: str, deal: Record) -> list[Record]:
        with self.lock:
            key = (kind, deal["id"])
            if key not in self.overlay:
                self.overlay[key] = self._seeded(kind, deal)
            return self.overlay[key]

    def new_installment_id(self) -> int:
        with self.lock:
            self.next_installment += 1
            return self.next_installment

    def _seeded(self, kind: str, deal: Record) -> list[Record]:
        deal_id = deal["id"]
        if not isinstance(deal_id, int) or deal_id > self.store.counts.deal:
            return []
        rng = record_rng(self.store.seed, f"deal-{kind}", deal_id)
        if kind == "discount":
            has_products = bool(self.store.relations.children("deal_product", "deal", deal_id))
            if not has_products or rng.random() >= 0.1:
                return []
            percentage = rng.random() < 0.5
            return [{"id": str(uuid.UUID(int=rng.getrandbits(128), version=4)),
                     "type": "percentage" if percentage else "amount",
                     "amount": float(rng.choice((5, 10, 15))) if percentage else float(rng.choice((50, 100, 250))),
                     "description": rng.choice(("Loyalty discount", "Early signing", "Volume")),
                     "deal_id": deal_id, "created_at": deal["add_time"],
                     "created_by": deal["owner_id"], "updated_at": deal["add_time"],
                     "updated_by": deal["owner_id"]}]  # fmt: skip
        if rng.random() >= 0.05 or not deal.get("value"):
            return []
        parts = rng.randint(2, 3)
        share = round(deal["value"] / parts, 2)
        first = date.fromisoformat(deal["expected_close_date"])
        return [{"id": 4 * deal_id + n, "amount": share if n < parts - 1
                 else round(deal["value"] - share * (parts - 1), 2),
                 "billing_date": (first + timedelta(days=30 * n)).isoformat(),
                 "description": f"Installment {n + 1} of {parts}", "deal_id": deal_id}
                for n in range(parts)]  # fmt: skip


def register(router: Router, store: Store) -> None:
    money = DealMoney(store)
    base = "/api/v2/deals/{id}"
    router.add("GET", base + "/discounts", _list_discounts(store, money))
    router.add("POST", base + "/discounts", _add_discount(store, money))
    router.add("PATCH", base + "/discounts/{discount_id}", _change_discount(store, money, "update"))
    router.add(
        "DELETE", base + "/discounts/{discount_id}", _change_discount(store, money, "delete")
    )
    router.add("GET", "/api/v2/deals/installments", _list_installments(store, money))
    router.add("POST", base + "/installments", _add_installment(store, money))
    router.add(
        "PATCH",
        base + "/installments/{installment_id}",
        _change_installment(store, money, "update"),
    )
    router.add(
        "DELETE",
        base + "/installments/{installment_id}",
        _change_installment(store, money, "delete"),
    )
    router.add("POST", base + "/products/bulk", _bulk_add_products(store))
    router.add("DELETE", base + "/products", _bulk_delete_products(store))


def _deal(store: Store, req: Request) -> Record:
    deal = live(store, "deal", req.path_params["id"], "Deal")
    return deal


def _discount_out(row: Record) -> Record:
    return {
        **row,
        "created_at": v2_time(row["created_at"]),
        "updated_at": v2_time(row["updated_at"]),
    }


def _check_discount(data: Record, required: tuple[str, ...]) -> Record:
    clean = check_body(data, DISCOUNT_TYPES, required)
    if "type" in clean and clean["type"] not in ("percentage", "amount"):
        raise ApiProblem(400, "The 'type' field must be one of: percentage, amount")
    if "amount" in clean and (clean["amount"] is None or clean["amount"] < 0):
        raise ApiProblem(400, "The 'amount' field must be a number of at least 0")
    if clean.get("type") == "percentage" and (clean.get("amount") or 0) > 100:
        raise ApiProblem(400, "A percentage discount must be at most 100")
    return clean


def _list_discounts(store: Store, money: DealMoney) -> Any:
    def handle(req: Request) -> Response:
        rows = [_discount_out(r) for r in money.rows("discount", _deal(store, req))]
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _add_discount(store: Store, money: DealMoney) -> Any:
    def handle(req: Request) -> Response:
        deal = _deal(store, req)
        data = _check_discount(body(req), ("description", "amount", "type"))
        now, actor = store.now(), user_id(req)
        row = {"id": str(uuid.uuid4()), **data, "amount": float(data["amount"]),
               "deal_id": deal["id"], "created_at": now, "created_by": actor,
               "updated_at": now, "updated_by": actor}  # fmt: skip
        with store.lock:
            money.writable("discount", deal).append(row)
        store.update("deal", deal["id"], {}, actor)
        return ok(_discount_out(row), status=201)

    return handle


def _change_discount(store: Store, money: DealMoney, action: str) -> Any:
    def handle(req: Request) -> Response:
        deal = _deal(store, req)
        changes = _check_discount(body(req), ()) if action == "update" else {}
        wanted = req.path_params["discount_id"]
        with store.lock:
            rows = money.writable("discount", deal)
            row = next((r for r in rows if r["id"] == wanted), None)
            if row is None:
                raise not_found("Discount")
            if action == "delete":
                rows.remove(row)
            else:
                row.update(changes, updated_at=store.now(), updated_by=user_id(req))
                if row["type"] == "percentage" and row["amount"] > 100:
                    raise ApiProblem(400, "A percentage discount must be at most 100")
        store.update("deal", deal["id"], {}, user_id(req))
        # The spec types the deleted discount's id as an integer; the id is a UUID string.
        return ok({"id": row["id"]}) if action == "delete" else ok(_discount_out(row))

    return handle


def _list_installments(store: Store, money: DealMoney) -> Any:
    def handle(req: Request) -> Response:
        ids = int_list_arg(req, "deal_ids", maximum=100)
        if not ids:
            raise ApiProblem(400, "Parameter 'deal_ids' is required")
        sort_by = req.arg("sort_by") or "id"
        if sort_by not in ("id", "billing_date", "deal_id"):
            raise ApiProblem(400, "Parameter 'sort_by' must be one of: id, billing_date, deal_id")
        direction = (req.arg("sort_direction") or "asc").lower()
        if direction not in ("asc", "desc"):
            raise ApiProblem(400, "Parameter 'sort_direction' must be asc or desc")
        rows: list[Record] = []
        for deal_id in sorted(ids):
            deal = store.get("deal", deal_id, custom=False)
            if deal is not None and not deal.get("is_deleted"):
                rows += money.rows("installment", deal)
        rows.sort(key=lambda r: (r[sort_by], r["id"]), reverse=direction == "desc")
        return cursor_page(req, rows)

    return handle


def _check_installment(data: Record, required: tuple[str, ...]) -> Record:
    clean = check_body(data, INSTALLMENT_TYPES, required)
    if "amount" in clean and (clean["amount"] is None or clean["amount"] <= 0):
        raise ApiProblem(400, "The 'amount' field must be a number greater than 0")
    if clean.get("billing_date") is not None:
        check_date(clean["billing_date"], "billing_date")
    return clean


def _add_installment(store: Store, money: DealMoney) -> Any:
    def handle(req: Request) -> Response:
        deal = _deal(store, req)
        data = _check_installment(body(req), ("description", "amount", "billing_date"))
        recurring = [p for p in store.relations.children("deal_product", "deal", deal["id"])
                     if p.get("billing_frequency") not in (None, "one-time")]  # fmt: skip
        if recurring:
            raise ApiProblem(400, "Installments cannot be added to a deal with recurring products")
        row = {"id": money.new_installment_id(), **data, "deal_id": deal["id"]}
        with store.lock:
            money.writable("installment", deal).append(row)
        store.update("deal", deal["id"], {}, user_id(req))
        return ok(row)

    return handle


def _change_installment(store: Store, money: DealMoney, action: str) -> Any:
    def handle(req: Request) -> Response:
        deal = _deal(store, req)
        changes = _check_installment(body(req), ()) if action == "update" else {}
        wanted = path_int(req, "installment_id", "Installment")
        with store.lock:
            rows = money.writable("installment", deal)
            row = next((r for r in rows if r["id"] == wanted), None)
            if row is None:
                raise not_found("Installment")
            if action == "delete":
                rows.remove(row)
            else:
                row.update({k: v for k, v in changes.items() if v is not None})
        store.update("deal", deal["id"], {}, user_id(req))
        return ok({"id": row["id"]}) if action == "delete" else ok(row)

    return handle


def _bulk_add_products(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _deal(store, req)
        items = body(req).get("data")
        if not isinstance(items, list) or not items:
            raise ApiProblem(400, "The 'data' field is required: an array of deal products")
        if len(items) > BULK_MAX:
            raise ApiProblem(400, f"The 'data' field accepts at most {BULK_MAX} products")
        rows = []
        for n, item in enumerate(items):
            if not isinstance(item, dict):
                raise ApiProblem(400, f"data[{n}] must be an object")
            try:
                rows.append(deal_product_row(store, deal, item))
            except ApiProblem as problem:
                raise ApiProblem(400, f"data[{n}]: {problem.message}") from None
        with store.lock:
            target = store.relations.writable("deal_product", "deal", deal["id"])
            for row in rows:  # all checked first: one bad item adds none
                row["order_nr"] = max((r.get("order_nr") or 0 for r in target), default=0) + 1
                target.append(row)
        store.update("deal", deal["id"], {}, user_id(req))
        return ok([render_v2.deal_product(r) for r in rows], status=201)

    return handle


def _bulk_delete_products(store: Store) -> Any:
    def handle(req: Request) -> Response:
        deal = _deal(store, req)
        wanted = int_list_arg(req, "ids")
        with store.lock:
            rows = store.relations.writable("deal_product", "deal", deal["id"])
            chosen = [r for r in rows if wanted is None or r["id"] in wanted]
            if wanted is not None and len(chosen) < len(wanted):
                missing = sorted(wanted - {r["id"] for r in chosen})
                raise ApiProblem(404, f"Deal products not found: {missing}")
            chosen = chosen[:BULK_MAX]  # without ids: all of them, at most 100 a call
            removed = {r["id"] for r in chosen}
            rows[:] = [r for r in rows if r["id"] not in removed]
            more = len(rows) > 0 and wanted is None
        if removed:
            store.update("deal", deal["id"], {}, user_id(req))
        return ok({"ids": sorted(removed)}, {"more_items_in_collection": more})

    return handle
