"""v1-only CRM resources: leads (UUID ids, archived), lead labels and sources, notes."""

from __future__ import annotations

import uuid
from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.query import ListSpec
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    count_records,
    int_arg,
    limit_arg,
    not_found,
    ok,
    time_arg,
    user_id,
)
from pdsync.emulator.resources.custom import flat_v1_custom_fields
from pdsync.emulator.resources.input_types import FieldKinds, one_of
from pdsync.emulator.resources.v1_sort import LEAD_SORTS, NOTE_SORTS, apply_sort
from pdsync.emulator.timefmt import iso_ms

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

LEAD_TYPES: FieldKinds = {"title": "str", "owner_id": "int", "label_ids": "list", "person_id": "int",
              "organization_id": "int", "value": "obj", "expected_close_date": "date",
              "visible_to": one_of("1", "3", "5", "7"), "was_seen": "bool",
              "is_archived": "bool", "channel": "int",
              "channel_id": "str", "origin_id": "str"}  # fmt: skip
NOTE_TYPES: FieldKinds = {"content": "str", "lead_id": "str", "deal_id": "int", "person_id": "int",
              "org_id": "int", "project_id": "int", "user_id": "int", "add_time": "time",
              "pinned_to_lead_flag": "flag", "pinned_to_deal_flag": "flag",
              "pinned_to_organization_flag": "flag", "pinned_to_person_flag": "flag"}  # fmt: skip


def offset_page(req: Request, rows: list[Any], start: int, limit: int, more: bool) -> Response:
    count_records(req, len(rows))
    pagination: Record = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return ok(rows, {"pagination": pagination})


def offset_scan(store: Store, entity: str, req: Request, ls: ListSpec) -> Response:
    start = int_arg(req, "start", 0) or 0
    limit = limit_arg(req)
    rows = list(islice(store.scan(entity, ls, skip=start), limit + 1))
    renderer = V1Renderer(store, user_id(req))
    data = [renderer.render(entity, r) for r in rows[:limit]]
    return offset_page(req, data, start, limit, len(rows) > limit)


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/leads", _list_leads(store, archived=False))
    router.add("GET", "/api/v1/leads/archived", _list_leads(store, archived=True))
    router.add("POST", "/api/v1/leads", _create_lead(store))
    router.add("GET", "/api/v1/leads/{id}", _get(store, "lead", "Lead"))
    router.add("PATCH", "/api/v1/leads/{id}", _update_lead(store))
    router.add("DELETE", "/api/v1/leads/{id}", _delete(store, "lead", "Lead"))
    router.add("GET", "/api/v1/leadLabels", _lead_labels(store))
    router.add(
        "GET", "/api/v1/leadSources", lambda req: ok(list(store.static["lead_source"].values()))
    )
    router.add("GET", "/api/v1/notes", _list_notes(store))
    router.add("POST", "/api/v1/notes", _create_note(store))
    router.add("GET", "/api/v1/notes/{id}", _get(store, "note", "Note"))
    router.add("PUT", "/api/v1/notes/{id}", _update_note(store))
    router.add("DELETE", "/api/v1/notes/{id}", _delete(store, "note", "Note"))


def _live(store: Store, entity: str, record_id: str, label: str) -> Record:
    rec = store.get(entity, record_id)
    if rec is None or store.is_deleted(entity, rec) or rec.get("is_deleted"):
        raise not_found(label)
    return rec


def _get(store: Store, entity: str, label: str) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(store, entity, req.path_params["id"], label)
        return ok(V1Renderer(store, user_id(req)).render(entity, rec))

    return handle


def _delete(store: Store, entity: str, label: str) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(store, entity, req.path_params["id"], label)
        # Leads leave the API at once (their shape has no deleted flag); notes go inactive.
        store.delete(entity, rec["id"], user_id(req))
        return ok({"id": rec["id"]}) if entity != "note" else ok(True)

    return handle


def _list_leads(store: Store, archived: bool) -> Any:
    def handle(req: Request) -> Response:
        # Leads come by creation unless ``sort`` says otherwise.
        ls = ListSpec(sort_by="add_time", equals={"is_archived": frozenset({archived})})
        apply_sort(store, req, ls, LEAD_SORTS, "leads", columns=("add_time", "update_time"))
        ls.predicate = lambda r: not r.get("is_deleted")
        ls.updated_since = time_arg(req, "updated_since")
        for name in ("owner_id", "person_id", "organization_id"):
            value = int_arg(req, name, minimum=1)
            if value is not None:
                ls.predicate = _and(ls.predicate, name, value)
        return offset_scan(store, "lead", req, ls)

    return handle


def _and(pred: Any, name: str, value: Any) -> Any:
    return lambda r: pred(r) and r.get(name) == value


