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


class Relations:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._overlay: dict[tuple[str, str, Any], list[Record]] = {}
        # Deal product ids: generated ones are 3*deal+j; new ones start above that range.
        self.next_id = 3 * (store.counts.deal + 1) + 1

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
        parent = self.store.get(entity, parent_id)
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
            return self._deal_products(parent)
        return []

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
            product = self.store.get("product", product_id) or {}
            price = product.get("prices", [{}])[0].get("price", 100.0)
            quantity = rng.randint(1, 10)
            rows.append(
                {
                    "id": 3 * deal["id"] + j, "deal_id": deal["id"], "product_id": product_id,
                    "product_variation_id": None, "name": product.get("name", "Product"),
                    "item_price": price, "quantity": quantity, "sum": round(price * quantity, 2),
                    "tax": 0, "tax_method": "inclusive", "currency": deal["currency"],
                    "discount": 0, "discount_type": "percentage", "is_enabled": True,
                    "comments": "", "billing_frequency": "one-time", "billing_frequency_cycles": None,
                    "billing_start_date": None, "add_time": deal["add_time"],
                    "update_time": deal["add_time"], "order_nr": j + 1,
                }
            )  # fmt: skip
        return rows
