"""Legacy v1 lists and gets of the entities that moved to v2 (out of support, still widely
called), and ``/v1/recents`` with its real limits."""

from __future__ import annotations

from collections.abc import Iterator
from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.oauth import api_domain
from pdsync.emulator.query import ListSpec
from pdsync.emulator.render_v1 import V1Renderer, flatten_refs
from pdsync.emulator.resources.common import (
    ApiProblem,
    count_records,
    int_arg,
    limit_arg,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.files_api import render_file
from pdsync.emulator.resources.v1_crm import offset_page, offset_scan
from pdsync.emulator.resources.v1_sort import legacy_sort
from pdsync.emulator.timefmt import parse_time, v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]

LEGACY = {"deals": "deal", "persons": "person", "organizations": "organization",
          "activities": "activity", "products": "product", "pipelines": "pipeline",
          "stages": "stage"}  # fmt: skip
V1_DEAL_STATUSES = ("open", "won", "lost", "deleted", "all_not_deleted")
# The spec documents ``sort`` on deals, persons and organizations; old clients send it to
# activities and products too. Pipelines and stages have no order to choose.
SORTABLE = ("deal", "person", "organization", "activity", "product")
RECENTS_WINDOW = 30 * 86400.0  # recents only reach back about a month
# The 12 ``items`` of /v1/recents (the spec's enum) and the entity each one reads.
RECENT_ITEMS = {"activity": "activity", "activityType": "activity_type", "deal": "deal",
                "file": "file", "filter": "filter", "note": "note", "person": "person",
                "organization": "organization", "pipeline": "pipeline", "product": "product",
                "stage": "stage", "user": "user"}  # fmt: skip
# Rows keep nested objects only where the spec's RecentsData says so (organizations'
# owner); files and filters have none to flatten.
_KEEP_NESTED = frozenset({"organization", "file", "filter"})


def register(router: Router, store: Store) -> None:
    for path, entity in LEGACY.items():
        router.add("GET", f"/api/v1/{path}", _list(store, entity))
        router.add("GET", f"/api/v1/{path}/{{id}}", _get(store, entity))
    router.add("GET", "/api/v1/recents", _recents(store))


def _list(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        ls = ListSpec(sort_by="id")
        if entity == "deal":
            status = req.arg("status") or "all_not_deleted"
            if status not in V1_DEAL_STATUSES:
                raise ApiProblem(
                    400, f"Parameter 'status' must be one of: {', '.join(V1_DEAL_STATUSES)}"
                )
            ls.equals["is_deleted"] = frozenset({status == "deleted"})
            ls.equals["is_archived"] = frozenset({False})
            if status in ("open", "won", "lost"):
                ls.equals["status"] = frozenset({status})
        else:
            ls.equals["is_deleted"] = frozenset({False})
        owner = int_arg(req, "user_id", minimum=1)
        if owner is not None and entity not in ("pipeline", "stage"):
            ls.equals["owner_id"] = frozenset({owner})
        if entity == "stage":
            pipeline = int_arg(req, "pipeline_id", minimum=1)
            if pipeline is not None:
                ls.equals["pipeline_id"] = frozenset({pipeline})
        if entity in SORTABLE:
            legacy_sort(store, req, ls, entity)
        return offset_scan(store, entity, req, ls)

    return handle


def _get(store: Store, entity: str) -> Any:
    def handle(req: Request) -> Response:
        rec = store.get(entity, req.path_params["id"])
        if rec is None:
            raise not_found(entity.capitalize())
        return ok(V1Renderer(store, user_id(req)).render(entity, rec))

    return handle


def _recents(store: Store) -> Any:
    def handle(req: Request) -> Response:
        raw = req.arg("since_timestamp")
        if not raw:
            raise ApiProblem(400, "Parameter 'since_timestamp' is required")
        try:
            since = parse_time(raw)
        except ValueError:
            raise ApiProblem(
                400, "Parameter 'since_timestamp' must be YYYY-MM-DD HH:MM:SS"
            ) from None
        # About a month back from the account's present: its latest change (the end of
        # the generated history, or the last write), so a generated account has recents.
        since = max(since, store.latest_change() - RECENTS_WINDOW)
        items = (req.arg("items") or ",".join(RECENT_ITEMS)).split(",")
        unknown = [i for i in items if i not in RECENT_ITEMS]
        if unknown:
            raise ApiProblem(400, f"Unknown item types: {', '.join(unknown)}")
        start = int_arg(req, "start", 0) or 0
        limit = limit_arg(req)
        rows = _recent_rows(store, req, items, since)
        page = rows[start : start + limit]
        count_records(req, len(page))
        response = offset_page(req, page, start, limit, start + limit < len(rows))
        return _with_timestamps(response, raw, page)

    return handle


def _recent_rows(
    store: Store, req: Request, items: list[str], since: float
) -> list[dict[str, Any]]:
    renderer = V1Renderer(store, user_id(req))
    found = []
    for item in items:
        entity = RECENT_ITEMS[item]
        for changed, rec in _changed_since(store, entity, since):
            deleted = store.is_deleted(entity, rec)
            data = None if deleted else _recent_data(store, req, renderer, entity, rec)
            found.append((changed, {"item": item, "id": rec["id"], "data": data}))
    found.sort(key=lambda pair: pair[0])
    return [dict(row, _time=t) for t, row in found]


def _changed_since(store: Store, entity: str, since: float) -> Iterator[tuple[float, Record]]:
    """``(change time, record)`` of the records of ``entity`` changed since ``since``."""
    table = store.table(entity)
    if table.base_count == 0:  # small tables kept whole (users, pipelines, filters, …)
        for rec in list(table.overlay.values()):
            # Generated users say "modified"; a write stamps update_time.
            changed = rec.get("update_time", rec.get("modified"))
            if isinstance(changed, (int, float)) and changed >= since:
                yield changed, rec
        return
    ls = ListSpec(sort_by="update_time", updated_since=since)
    for rec in islice(store.scan(entity, ls), 100_000):
        yield rec["update_time"], rec


def _recent_data(
    store: Store, req: Request, renderer: V1Renderer, entity: str, rec: Record
) -> Record:
    """The v1 object of a recents row: plain ids, except where the spec keeps objects."""
    if entity == "file":
        return render_file(store, rec, api_domain(req))
    if entity == "filter":
        return {**rec, "add_time": v1_time(rec["add_time"]), "update_time": v1_time(rec["update_time"])}  # fmt: skip
    data = renderer.render(entity, rec)
    if entity == "product" and isinstance(rec.get("visible_to"), int):
        # RecentsData types a product's visible_to as an integer (the product list: a string).
        data["visible_to"] = rec["visible_to"]
    return data if entity in _KEEP_NESTED else flatten_refs(data)


def _with_timestamps(response: Response, since_raw: str, page: list[dict[str, Any]]) -> Response:
    import json

    payload = json.loads(response.body)
    last = page[-1]["_time"] if page else None
    for row in payload["data"]:
        row.pop("_time", None)
    payload["additional_data"].update(
        since_timestamp=since_raw, last_timestamp_on_page=v1_time(last)
    )
    return Response.json(payload, response.status)
