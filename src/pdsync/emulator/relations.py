"""Child records hung on a parent: deal products, followers and deal participants.

Generated children are derived from the parent's id; the first write to a parent's
children copies them into an overlay list, which is what is read from then on.
"""

from __future__ import annotations

import copy
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import record_rng

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
MEMO_SIZE = 8192  # generated deal-product lists kept (several pages of parallel windows)


class Relations:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._overlay: dict[tuple[str, str, Any], list[Record]] = {}
        # Deal product ids: generated ones are 3*deal+j; new ones start above that range.
        self.next_id = 3 * (store.counts.deal + 1) + 1
        # Generated deal products of generated (never written) deals, and (name, price) of
        # generated products: a deals page with products_count derives them, and the
        # deal_products batch right after reads the same ones again. Both are pure
        # functions of the seed while nothing is written: the lists are dropped at any
        # write, and a written product (in the overlay) is never served from its memo.
        self._deal_products_memo: dict[int, list[Record]] = {}
        self._product_memo: dict[int, tuple[str, float]] = {}
        self._memo_stamp: float | None = None  # the write time the lists were made at

    def children(self, kind: str, entity: str, parent_id: Any) -> list[Record]:
        key = (kind, entity, parent_id)
        if key in self._overlay:
            return self._overlay[key]
        return self._generated(kind, entity, parent_id)

    def writable(self, kind: str, entity: str, parent_id: Any) -> list[Record]:
        key = (kind, entity, parent_id)
        if key not in self._overlay:
            self._overlay[key] = copy.deepcopy(self._generated(kind, entity, parent_id))
        return self._overlay[key]

    def new_id(self) -> int:
        with self.store.lock:
            self.next_id += 1
            return self.next_id

    def move_children(self, entity: str, loser_id: Any, winner_id: Any) -> None:
        """After a merge the winner gets the loser's followers (and, for deals, products)."""
        for kind in ("follower", "deal_product", "participant"):
            moved = self.children(kind, entity, loser_id)
            if not moved:
                continue
            target = self.writable(kind, entity, winner_id)
            seen = {r.get("user_id", r.get("id")) for r in target}
            for child in copy.deepcopy(moved):
                if kind == "follower" and child["user_id"] in seen:
                    continue
                if "deal_id" in child:
                    child["deal_id"] = winner_id
                target.append(child)
            self._overlay[(kind, entity, loser_id)] = []

    def _generated(self, kind: str, entity: str, parent_id: Any) -> list[Record]:
        # Only built-in attributes of the parent are read: skip its custom field values
        # (a deals page with products_count, and each deal_products batch, derive these).
        parent = self.store.get(entity, parent_id, custom=False)
        if parent is None or not isinstance(parent_id, int) or parent_id > self._base(entity):
            return []
        if kind == "follower":
            owner = parent.get("owner_id") or parent.get("user_id") or 1
            return [{"user_id": owner, "add_time": parent["add_time"]}]
        if kind == "participant" and entity == "deal":
            person = parent.get("person_id")
            return [{"id": parent_id, "person_id": person, "add_time": parent["add_time"],
                     "active_flag": True, "added_by_user_id": parent["owner_id"]}] if person else []  # fmt: skip
        if kind == "deal_product" and entity == "deal":
            return self._memo_deal_products(parent_id, parent)
        return []

    def _memo_deal_products(self, deal_id: int, deal: Record) -> list[Record]:
        if deal_id in self.store.tables["deal"].overlay:
            return self._deal_products(deal)
        memo = self._deal_products_memo
        stamp = self.store.latest_change()
        if stamp != self._memo_stamp:
            # Any write (a product renamed or repriced, …) may change a generated list.
            memo.clear()
            self._memo_stamp = stamp
        rows = memo.get(deal_id)
        if rows is None:
            if len(memo) >= MEMO_SIZE:
                memo.clear()  # bounded: reads move forward, old entries are not asked again
            rows = memo[deal_id] = self._deal_products(deal)
        # Callers may change what they get (merges, writes copy first, but be safe).
        return [dict(r) for r in rows]

    def _product(self, product_id: int) -> tuple[str, float]:
        """Name and first price of a product (generated ones memoised)."""
        written = product_id in self.store.tables["product"].overlay
        found = None if written else self._product_memo.get(product_id)
        if found is None:
            product = self.store.get("product", product_id, custom=False) or {}
            price = product.get("prices", [{}])[0].get("price", 100.0)
            found = (product.get("name", "Product"), price)
            if not written:
                self._product_memo[product_id] = found
        return found

    def _base(self, entity: str) -> int:
        table = self.store.tables.get(entity)
        return table.base_count if table else 0

    def _deal_products(self, deal: Record) -> list[Record]:
        rng = record_rng(self.store.seed, "deal_product", deal["id"])
        products = self.store.counts.product
        count = rng.choice((0, 1, 1, 2))  # about one product per deal
        rows = []
        for j in range(count):
            product_id = rng.randint(1, products)
            name, price = self._product(product_id)
            quantity = rng.randint(1, 10)
            rows.append(
                {
                    "id": 3 * deal["id"] + j, "deal_id": deal["id"], "product_id": product_id,
                    "product_variation_id": None, "name": name,
                    "item_price": price, "quantity": quantity, "sum": round(price * quantity, 2),
                    "tax": 0, "tax_method": "inclusive", "currency": deal["currency"],
                    "discount": 0, "discount_type": "percentage", "is_enabled": True,
                    "comments": "", "billing_frequency": "one-time", "billing_frequency_cycles": None,
                    "billing_start_date": None, "add_time": deal["add_time"],
                    "update_time": deal["add_time"], "order_nr": j + 1,
                }
            )  # fmt: skip
        return rows
