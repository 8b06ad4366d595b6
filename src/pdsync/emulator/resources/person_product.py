"""Persons and products seen through deals (``/v1/persons/{id}/products``,
``/v1/products/{id}/deals``), person pictures (v2 get, v1 add/delete) and v1 ``PUT /persons/{id}``."""

from __future__ import annotations

import threading
from array import array
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import record_rng
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import ApiProblem, Record, body, not_found, ok, user_id
from pdsync.emulator.resources.custom import flat_v1_custom_fields
from pdsync.emulator.resources.files_api import multipart_form
from pdsync.emulator.resources.lists import live, offset_list, offset_slice
from pdsync.emulator.resources.product_extras import image_type
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

DEAL_STATUSES = ("open", "won", "lost", "deleted", "all_not_deleted")
MARKETING = ("no_consent", "unsubscribed", "subscribed", "archived")


class DealsByProduct:
    """Which generated deals carry a product: two product ids per deal in a compact array,
    built once on first use (it draws the generated deal products' product ids)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self._products: array[int] | None = None

    def deal_ids(self, product_id: int) -> list[int]:
        index = self._index()
        found: set[int] = set()
        start = 0
        while True:
            try:
                at = index.index(product_id, start)
            except ValueError:
                break
            found.add(at // 2 + 1)
            start = at + 1
        # Deals whose products were written are in the deal overlay (writes touch the deal).
        candidates = found | set(self.store.tables["deal"].overlay)
        out = []
        for deal_id in sorted(candidates):
            rows = self.store.relations.children("deal_product", "deal", deal_id)
            if any(r["product_id"] == product_id for r in rows):
                out.append(deal_id)
        return out

    def _index(self) -> array[int]:
        with self.lock:
            if self._products is None:
                seed, products = self.store.seed, self.store.counts.product
                index = array("I")
                for deal_id in range(1, self.store.counts.deal + 1):
                    # The draws of Relations._deal_products, in its order (a test checks).
                    rng = record_rng(seed, "deal_product", deal_id)
                    ids = [0, 0]
                    for j in range(rng.choice((0, 1, 1, 2))):
                        ids[j] = rng.randint(1, products)
                        rng.randint(1, 10)
                    index.extend(ids)
                self._products = index
            return self._products


def register(router: Router, store: Store) -> None:
    by_product = DealsByProduct(store)
    pictures: dict[int, Record] = {}
    router.add("GET", "/api/v1/persons/{id}/products", _person_products(store))
    router.add("GET", "/api/v1/products/{id}/deals", _product_deals(store, by_product))
    router.add("GET", "/api/v2/persons/{id}/picture", _get_picture(store, pictures))
    router.add("POST", "/api/v1/persons/{id}/picture", _add_picture(store, pictures))
    router.add("DELETE", "/api/v1/persons/{id}/picture", _delete_picture(store, pictures))
    router.add("PUT", "/api/v1/persons/{id}", _update_person(store))


def person_deal_ids(store: Store, person_id: int) -> list[int]:
    column = store.columns.get("deal").ints["person_id"]
    found: set[int] = set()
    start = 1
    while True:
        try:
            at = column.index(person_id, start)
        except ValueError:
            break
        found.add(at)
        start = at + 1
    found |= set(store.tables["deal"].overlay)
    out = []
    for deal_id in sorted(found):
        deal = store.get("deal", deal_id, custom=False)
        if deal is not None and deal.get("person_id") == person_id and not deal.get("is_deleted"):
            out.append(deal_id)
    return out


def _deal_v1(renderer: V1Renderer, deal: Record) -> Record:
    out = renderer.render("deal", deal)
    out["user_id"] = out.get("owner_id")
    return out


def _person_products(store: Store) -> Any:
    def handle(req: Request) -> Response:
        person = live(store, "person", req.path_params["id"], "Person")
        renderer = V1Renderer(store, user_id(req))
        rows = []
        for deal_id in person_deal_ids(store, person["id"]):
            deal = store.get("deal", deal_id)
            assert deal is not None
            for attached in store.relations.children("deal_product", "deal", deal_id):
                product = store.get("product", attached["product_id"])
                if product is None:
                    continue
                rendered = {**renderer.render("product", product), "deal_id": deal_id}
                flat_deal = {k: (v.get("value") if isinstance(v, dict) and "value" in v else v)
                             for k, v in _deal_v1(renderer, deal).items()}  # fmt: skip
                rows.append({str(deal_id): {"deal": flat_deal, "product": rendered}})
        return offset_list(req, rows)

    return handle


def _product_deals(store: Store, by_product: DealsByProduct) -> Any:
    def handle(req: Request) -> Response:
        product = live(store, "product", req.path_params["id"], "Product")
        status = req.arg("status") or "all_not_deleted"
        if status not in DEAL_STATUSES:
            raise ApiProblem(400, f"Parameter 'status' must be one of: {', '.join(DEAL_STATUSES)}")
        deals = []
        for deal_id in by_product.deal_ids(product["id"]):
            deal = store.get("deal", deal_id)
            if deal is None or deal.get("is_archived"):
                continue
            deleted = bool(deal.get("is_deleted"))
            if status == "deleted" and not deleted:
                continue
            if status != "deleted" and (
                deleted or status not in ("all_not_deleted", deal["status"])
            ):
                continue
            deals.append(deal)
        page, pagination = offset_slice(req, deals)
        renderer = V1Renderer(store, user_id(req))
        return ok([_deal_v1(renderer, d) for d in page], {"pagination": pagination})

    return handle


def _picture_out(picture: Record, times: bool = True) -> Record:
    out = {k: v for k, v in picture.items() if k != "bytes"}
    if times:
        out["add_time"], out["update_time"] = v1_time(out["add_time"]), v1_time(out["update_time"])
    return out


def _get_picture(store: Store, pictures: dict[int, Record]) -> Any:
    def handle(req: Request) -> Response:
        person = live(store, "person", req.path_params["id"], "Person")
        picture = pictures.get(person.get("picture_id") or -1)
        if picture is None:
            raise not_found("Person picture")
        out = _picture_out(picture)
        for key in ("add_time", "update_time"):
            out.pop(key)
        return ok(out)

    return handle


def _add_picture(store: Store, pictures: dict[int, Record]) -> Any:
    def handle(req: Request) -> Response:
        person = live(store, "person", req.path_params["id"], "Person")
        form = multipart_form(req)
        upload = form.get("file")
        if not isinstance(upload, tuple):
            raise ApiProblem(400, "The 'file' field is required: the picture (multipart/form-data)")
        content = upload[1]
        if image_type(upload[0], content) is None:
            raise ApiProblem(400, "The picture must be a PNG, JPEG or GIF image")
        for key in ("crop_x", "crop_y", "crop_width", "crop_height"):
            if key in form and not str(form[key]).isdigit():
                raise ApiProblem(400, f"The '{key}' field must be a non-negative integer")
        with store.lock:
            picture_id = max([store.counts.person, *pictures]) + 1
            now = store.now()
            base = f"https://pictures.pipedrive.example/person/{person['id']}/{picture_id}"
            picture = {"id": picture_id, "item_type": "person", "item_id": person["id"],
                       "active_flag": True, "add_time": now, "update_time": now,
                       "added_by_user_id": user_id(req), "file_size": len(content),
                       "pictures": {"128": f"{base}_128.jpg", "512": f"{base}_512.jpg"}}  # fmt: skip
            pictures[picture_id] = picture
            store.update("person", person["id"], {"picture_id": picture_id}, user_id(req))
        return ok({str(picture_id): _picture_out(picture)})

    return handle


def _delete_picture(store: Store, pictures: dict[int, Record]) -> Any:
    def handle(req: Request) -> Response:
        person = live(store, "person", req.path_params["id"], "Person")
        with store.lock:
            picture = pictures.pop(person.get("picture_id") or -1, None)
            if picture is None:
                raise not_found("Person picture")
            store.update("person", person["id"], {"picture_id": None}, user_id(req))
        return ok({"id": picture["id"]})

    return handle


def _update_person(store: Store) -> Any:
    """v1 update: v1 names (``email``, ``phone``, ``label``, flat custom fields), lenient types."""

    def handle(req: Request) -> Response:
        person = live(store, "person", req.path_params["id"], "Person")
        raw = body(req)
        changes: Record = {}
        if "name" in raw:
            if not isinstance(raw["name"], str) or not raw["name"].strip():
                raise ApiProblem(400, "The 'name' field must be a non-empty string")
            changes["name"] = raw["name"]
        for key in ("owner_id", "org_id"):
            if key in raw:
                changes[key] = _ref(store, key, raw[key])
        for v1_key, key in (("email", "emails"), ("phone", "phones")):
            if v1_key in raw:
                changes[key] = _contacts(v1_key, raw[v1_key])
        if "visible_to" in raw:
            if str(raw["visible_to"]) not in ("1", "3", "5", "7"):
                raise ApiProblem(400, "The 'visible_to' field must be one of: 1, 3, 5, 7")
            changes["visible_to"] = int(raw["visible_to"])
        if "label_ids" in raw or "label" in raw:
            labels = raw.get("label_ids", [raw.get("label")] if raw.get("label") else [])
            if not isinstance(labels, list) or not all(str(v).isdigit() for v in labels):
                raise ApiProblem(400, "The 'label_ids' field must be an array of integers")
            changes["label_ids"] = [int(v) for v in labels]
        if "marketing_status" in raw and raw["marketing_status"] not in MARKETING:
            raise ApiProblem(
                400, f"The 'marketing_status' field must be one of: {', '.join(MARKETING)}"
            )
        custom = flat_v1_custom_fields(store, "person", raw)
        if custom:
            changes["custom_fields"] = {**(person.get("custom_fields") or {}), **custom}
        updated = store.update("person", person["id"], changes, user_id(req))
        renderer = V1Renderer(store, user_id(req))
        out = renderer.render("person", updated)
        user = renderer.user_ref(updated["owner_id"], pic_as_int=True) or {}
        related = {
            "user": {str(updated["owner_id"]): {k: v for k, v in user.items() if k != "value"}}
        }
        return Response.json({"success": True, "data": out, "related_objects": related})

    return handle


def _ref(store: Store, key: str, value: Any) -> int | None:
    if value in (None, ""):
        if key == "owner_id":
            raise ApiProblem(400, "The 'owner_id' field cannot be empty")
        return None
    entity = "user" if key == "owner_id" else "organization"
    if not str(value).isdigit() or store.get(entity, int(value)) is None:
        raise ApiProblem(400, f"The '{key}' field must be the id of an existing {entity}")
    return int(value)


def _contacts(key: str, value: Any) -> list[Record]:
    items = value if isinstance(value, list) else [value]
    out = []
    for n, item in enumerate(items):
        if isinstance(item, str):
            item = {"value": item}
        if not isinstance(item, dict) or not isinstance(item.get("value"), str):
            raise ApiProblem(400, f"{key}[{n}] must be a string or an object with a 'value'")
        out.append({"value": item["value"], "primary": bool(item.get("primary", n == 0)),
                    "label": item.get("label") or "work"})  # fmt: skip
    return out
