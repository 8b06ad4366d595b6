"""v1 organization relationships (``/organizationRelationships``).

Generated relationships follow arithmetic so that an organization's are found without
a scan: relationship ``k`` makes organization ``k`` the parent of organization ``10·k``
(for ``10·k`` within the account). Writes live in an overlay keyed by id. Rendered as the
v1 spec: nested org objects, ``active_flag`` as the string ``"true"`` (as the spec and
its example say), and, seen from ``org_id``, ``calculated_type`` (parent / daughter /
related) and ``calculated_related_org_id``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    check_body,
    count_records,
    int_arg,
    not_found,
    ok,
)
from pdsync.emulator.timefmt import v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

TYPES = ("parent", "related")
BODY_TYPES = {"org_id": "int", "type": "str", "rel_owner_org_id": "int", "rel_linked_org_id": "int"}
CHILDREN_PER_PARENT = 10


class OrgRelationships:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.overlay: dict[int, Record] = {}
        self.base_count = store.counts.organization // CHILDREN_PER_PARENT
        self.next_id = self.base_count + 1

    def get(self, rel_id: int) -> Record | None:
        if rel_id in self.overlay:
            return self.overlay[rel_id]
        if 1 <= rel_id <= self.base_count:
            return self._generated(rel_id)
        return None

    def of_org(self, org_id: int) -> list[Record]:
        ids = set()
        if org_id <= self.base_count:
            ids.add(org_id)  # as parent
        if org_id % CHILDREN_PER_PARENT == 0 and org_id // CHILDREN_PER_PARENT <= self.base_count:
            ids.add(org_id // CHILDREN_PER_PARENT)  # as daughter
        ids |= {i for i, r in self.overlay.items() if org_id in _orgs(r)}
        found = (self.get(i) for i in sorted(ids))
        return [r for r in found if r is not None and r["active"] and org_id in _orgs(r)]

    def save(self, record: Record) -> Record:
        with self.store.lock:
            if "id" not in record:
                record["id"] = self.next_id
                self.next_id += 1
                record["add_time"] = self.store.now()
            record["update_time"] = self.store.now()
            self.overlay[record["id"]] = record
            return record

    def _generated(self, rel_id: int) -> Record:
        parent = self.store.get("organization", rel_id) or {}
        when = parent.get("add_time") or 0.0
        return {"id": rel_id, "type": "parent", "rel_owner_org_id": rel_id,
                "rel_linked_org_id": rel_id * CHILDREN_PER_PARENT, "active": True,
                "add_time": when, "update_time": when}  # fmt: skip


def _orgs(record: Record) -> tuple[int, int]:
    return record["rel_owner_org_id"], record["rel_linked_org_id"]


def register(router: Router, store: Store) -> None:
    rels = OrgRelationships(store)
    base = "/api/v1/organizationRelationships"
    router.add("GET", base, _list(rels))
    router.add("POST", base, _create(rels))
    router.add("GET", base + "/{id}", _get(rels))
    router.add("PUT", base + "/{id}", _update(rels))
    router.add("DELETE", base + "/{id}", _delete(rels))


def _org_ref(store: Store, org_id: int) -> Record | None:
    org = store.get("organization", org_id)
    if org is None:
        return None
    return {"name": org["name"], "people_count": 0, "owner_id": org["owner_id"],
            "address": (org.get("address") or {}).get("value"), "active_flag": not org["is_deleted"],
            "cc_email": None, "value": org["id"]}  # fmt: skip


def render(store: Store, rec: Record, seen_from: int | None) -> Record:
    owner, linked = _orgs(rec)
    related = linked if seen_from == owner else owner
    if rec["type"] == "related":
        calculated = "related"
    else:
        calculated = "daughter" if seen_from == owner else "parent"
    out: Record = {
        "id": rec["id"], "type": rec["type"],
        "rel_owner_org_id": _org_ref(store, owner), "rel_linked_org_id": _org_ref(store, linked),
        "add_time": v1_time(rec["add_time"]), "update_time": v1_time(rec["update_time"]),
        "active_flag": "true" if rec["active"] else "false",
        "calculated_type": calculated, "calculated_related_org_id": related,
    }  # fmt: skip
    linked_org = store.get("organization", related)
    out["related_organization_name"] = linked_org["name"] if linked_org else None
    return out


def _related_objects(store: Store, records: list[Record]) -> Record:
    orgs: Record = {}
    for rec in records:
        for org_id in _orgs(rec):
            ref = _org_ref(store, org_id)
            if ref is not None:
                orgs[str(org_id)] = {"id": org_id, **{k: v for k, v in ref.items() if k != "value"}}
    return {"organization": orgs}


def _with_related(store: Store, data: Any, records: list[Record]) -> Response:
    payload = {"success": True, "data": data, "related_objects": _related_objects(store, records)}
    return Response.json(payload)


def _existing_org(store: Store, org_id: int | None, name: str) -> int:
    if org_id is None:
        raise ApiProblem(400, f"The '{name}' field is required")
    org = store.get("organization", org_id)
    if org is None or org.get("is_deleted"):
        raise ApiProblem(400, f"The organization given in '{name}' does not exist")
    return org_id


def _list(rels: OrgRelationships) -> Any:
    def handle(req: Request) -> Response:
        org_id = int_arg(req, "org_id", minimum=1)
        if org_id is None:
            raise ApiProblem(400, "The 'org_id' parameter is required")
        records = rels.of_org(org_id)
        count_records(req, len(records))
        data = [render(rels.store, r, org_id) for r in records]
        payload = {"success": True, "data": data,
                   "additional_data": {"pagination": {"start": 0, "limit": 100,
                                                      "more_items_in_collection": False}},
                   "related_objects": _related_objects(rels.store, records)}  # fmt: skip
        return Response.json(payload)

    return handle


def _live(rels: OrgRelationships, req: Request) -> Record:
    try:
        rec = rels.get(int(req.path_params["id"]))
    except ValueError:
        rec = None
    if rec is None or not rec["active"]:
        raise not_found("Organization relationship")
    return rec


def _get(rels: OrgRelationships) -> Any:
    def handle(req: Request) -> Response:
        rec = _live(rels, req)
        seen_from = int_arg(req, "org_id", minimum=1) or rec["rel_owner_org_id"]
        return _with_related(rels.store, render(rels.store, rec, seen_from), [rec])

    return handle


def _checked(rels: OrgRelationships, data: Record, current: Record | None) -> Record:
    merged = {**(current or {}), **{k: v for k, v in data.items() if k != "org_id"}}
    if merged.get("type") not in TYPES:
        raise ApiProblem(400, "The 'type' field must be one of: parent, related")
    owner = _existing_org(rels.store, merged.get("rel_owner_org_id"), "rel_owner_org_id")
    linked = _existing_org(rels.store, merged.get("rel_linked_org_id"), "rel_linked_org_id")
    if owner == linked:
        raise ApiProblem(400, "An organization cannot be related to itself")
    return merged


def _create(rels: OrgRelationships) -> Any:
    def handle(req: Request) -> Response:
        data = check_body(body(req), BODY_TYPES, ("type", "rel_owner_org_id", "rel_linked_org_id"))
        record = rels.save({**_checked(rels, data, None), "active": True})
        seen_from = data.get("org_id") or record["rel_owner_org_id"]
        return _with_related(rels.store, render(rels.store, record, seen_from), [record])

    return handle


def _update(rels: OrgRelationships) -> Any:
    def handle(req: Request) -> Response:
        current = _live(rels, req)
        data = check_body(body(req), BODY_TYPES)
        record = rels.save(_checked(rels, data, dict(current)))
        seen_from = data.get("org_id") or record["rel_owner_org_id"]
        return _with_related(rels.store, render(rels.store, record, seen_from), [record])

    return handle


def _delete(rels: OrgRelationships) -> Any:
    def handle(req: Request) -> Response:
        current = _live(rels, req)
        rels.save({**current, "active": False})
        return ok({"id": current["id"]})

    return handle