def _check_lead(store: Store, data: Record) -> Record:
    value = data.get("value")
    if value is not None:
        amount, currency = value.get("amount"), value.get("currency")
        if not _number(amount) or not isinstance(currency, str):
            raise ApiProblem(
                400, "The 'value' field must be an object with 'amount' (number) and 'currency'"
            )
        data["value"] = {"amount": amount, "currency": currency}
    labels = set(store.static["lead_label"])
    if "label_ids" in data:
        data["label_ids"] = data["label_ids"] or []
        if not all(isinstance(label, str) and label in labels for label in data["label_ids"]):
            raise ApiProblem(400, "Unknown lead label id in 'label_ids'")
    return data


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _create_lead(store: Store) -> Any:
    def handle(req: Request) -> Response:
        raw = body(req)
        data = _check_lead(store, check_body(raw, LEAD_TYPES, ("title",)))
        custom = flat_v1_custom_fields(store, "deal", raw)
        if not data.get("person_id") and not data.get("organization_id"):
            raise ApiProblem(400, "A lead must be linked to a person or an organization")
        uid = user_id(req)
        record = {
            "id": str(uuid.uuid4()), "title": data["title"], "owner_id": uid, "creator_id": uid,
            "label_ids": [], "person_id": None, "organization_id": None, "source_name": "API",
            "origin": "API", "origin_id": None, "channel": None, "channel_id": None,
            "is_archived": False, "was_seen": False, "value": None, "expected_close_date": None,
            "next_activity_id": None, "visible_to": "3", "cc_email": None, "source_deal_id": None, "custom_fields": {},
        }  # fmt: skip
        record.update(data)
        record["custom_fields"] = {k: v for k, v in custom.items() if v is not None}
        created = store.create("lead", record, uid)
        return ok(V1Renderer(store, uid).render("lead", created), status=201)

    return handle


def _update_lead(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(store, "lead", req.path_params["id"], "Lead")
        raw = body(req)
        changes = _check_lead(store, check_body(raw, LEAD_TYPES, not_null=("title",)))
        custom = flat_v1_custom_fields(store, "deal", raw)
        if custom:
            merged = {**(rec.get("custom_fields") or {}), **custom}
            changes["custom_fields"] = {k: v for k, v in merged.items() if v is not None}
        updated = store.update("lead", rec["id"], changes, user_id(req))
        return ok(V1Renderer(store, user_id(req)).render("lead", updated))

    return handle


def _lead_labels(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rows = [{**r, "add_time": iso_ms(r["add_time"]), "update_time": iso_ms(r["update_time"])}
                for r in store.static["lead_label"].values()]  # fmt: skip
        count_records(req, len(rows))
        return ok(rows)

    return handle


def _list_notes(store: Store) -> Any:
    def handle(req: Request) -> Response:
        ls = ListSpec(sort_by="id", equals={"active_flag": frozenset({True})})
        apply_sort(store, req, ls, NOTE_SORTS, "notes")
        ls.updated_since = time_arg(req, "updated_since")
        for name in ("user_id", "deal_id", "person_id", "org_id"):
            value = int_arg(req, name, minimum=1)
            if value is not None:
                ls.equals[name] = frozenset({value})
        lead = req.arg("lead_id")
        if lead:
            ls.equals["lead_id"] = frozenset({lead})
        return offset_scan(store, "note", req, ls)

    return handle


def _check_note_links(store: Store, data: Record) -> None:
    links = {"deal_id": "deal", "person_id": "person", "org_id": "organization", "lead_id": "lead"}
    if not any(data.get(k) for k in (*links, "project_id")):
        raise ApiProblem(
            400, "A note must be linked to a deal, person, organization, lead or project"
        )
    for key, entity in links.items():
        if data.get(key) and store.get(entity, data[key]) is None:
            raise ApiProblem(400, f"The {key.removesuffix('_id')} given in '{key}' does not exist")


def _create_note(store: Store) -> Any:
    def handle(req: Request) -> Response:
        data = check_body(body(req), NOTE_TYPES, ("content",))
        _check_note_links(store, data)
        uid = user_id(req)
        record = {
            "user_id": uid, "content": data["content"], "deal_id": None, "person_id": None,
            "org_id": None, "lead_id": None, "project_id": None, "active_flag": True,
            "pinned_to_deal_flag": False, "pinned_to_person_flag": False,
            "pinned_to_organization_flag": False, "pinned_to_lead_flag": False,
            "last_update_user_id": uid,
        }  # fmt: skip
        record.update({k: v for k, v in data.items() if k != "add_time"})
        created = store.create("note", record, uid)
        return ok(V1Renderer(store, uid).render("note", created))

    return handle


def _update_note(store: Store) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(store, "note", req.path_params["id"], "Note")
        changes = check_body(body(req), NOTE_TYPES, not_null=("content",))
        changes["last_update_user_id"] = user_id(req)
        updated = store.update("note", rec["id"], changes, user_id(req))
        return ok(V1Renderer(store, user_id(req)).render("note", updated))

    return handle
