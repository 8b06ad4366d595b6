"""v1 writes of ``{deal,person,organization,product}Fields``: add, update, delete, bulk delete.

They act on the one field store (``store.fields``) that the v2 field endpoints, the
records and the renderers read: a field added here is listed by v2 ``dealFields`` and
appears (empty) on every record; a deleted one disappears from both. v1 names the
field by its numeric ``id`` and takes ``name``; updating ``options`` replaces the whole
list (options sent with an ``id`` are kept or relabelled, new ones need only a
``label``, the ones left out are deleted), as the spec describes. The product field
operations answer as the spec declares them: 201 on add, 410 for deleting a missing one.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any

from pdsync.emulator.fields import CREATABLE_TYPES, FieldDef
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_fields import field_v1
from pdsync.emulator.resources.admin_common import required_ids, text_value
from pdsync.emulator.resources.common import ApiProblem, Record, body, ok, user_id
from pdsync.emulator.resources.fields_api import V2_PATHS, add_field

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    for path, entity in V2_PATHS.items():
        base = f"/api/v1/{path}"
        router.add("POST", base, _add(store, entity))
        router.add("DELETE", base, _bulk_delete(store, entity))
        router.add("PUT", base + "/{id}", _update(store, entity))
        router.add("DELETE", base + "/{id}", _delete(store, entity))


def _find(store: Store, entity: str, raw: str | int) -> FieldDef:
    for f in store.fields[entity]:
        if str(f.id) == str(raw) and not f.is_deleted:
            return f
    raise ApiProblem(404, "Field not found")


def _custom(store: Store, entity: str, raw: str | int, action: str) -> FieldDef:
    fdef = _find(store, entity, raw)
    if not fdef.is_custom:
        raise ApiProblem(400, f"System field '{fdef.key}' cannot be {action}")
    return fdef


def _options(raw: Any) -> list[Record] | None:
    """``options`` as a list of objects, or the JSON-encoded list form bodies carry."""
    if raw is None:
        return None
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiProblem(400, "The 'options' field must be a JSON array of objects") from None
    if not isinstance(raw, list) or not all(isinstance(o, dict) for o in raw):
        raise ApiProblem(
            400, 'The \'options\' field must be an array of objects, e.g. [{"label": "A"}]'
        )
    return raw


def _flag(data: Record, fdef: FieldDef) -> None:
    if "add_visible_flag" in data:
        flag = data["add_visible_flag"]
        if isinstance(flag, str) and flag.lower() in ("true", "false", "1", "0"):
            flag = flag.lower() in ("true", "1")
        if not isinstance(flag, bool):
            raise ApiProblem(400, "The 'add_visible_flag' field must be a boolean")
        fdef.extra["add_visible_flag"] = flag


def _add(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        name, ftype = data.get("name"), data.get("field_type")
        if not isinstance(name, str) or not name.strip():
            raise ApiProblem(400, "The 'name' field is required")
        if ftype not in CREATABLE_TYPES:
            raise ApiProblem(
                400, f"The 'field_type' field must be one of: {', '.join(CREATABLE_TYPES)}"
            )
        options = _options(data.get("options"))
        if ftype in ("enum", "set") and not options:
            raise ApiProblem(
                400, "Fields of type enum and set need at least one option in 'options'"
            )
        fdef = add_field(store, entity, name.strip(), ftype, options, user_id(req))
        _flag(data, fdef)
        return ok(field_v1(fdef)[0], status=201 if entity == "product" else 200)

    return handle


def _replace_options(store: Store, fdef: FieldDef, items: list[Record], now: float) -> None:
    """The spec's rule: every active option is sent; the ones with an id are kept."""
    assert fdef.options is not None
    by_id = {o["id"]: o for o in fdef.options}
    kept: list[Record] = []
    new_labels: list[str] = []
    for item in items:
        label = item.get("label")
        if not isinstance(label, str) or not label:
            raise ApiProblem(400, "Each option needs a non-empty 'label'")
        if "id" in item and item["id"] is not None:
            option = by_id.get(item["id"])
            if option is None:
                raise ApiProblem(400, f"Option {item['id']!r} does not exist on field {fdef.id}")
            if option["label"] != label:
                option.update(label=label, update_time=now)
            kept.append(option)
        else:
            new_labels.append(label)
    if not kept and not new_labels:
        raise ApiProblem(400, "Fields of type enum and set need at least one option")
    fdef.options[:] = kept + store.option_ids.make(new_labels, now)


def _update(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        with store.lock:
            fdef = _custom(store, entity, req.path_params["id"], "changed")
            name = text_value(data, "name", required=False)
            options = _options(data.get("options"))
            if options is not None and fdef.options is None:
                raise ApiProblem(400, "Only enum and set fields have options")
            now = store.now()
            if options is not None:
                _replace_options(store, fdef, options, now)
            if name is not None:
                fdef.name = name
            _flag(data, fdef)
            fdef.update_time = now
            fdef.user_id = user_id(req)
        return ok(field_v1(fdef)[0])

    return handle


def _delete(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        with store.lock:
            try:
                fdef = _custom(store, entity, req.path_params["id"], "deleted")
            except ApiProblem as problem:
                if problem.status == 404 and entity == "product":
                    raise ApiProblem(410, "The field is not found") from None
                raise
            fdef.is_deleted = True
            fdef.update_time = store.now()
        return ok({"id": fdef.id})

    return handle


def _bulk_delete(store: Store, entity: str) -> Any:
    """All or nothing: one unknown or system field id and no field is deleted."""

    def handle(req: Request) -> Response:
        ids = required_ids(req)
        with store.lock:
            found = []
            for fid in ids:
                try:
                    found.append(_custom(store, entity, fid, "deleted"))
                except ApiProblem as problem:
                    raise ApiProblem(
                        problem.status, f"{problem.message} (id {fid}); nothing was deleted"
                    ) from None
            now = store.now()
            for fdef in found:
                fdef.is_deleted, fdef.update_time = True, now
        return ok({"id": ids})

    return handle
