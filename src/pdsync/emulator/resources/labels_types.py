"""v1 activity types (list, add, update, delete, bulk delete) and lead label writes.

Deleting an activity type marks it inactive (``active_flag: false``), as the spec says
("Marks an activity type as deleted"): it stays in ``GET /activityTypes`` so activities
of that type can still be shown, and it can no longer be changed. Deleting a lead label
removes it for good, and from the ``label_ids`` of every lead that carried it.
"""

from __future__ import annotations

import re
import uuid
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.admin_common import (
    bulk_delete_v1,
    choice,
    live_v1,
    path_int,
    text_value,
)
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    count_records,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.timefmt import iso_ms

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

ICON_KEYS = (
    "task", "email", "meeting", "deadline", "call", "lunch", "calendar", "downarrow", "document",
    "smartphone", "camera", "scissors", "cogs", "bubble", "uparrow", "checkbox", "signpost",
    "shuffle", "addressbook", "linegraph", "picture", "car", "world", "search", "clip", "sound",
    "brush", "key", "padlock", "pricetag", "suitcase", "finish", "plane", "loop", "wifi", "truck",
    "cart", "bulb", "bell", "presentation",
)  # fmt: skip
LABEL_COLORS = ("blue", "brown", "dark-gray", "gray", "green", "orange", "pink", "purple", "red",
                "yellow")  # fmt: skip
HEX_COLOR = re.compile(r"^[0-9A-Fa-f]{6}$")


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/activityTypes", _list_types(store))
    router.add("POST", "/api/v1/activityTypes", _add_type(store))
    router.add("DELETE", "/api/v1/activityTypes", _delete_types(store))
    router.add("PUT", "/api/v1/activityTypes/{id}", _update_type(store))
    router.add("DELETE", "/api/v1/activityTypes/{id}", _delete_type(store))
    router.add("POST", "/api/v1/leadLabels", _add_label(store))
    router.add("PATCH", "/api/v1/leadLabels/{id}", _update_label(store))
    router.add("DELETE", "/api/v1/leadLabels/{id}", _delete_label(store))


# -- activity types ----------------------------------------------------------------------------


def _render_type(store: Store, rec: Record) -> Record:
    return V1Renderer(store).render("activity_type", rec)


def _type_changes(data: Record, creating: bool) -> Record:
    changes: Record = {}
    if creating or "name" in data:
        changes["name"] = text_value(data, "name")
    if creating or "icon_key" in data:
        changes["icon_key"] = choice(data, "icon_key", ICON_KEYS)
    if data.get("color") is not None:
        if not isinstance(data["color"], str) or not HEX_COLOR.match(data["color"]):
            raise ApiProblem(400, "The 'color' field must be a 6-character HEX color, e.g. FFFFFF")
        changes["color"] = data["color"]
    if "order_nr" in data:
        order = data["order_nr"]
        if isinstance(order, bool) or not isinstance(order, int) or order < 0:
            raise ApiProblem(400, "The 'order_nr' field must be a non-negative integer")
        changes["order_nr"] = order
    return changes


def _list_types(store: Store) -> Any:
    def handle(req: Request) -> Response:
        renderer = V1Renderer(store, user_id(req))
        rows = [renderer.render("activity_type", r)
                for r in store.tables["activity_type"].overlay.values()]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _add_type(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = _type_changes(body(req), creating=True)
        with store.lock:
            table = store.tables["activity_type"]
            taken = {r["key_string"] for r in table.overlay.values()}
            key = "".join(c for c in data["name"].lower() if c.isalnum()) or "custom"
            if key in taken:  # key strings are unique: a second "Demo" is "demo2"
                key = next(
                    f"{key}{n}" for n in range(2, len(taken) + 3) if f"{key}{n}" not in taken
                )
            record = {"order_nr": len(table.overlay) + 1, "key_string": key, "active_flag": True,
                      "color": None, "is_custom_flag": True, **data}  # fmt: skip
            created = store.create("activity_type", record, user_id(req))
        return ok(_render_type(store, created))

    return handle


def _live_type(store: Store, type_id: int) -> Record:
    return live_v1(store, "activity_type", type_id, "Activity type")


def _update_type(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _live_type(store, path_int(req, "Activity type"))
        changes = _type_changes(body(req), creating=False)
        updated = store.update("activity_type", rec["id"], changes, user_id(req))
        return ok(_render_type(store, updated))

    return handle


def _delete_type(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _live_type(store, path_int(req, "Activity type"))
        deleted = store.delete("activity_type", rec["id"], user_id(req))
        return ok(_render_type(store, deleted))

    return handle


def _delete_types(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return bulk_delete_v1(store, req, "activity_type", "Activity types")

    return handle


# -- lead labels ------------------------------------------------------------------------------------


def render_label(rec: Record) -> Record:
    return {**rec, "add_time": iso_ms(rec["add_time"]), "update_time": iso_ms(rec["update_time"])}


def _label(store: Store, req: Request) -> Record:
    rec = store.static["lead_label"].get(req.path_params["id"])
    if rec is None:
        raise not_found("Lead label")
    return rec


def _add_label(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        name = text_value(data, "name")
        color = choice(data, "color", LABEL_COLORS)
        with store.lock:
            now = store.now()
            rec = {"id": str(uuid.uuid4()), "name": name, "color": color, "add_time": now,
                   "update_time": now}  # fmt: skip
            store.static["lead_label"][rec["id"]] = rec
        return ok(render_label(rec))

    return handle


def _update_label(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _label(store, req)
        data = body(req)
        name = text_value(data, "name", required=False)
        color = choice(data, "color", LABEL_COLORS, required=False)
        with store.lock:
            if name is not None:
                rec["name"] = name
            if color is not None:
                rec["color"] = color
            rec["update_time"] = store.now()
        return ok(render_label(rec))

    return handle


def _delete_label(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _label(store, req)
        with store.lock:
            del store.static["lead_label"][rec["id"]]
            # Only written leads can carry labels (generated ones have none).
            carriers = [lead for lead in store.tables["lead"].overlay.values()
                        if rec["id"] in (lead.get("label_ids") or [])]  # fmt: skip
            for lead in carriers:
                remaining = [i for i in lead["label_ids"] if i != rec["id"]]
                store.update("lead", lead["id"], {"label_ids": remaining}, user_id(req))
        return ok({"id": rec["id"]})

    return handle
