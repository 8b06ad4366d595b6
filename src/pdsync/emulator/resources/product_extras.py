"""v2 product variations, product images (multipart upload) and product duplication.

Seeded: every second product has two variations (priced from the product's prices),
every third product has an image; both derived from the product id. Writes go to small
overlays; an uploaded image's bytes are kept in memory.
"""

from __future__ import annotations

import copy
import threading
from typing import TYPE_CHECKING, Any

from pdsync.emulator import render_v2
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.files_api import multipart_form
from pdsync.emulator.resources.lists import cursor_page, live, path_int
from pdsync.emulator.timefmt import v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

VARIATION_TYPES = {"name": "str", "prices": "list"}
PRICE_KEYS = {"price": (int, float), "currency": (str,), "cost": (int, float),
              "notes": (str,)}  # fmt: skip
IMAGE_TYPES = {b"\x89PNG": "image/png", b"\xff\xd8\xff": "image/jpeg", b"GIF8": "image/gif"}
IMAGE_EXTENSIONS = {
    "png": "image/png",
    "jpg": "image/jpeg",
    "jpeg": "image/jpeg",
    "gif": "image/gif",
}
MAX_IMAGE_BYTES = 5 * 1024 * 1024


class ProductExtras:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        self.variations: dict[int, list[Record]] = {}
        self.images: dict[int, Record | None] = {}
        self.image_bytes: dict[int, bytes] = {}
        base = store.counts.product + 1
        self.next_variation = 4 * base
        self.next_image = base

    def variation_list(self, product: Record, writable: bool = False) -> list[Record]:
        pid = product["id"]
        with self.lock:
            if pid in self.variations:
                return self.variations[pid]
            seeded = self._seeded_variations(product)
            if writable:
                self.variations[pid] = seeded
            return seeded

    def image(self, product: Record) -> Record | None:
        pid = product["id"]
        with self.lock:
            if pid in self.images:
                return self.images[pid]
        if isinstance(pid, int) and pid <= self.store.counts.product and pid % 3 == 0:
            return {"id": pid, "product_id": pid, "company_id": str(self.store.seed),
                    "public_url": f"https://images.pipedrive.example/products/{pid}.png",
                    "add_time": product["add_time"], "mime_type": "image/png",
                    "name": f"product-{pid}.png"}  # fmt: skip
        return None

    def set_image(self, pid: int, record: Record | None, data: bytes = b"") -> None:
        with self.lock:
            self.images[pid] = record
            if record is not None:
                self.image_bytes[record["id"]] = data

    def new_id(self, kind: str) -> int:
        with self.lock:
            if kind == "variation":
                self.next_variation += 1
                return self.next_variation
            self.next_image += 1
            return self.next_image

    def _seeded_variations(self, product: Record) -> list[Record]:
        pid = product["id"]
        if not isinstance(pid, int) or pid > self.store.counts.product or pid % 2:
            return []
        out = []
        for j, (name, factor) in enumerate((("Standard", 1.0), ("Extended", 1.5))):
            prices = [{"price": round(p["price"] * factor, 2), "currency": p["currency"],
                       "cost": round(p.get("cost", 0) * factor, 2), "notes": ""}
                      for p in product.get("prices", [])]  # fmt: skip
            out.append({"id": 4 * pid + j, "name": f"{product['name']} — {name}",
                        "product_id": pid, "prices": prices})  # fmt: skip
        return out


def register(router: Router, store: Store) -> None:
    extras = ProductExtras(store)
    base = "/api/v2/products/{id}"
    router.add("GET", base + "/variations", _variations(store, extras))
    router.add("POST", base + "/variations", _add_variation(store, extras))
    router.add(
        "PATCH", base + "/variations/{product_variation_id}", _change(store, extras, "update")
    )
    router.add(
        "DELETE", base + "/variations/{product_variation_id}", _change(store, extras, "delete")
    )
    router.add("GET", base + "/images", _get_image(store, extras))
    router.add("POST", base + "/images", _put_image(store, extras, replace=False))
    router.add("PUT", base + "/images", _put_image(store, extras, replace=True))
    router.add("DELETE", base + "/images", _delete_image(store, extras))
    router.add("POST", base + "/duplicate", _duplicate(store, extras))


def _product(store: Store, req: Request) -> Record:
    return live(store, "product", req.path_params["id"], "Product")


def _check_variation(data: Record, required: tuple[str, ...]) -> Record:
    clean = check_body(data, VARIATION_TYPES, required)
    for n, price in enumerate(clean.get("prices") or []):
        if not isinstance(price, dict) or not isinstance(price.get("currency"), str):
            raise ApiProblem(400, f"prices[{n}] must be an object with a 'currency'")
        for key, kinds in PRICE_KEYS.items():
            value = price.get(key)
            if value is not None and (not isinstance(value, kinds) or isinstance(value, bool)):
                raise ApiProblem(400, f"prices[{n}].{key} has the wrong type")
    if clean.get("prices") is not None:
        clean["prices"] = [{"price": p.get("price", 0), "currency": p["currency"],
                            "cost": p.get("cost", 0), "notes": p.get("notes") or ""}
                           for p in clean["prices"]]  # fmt: skip
    return clean


