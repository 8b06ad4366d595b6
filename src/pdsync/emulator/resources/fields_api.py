"""``*Fields`` resources: v2 CRUD with option operations, and the v1 read views with subfield rows."""

from __future__ import annotations

import hashlib
from typing import TYPE_CHECKING, Any

from pdsync.emulator.fields import CREATABLE_TYPES, FieldDef
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_fields import field_v1, field_v2
from pdsync.emulator.resources.common import (
    ApiProblem,
    body,
    count_records,
    decode_cursor,
    encode_cursor,
    int_arg,
    limit_arg,
    ok,
    user_id,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

V2_PATHS = {"dealFields": "deal", "personFields": "person", "organizationFields": "organization",
            "productFields": "product"}  # fmt: skip
V1_READ_ONLY = {"activityFields": "activity", "leadFields": "deal"}
# Notes have no custom fields: /noteFields lists the system fields (v1 shape, flat paging).
NOTE_FIELDS = (
    ("id", "ID", "int"), ("content", "Content", "text"), ("add_time", "Add time", "date"),
    ("update_time", "Update time", "date"), ("user_id", "User", "user"),
    ("deal_id", "Deal", "deal"), ("lead_id", "Lead", "lead"), ("person_id", "Person", "people"),
    ("org_id", "Organization", "org"), ("project_id", "Project", "project"),
    ("pinned_to_deal_flag", "Pinned to deal", "boolean"),
    ("pinned_to_person_flag", "Pinned to person", "boolean"),
    ("pinned_to_organization_flag", "Pinned to organization", "boolean"),
    ("pinned_to_lead_flag", "Pinned to lead", "boolean"),
)  # fmt: skip


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/noteFields", _note_fields)
    for path, entity in {**V2_PATHS, "activityFields": "activity"}.items():
        base = f"/api/v2/{path}"
        router.add("GET", base, _list_v2(store, entity))
        router.add("GET", base + "/{field_code}", _get_v2(store, entity))
        if path in V2_PATHS:
            router.add("POST", base, _create(store, entity))
            router.add("PATCH", base + "/{field_code}", _update(store, entity))
            router.add("DELETE", base + "/{field_code}", _delete(store, entity))
            router.add("POST", base + "/{field_code}/options", _options(store, entity, "add"))
            router.add("PATCH", base + "/{field_code}/options", _options(store, entity, "update"))
            router.add("DELETE", base + "/{field_code}/options", _options(store, entity, "delete"))
    for path, entity in {**V2_PATHS, **V1_READ_ONLY}.items():
        router.add("GET", f"/api/v1/{path}", _list_v1(store, entity))
        if path in V2_PATHS:
            router.add("GET", f"/api/v1/{path}/{{id}}", _get_v1(store, entity))


def active(store: Store, entity: str) -> list[FieldDef]:
    return [f for f in store.fields[entity] if not f.is_deleted]


def find(store: Store, entity: str, code: str) -> FieldDef:
    for f in active(store, entity):
        if f.key == code:
            return f
    raise ApiProblem(404, "Field not found")


def _list_v2(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        limit = limit_arg(req)
        after = decode_cursor(req)
        rows = [f for f in active(store, entity) if after is None or f.order_nr > after[1]]
        page, more = rows[:limit], len(rows) > limit
        count_records(req, len(page))
        cursor = encode_cursor((page[-1].order_nr, page[-1].order_nr)) if more else None
        return ok([field_v2(f) for f in page], {"next_cursor": cursor})

    return handle


def _get_v2(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        return ok(field_v2(find(store, entity, req.path_params["field_code"])))

    return handle


def _create(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        name, ftype = data.get("field_name"), data.get("field_type")
        if not isinstance(name, str) or not name.strip():
            raise ApiProblem(400, "The 'field_name' field is required")
        if ftype not in CREATABLE_TYPES:
            raise ApiProblem(
                400, f"The 'field_type' field must be one of: {', '.join(CREATABLE_TYPES)}"
            )
        options = data.get("options")
        if ftype in ("enum", "set") and not (isinstance(options, list) and options):
            raise ApiProblem(400, "Fields of type enum and set need at least one option")
        return ok(field_v2(add_field(store, entity, name, ftype, options, user_id(req))))

    return handle


def add_field(
    store: Store, entity: str, name: str, ftype: str, options: Any, user: int = 1
) -> FieldDef:
    """Create a custom field (also used by ``/_emulator/mutate``); existing records get null."""
    with store.lock:
        defs = store.fields[entity]
        next_id = max(f.id for fields in store.fields.values() for f in fields) + 1
        now = store.now()
        key = hashlib.sha1(f"{store.seed}:{entity}:created:{next_id}".encode()).hexdigest()
        fdef = FieldDef(next_id, key, name, ftype, True, len(defs), now, now, user_id=user)
        if ftype in ("enum", "set"):
            fdef.options = store.option_ids.make(_labels(options), now)
        defs.append(fdef)
        for table in (store.tables[entity],) if entity in store.tables else ():
            for rec in table.overlay.values():
                rec.setdefault("custom_fields", {})[key] = None
        return fdef


def _labels(options: Any) -> list[str]:
    labels = []
    for option in options or []:
        label = option.get("label") if isinstance(option, dict) else None
        if not isinstance(label, str) or not label:
            raise ApiProblem(400, "Each option needs a non-empty 'label'")
        labels.append(label)
    return labels


def _update(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        fdef = find(store, entity, req.path_params["field_code"])
        if not fdef.is_custom:
            raise ApiProblem(400, "System fields cannot be changed")
        data = body(req)
        if "field_name" in data:
            if not isinstance(data["field_name"], str) or not data["field_name"].strip():
                raise ApiProblem(400, "The 'field_name' field must be a non-empty string")
            fdef.name = data["field_name"]
        if "description" in data:
            fdef.description = data["description"]
        fdef.update_time = store.now()
        return ok(field_v2(fdef))

    return handle


def _delete(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        fdef = find(store, entity, req.path_params["field_code"])
        if not fdef.is_custom:
            raise ApiProblem(400, "System fields cannot be deleted")
        fdef.is_deleted = True
        fdef.update_time = store.now()
        return ok(field_v2(fdef))

    return handle


def _options(store: Store, entity: str, action: str) -> Any:
    def handle(req: Request) -> Response:
        fdef = find(store, entity, req.path_params["field_code"])
        if fdef.options is None:
            raise ApiProblem(400, "Only enum and set fields have options")
        try:
            items = req.json()
        except ValueError:
            raise ApiProblem(400, "Request body is not valid JSON") from None
        if not isinstance(items, list) or not items:
            raise ApiProblem(400, "The body must be a non-empty array of options")
        now = store.now()
        if action == "add":
            fdef.options.extend(store.option_ids.make(_labels(items), now))
        else:
            _change_options(fdef, items, action, now)
        fdef.update_time = now
        return ok([{"id": o["id"], "label": o["label"]} for o in fdef.options])

    return handle


def _change_options(fdef: FieldDef, items: list[Any], action: str, now: float) -> None:
    assert fdef.options is not None
    by_id = {o["id"]: o for o in fdef.options}
    for item in items:
        oid = item.get("id") if isinstance(item, dict) else None
        if oid not in by_id:
            raise ApiProblem(400, f"Option {oid!r} does not exist on field '{fdef.key}'")
        if action == "update":
            if not isinstance(item.get("label"), str):
                raise ApiProblem(400, "Each option needs a 'label'")
            by_id[oid].update(label=item["label"], update_time=now)
    if action == "delete":
        gone = {item["id"] for item in items}
        fdef.options[:] = [o for o in fdef.options if o["id"] not in gone]


def _list_v1(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        start = int_arg(req, "start", 0) or 0
        limit = limit_arg(req)
        rows = [row for f in active(store, entity) for row in field_v1(f)]
        page = rows[start : start + limit]
        more = start + limit < len(rows)
        count_records(req, len(page))
        pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return ok(page, {"pagination": pagination})

    return handle


def _note_fields(req: Request) -> Response:
    rows = [
        {"id": n, "key": key, "name": name, "field_type": kind, "active_flag": True,
         "edit_flag": False, "bulk_edit_allowed": key == "user_id",
         "mandatory_flag": key == "content"}
        for n, (key, name, kind) in enumerate(NOTE_FIELDS, start=1)
    ]  # fmt: skip
    count_records(req, len(rows))
    return ok(rows, {"start": 0, "limit": len(rows), "more_items_in_collection": False})


def _get_v1(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        fid = req.path_params["id"]
        for f in active(store, entity):
            if str(f.id) == fid:
                return ok(field_v1(f)[0])
        raise ApiProblem(404, "Field not found")

    return handle
