"""v1 filters: list, get (with conditions), add, update, delete, bulk delete, helpers.

Conditions are checked as Pipedrive documents them: one ``and`` group at the top
holding at most two groups (``and``/``or``), at most 16 conditions, each naming an
object, one of that object's fields (by id or key) and a known operator. Deleted
filters are marked inactive and leave the lists.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import REFERENCE_TIME
from pdsync.emulator.fields import FieldDef
from pdsync.emulator.http import Request, Response, Router
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
    bool_arg,
    count_records,
    ok,
    user_id,
)
from pdsync.emulator.resources.filter_helpers import helpers, known_operators
from pdsync.emulator.static import FILTER_OBJECTS
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

MAX_CONDITIONS = 16
# The field store behind each condition object (leads reuse the deal fields).
OBJECT_FIELDS = {"deal": "deal", "lead": "deal", "person": "person", "organization": "organization",
                 "product": "product", "activity": "activity"}  # fmt: skip
OPERATORS = known_operators()


def register(router: Router, store: Store) -> None:
    _seed_conditions(store)
    router.add("GET", "/api/v1/filters", _list(store))
    router.add("POST", "/api/v1/filters", _add(store))
    router.add("DELETE", "/api/v1/filters", _bulk_delete(store))
    router.add("GET", "/api/v1/filters/helpers", lambda req: ok(helpers()))
    router.add("GET", "/api/v1/filters/{id}", _get(store))
    router.add("PUT", "/api/v1/filters/{id}", _update(store))
    router.add("DELETE", "/api/v1/filters/{id}", _delete(store))


def _field(store: Store, entity: str, key: str) -> FieldDef:
    return next(f for f in store.fields[entity] if f.key == key)


def _seed_conditions(store: Store) -> None:
    """The generated "My … this year" filters: owner is user 1, created since 1 January."""
    year = datetime.fromtimestamp(REFERENCE_TIME, tz=timezone.utc).year
    for rec in store.tables["filter"].overlay.values():
        entity = OBJECT_FIELDS.get(FILTER_OBJECTS[rec["type"]])
        if "conditions" in rec or entity is None:
            continue
        obj = FILTER_OBJECTS[rec["type"]]
        owner, added = _field(store, entity, "owner_id"), _field(store, entity, "add_time")
        rec["conditions"] = {"glue": "and", "conditions": [
            {"glue": "and", "conditions": [
                _condition(obj, owner.id, "=", str(rec["user_id"])),
                _condition(obj, added.id, ">=", f"{year}-01-01"),
            ]},
            {"glue": "or", "conditions": []},
        ]}  # fmt: skip


def _condition(obj: str, field_id: int | str, operator: str, value: str | None) -> Record:
    return {"object": obj, "field_id": str(field_id), "operator": operator, "value": value,
            "extra_value": None, "json_value_flag": False}  # fmt: skip


def _render(store: Store, rec: Record, conditions: bool, field_codes: bool = False) -> Record:
    out = {k: v for k, v in rec.items() if k != "conditions"}
    out["add_time"], out["update_time"] = v1_time(rec["add_time"]), v1_time(rec["update_time"])
    if conditions and "conditions" in rec:
        tree = json.loads(json.dumps(rec["conditions"]))
        if field_codes:
            for group in tree["conditions"]:
                for cond in group["conditions"]:
                    cond["field_code"] = _field_code(store, cond)
        out["conditions"] = tree
    return out


def _field_code(store: Store, cond: Record) -> str | None:
    entity = OBJECT_FIELDS.get(cond["object"])
    for f in store.fields.get(entity or "", []):
        if str(f.id) == cond["field_id"] or f.key == cond["field_id"]:
            return f.key
    return None


def _value(raw: Any) -> tuple[str | None, bool]:
    """A condition value as the API keeps it: a string, JSON-encoded when structured."""
    if raw is None or isinstance(raw, str):
        return raw, False
    if isinstance(raw, (list, dict)):
        return json.dumps(raw), True
    return str(raw).lower() if isinstance(raw, bool) else str(raw), False


def _check_condition(store: Store, raw: Any) -> Record:
    if not isinstance(raw, dict):
        raise ApiProblem(
            400, "Each condition must be an object {object, field_id, operator, value}"
        )
    obj = raw.get("object")
    entity = OBJECT_FIELDS.get(obj) if isinstance(obj, str) else None
    if entity is None:
        raise ApiProblem(400, f"Condition 'object' must be one of: {', '.join(OBJECT_FIELDS)}")
    field_id = str(raw.get("field_id", ""))
    known = [f for f in store.fields[entity] if not f.is_deleted]
    if not any(str(f.id) == field_id or f.key == field_id for f in known):
        raise ApiProblem(400, f"Condition field_id '{field_id}' is not a field of {obj}")
    operator = raw.get("operator")
    if operator not in OPERATORS:
        raise ApiProblem(
            400, f"Condition operator {operator!r} is not supported (see /v1/filters/helpers)"
        )
    value, encoded = _value(raw.get("value"))
    extra, _ = _value(raw.get("extra_value"))
    cond = _condition(str(obj), field_id, operator, value)
    cond.update(extra_value=extra, json_value_flag=encoded)
    return cond


def _check_conditions(store: Store, raw: Any) -> Record:
    if isinstance(raw, str):
        try:
            raw = json.loads(raw)
        except ValueError:
            raise ApiProblem(400, "The 'conditions' field must be a JSON object") from None
    if not isinstance(raw, dict):
        raise ApiProblem(400, "The 'conditions' field is required and must be an object")
    groups = raw.get("conditions")
    if raw.get("glue") != "and" or not isinstance(groups, list) or not 1 <= len(groups) <= 2:
        raise ApiProblem(
            400, '\'conditions\' must be {"glue": "and", "conditions": [one or two groups]}'
        )
    checked, total = [], 0
    for group in groups:
        if not isinstance(group, dict) or group.get("glue") not in ("and", "or"):
            raise ApiProblem(400, "Each condition group needs 'glue' ('and' or 'or')")
        items = group.get("conditions") or []
        if not isinstance(items, list):
            raise ApiProblem(400, "The 'conditions' of a group must be an array")
        total += len(items)
        checked.append({"glue": group["glue"],
                        "conditions": [_check_condition(store, c) for c in items]})  # fmt: skip
    if total > MAX_CONDITIONS:
        raise ApiProblem(400, f"A filter has at most {MAX_CONDITIONS} conditions ({total} given)")
    if [g["glue"] for g in checked] not in (["and"], ["or"], ["and", "or"], ["or", "and"]):
        raise ApiProblem(400, "The two condition groups must be one 'and' and one 'or'")
    return {"glue": "and", "conditions": checked}


def _live(store: Store, filter_id: int) -> Record:
    return live_v1(store, "filter", filter_id, "Filter")


def _list(store: Store) -> Any:
    def handle(req: Request) -> Response:
        kind = req.arg("type")
        if kind is not None and kind not in FILTER_OBJECTS:
            raise ApiProblem(400, f"Parameter 'type' must be one of: {', '.join(FILTER_OBJECTS)}")
        rows = [_render(store, r, conditions=False)
                for r in store.tables["filter"].overlay.values()
                if r["active_flag"] and (kind is None or r["type"] == kind)]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _get(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(_render(store, _live(store, path_int(req, "Filter")), conditions=True))

    return handle


def _add(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = body(req)
        name = text_value(data, "name")
        kind = choice(data, "type", tuple(FILTER_OBJECTS))
        conditions = _check_conditions(store, data.get("conditions"))
        record = {"name": name, "type": kind, "active_flag": True, "user_id": user_id(req),
                  "visible_to": "1", "temporary_flag": None, "custom_view_id": None,
                  "filter_code": None, "is_editable": True, "last_used_time": None,
                  "conditions": conditions}  # fmt: skip
        created = store.create("filter", record, user_id(req))
        return ok(_render(store, created, True, bool_arg(req, "include_field_code")))

    return handle


def _update(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(store, path_int(req, "Filter"))
        data = body(req)
        changes: Record = {"conditions": _check_conditions(store, data.get("conditions"))}
        if "name" in data:
            changes["name"] = text_value(data, "name")
        updated = store.update("filter", rec["id"], changes, user_id(req))
        return ok(_render(store, updated, True, bool_arg(req, "include_field_code")))

    return handle


def _delete(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(store, path_int(req, "Filter"))
        store.delete("filter", rec["id"], user_id(req))
        return ok({"id": rec["id"]})

    return handle


def _bulk_delete(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return bulk_delete_v1(store, req, "filter", "Filters")

    return handle
