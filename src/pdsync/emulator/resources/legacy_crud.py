"""Legacy v1 writes of the entities that moved to v2: ``POST /v1/{entity}``,
``PUT``/``DELETE /v1/{entity}/{id}`` and bulk ``DELETE /v1/{entity}?ids=1,2``.

Out of support, still called by published clients. A v1 body is translated to the v2
body it means (:mod:`.legacy_input`) and goes through the same checks and the same store
as a v2 write (:func:`.v2.create_record`, :func:`.v2.update_record`), so a v1 write shows
in v2 reads and back; the answer is rendered the v1 way.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    int_list_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.entities import V2_ENTITIES, EntitySpec
from pdsync.emulator.resources.legacy_input import v2_body
from pdsync.emulator.resources.v2 import create_record, update_record

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

# The legacy spec answers 201 for these creations, 200 for pipelines and stages.
CREATED_201 = frozenset({"deal", "person", "organization", "activity", "product"})
BULK_DELETE = ("deals", "persons", "organizations", "activities", "stages")
MAX_BULK = 100


def register(router: Router, store: Store) -> None:
    for spec in V2_ENTITIES:
        base = f"/api/v1/{spec.path}"
        router.add("POST", base, _create(store, spec))
        router.add("PUT", base + "/{id}", _update(store, spec))
        router.add("DELETE", base + "/{id}", _delete(store, spec))
        if spec.path in BULK_DELETE:
            router.add("DELETE", base, _bulk_delete(store, spec))


def live_record(store: Store, spec: EntitySpec, raw_id: Any) -> Record:
    """The record, unless it does not exist or is deleted (v1 hides deleted records)."""
    rec = store.get(spec.entity, raw_id)
    if rec is None or rec.get("is_deleted"):
        raise not_found(spec.label)
    return rec


def _render(store: Store, req: Request, spec: EntitySpec, rec: Record) -> Record:
    return V1Renderer(store, user_id(req)).render(spec.entity, rec)


def _split_status(spec: EntitySpec, data: Record) -> bool:
    """v1 deals take ``status: deleted`` (a delete by update); True when asked."""
    if spec.entity == "deal" and data.get("status") == "deleted":
        del data["status"]
        return True
    return False


def _create(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        data = v2_body(store, spec, body(req))
        deleted = _split_status(spec, data)
        created = create_record(store, spec, data, user_id(req))
        if deleted:
            created = store.delete(spec.entity, created["id"], user_id(req))
        status = 201 if spec.entity in CREATED_201 else 200
        return ok(_render(store, req, spec, created), status=status)

    return handle


def _update(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        current = live_record(store, spec, req.path_params["id"])
        data = v2_body(store, spec, body(req))
        deleted = _split_status(spec, data)
        updated = update_record(store, spec, current, data, user_id(req))
        if deleted:
            updated = store.delete(spec.entity, updated["id"], user_id(req))
        return ok(_render(store, req, spec, updated))

    return handle


def _delete(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        current = live_record(store, spec, req.path_params["id"])
        store.delete(spec.entity, current["id"], user_id(req))
        return ok({"id": current["id"]})

    return handle


def _bulk_delete(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        ids = int_list_arg(req, "ids", maximum=MAX_BULK)
        if not ids:
            raise ApiProblem(400, "Parameter 'ids' is required: a comma-separated list of ids")
        found = [live_record(store, spec, i) for i in sorted(ids)]  # all or nothing
        for rec in found:
            store.delete(spec.entity, rec["id"], user_id(req))
        return ok({"id": [rec["id"] for rec in found]})

    return handle