def _variations(store: Store, extras: ProductExtras) -> Any:
    def handle(req: Request) -> Response:
        return cursor_page(req, copy.deepcopy(extras.variation_list(_product(store, req))))

    return handle


def _add_variation(store: Store, extras: ProductExtras) -> Any:
    def handle(req: Request) -> Response:
        product = _product(store, req)
        data = _check_variation(body(req), ("name",))
        row = {"id": extras.new_id("variation"), "name": data["name"], "product_id": product["id"],
               "prices": data.get("prices") or []}  # fmt: skip
        with store.lock:
            extras.variation_list(product, writable=True).append(row)
        store.update("product", product["id"], {}, user_id(req))
        return ok(copy.deepcopy(row), status=201)

    return handle


def _change(store: Store, extras: ProductExtras, action: str) -> Any:
    def handle(req: Request) -> Response:
        product = _product(store, req)
        changes = _check_variation(body(req), ()) if action == "update" else {}
        wanted = path_int(req, "product_variation_id", "Product variation")
        with store.lock:
            rows = extras.variation_list(product, writable=True)
            row = next((r for r in rows if r["id"] == wanted), None)
            if row is None:
                raise not_found("Product variation")
            if action == "delete":
                rows.remove(row)
            else:
                row.update({k: v for k, v in changes.items() if v is not None})
        store.update("product", product["id"], {}, user_id(req))
        return ok({"id": wanted}) if action == "delete" else ok(copy.deepcopy(row))

    return handle


def image_type(name: str | None, content: bytes) -> str | None:
    """The image's MIME type from its first bytes, else from its file name; None if neither."""
    if not content:
        return None
    found = next((m for magic, m in IMAGE_TYPES.items() if content.startswith(magic)), None)
    extension = (name or "").rsplit(".", 1)[-1].lower() if "." in (name or "") else ""
    return found or IMAGE_EXTENSIONS.get(extension)


def _image_out(image: Record) -> Record:
    return {**image, "add_time": v2_time(image["add_time"])}


def _get_image(store: Store, extras: ProductExtras) -> Any:
    def handle(req: Request) -> Response:
        image = extras.image(_product(store, req))
        if image is None:
            raise not_found("Product image")
        return ok(_image_out(image))

    return handle


def _put_image(store: Store, extras: ProductExtras, replace: bool) -> Any:
    def handle(req: Request) -> Response:
        product = _product(store, req)
        current = extras.image(product)
        if replace and current is None:
            raise not_found("Product image")
        if not replace and current is not None:
            raise ApiProblem(400, "The product already has an image: replace it with PUT")
        upload = multipart_form(req).get("data")
        if not isinstance(upload, tuple):
            raise ApiProblem(
                400, "The 'data' field is required: the image file (multipart/form-data)"
            )
        name, content = upload
        mime = image_type(name, content)
        if mime is None:
            raise ApiProblem(400, "The image must be a PNG, JPEG or GIF file")
        if len(content) > MAX_IMAGE_BYTES:
            raise ApiProblem(413, "The image is larger than 5 MB")
        image_id = extras.new_id("image")
        image = {"id": image_id, "product_id": product["id"], "company_id": str(store.seed),
                 "public_url": f"https://images.pipedrive.example/products/{product['id']}/{image_id}",
                 "add_time": store.now(), "mime_type": mime, "name": name or f"image-{image_id}"}  # fmt: skip
        extras.set_image(product["id"], image, content)
        store.update("product", product["id"], {}, user_id(req))
        return ok(_image_out(image), status=200 if replace else 201)

    return handle


def _delete_image(store: Store, extras: ProductExtras) -> Any:
    def handle(req: Request) -> Response:
        product = _product(store, req)
        image = extras.image(product)
        if image is None:
            raise not_found("Product image")
        extras.set_image(product["id"], None)
        store.update("product", product["id"], {}, user_id(req))
        return ok({"id": image["id"]})

    return handle


def _duplicate(store: Store, extras: ProductExtras) -> Any:
    """A new product with the same attributes, prices and variations (not its image)."""

    def handle(req: Request) -> Response:
        product = _product(store, req)
        data = {k: copy.deepcopy(v) for k, v in product.items()
                if k not in ("id", "add_time", "update_time")}  # fmt: skip
        with store.lock:
            created = store.create("product", data, user_id(req))
            for price in created.get("prices", []):
                price["product_id"] = created["id"]
            rows = extras.variation_list(created, writable=True)
            for source in extras.variation_list(product):
                rows.append({**copy.deepcopy(source), "id": extras.new_id("variation"),
                             "product_id": created["id"]})  # fmt: skip
        rendered = render_v2.render("product", created, store.fields.get("product"))
        return ok(rendered, status=201)

    return handle
