"""v2 core entities: list/get/create/update/delete for deals, persons, organizations,
activities, products, pipelines and stages, plus ``/deals/archived``."""

from __future__ import annotations

from collections.abc import Callable
from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator import render_v2
from pdsync.emulator.counters import INCLUDE_FIELDS, Counters, supported
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.include_values import OPT_IN_STORED, include_value
from pdsync.emulator.query import ListSpec, sort_key
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    bool_arg,
    check_body,
    count_records,
    decode_cursor,
    encode_cursor,
    int_arg,
    int_list_arg,
    limit_arg,
    not_found,
    ok,
    time_arg,
    user_id,
)
from pdsync.emulator.resources.custom import check_custom_fields
from pdsync.emulator.resources.entities import V2_ENTITIES, EntitySpec

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

DEAL_STATUSES = ("open", "won", "lost", "deleted")
ACTIVITY_LINKS = frozenset({"next_activity_id", "last_activity_id"})


def register(router: Router, store: Store) -> None:
    counters = Counters(store)
    for spec in V2_ENTITIES:
        base = f"/api/v2/{spec.path}"
        router.add("GET", base, _list(store, spec, archived=False, counters=counters))
        router.add("POST", base, _create(store, spec))
        router.add("GET", base + "/{id}", _get(store, spec, counters))
        router.add("PATCH", base + "/{id}", _update(store, spec))
        router.add("DELETE", base + "/{id}", _delete(store, spec))
    deal = V2_ENTITIES[0]
    router.add("GET", "/api/v2/deals/archived", _list(store, deal, True, counters))


def render(store: Store, spec_entity: str, rec: Record, req: Request | None = None) -> Record:
    only = None
    labels = False
    if req is not None:
        raw = req.arg("custom_fields")
        only = set(raw.split(",")) if raw else None
        labels = bool_arg(req, "include_option_labels")
    fields = store.fields.get(spec_entity)
    out = render_v2.render(spec_entity, rec, fields, only, labels)
    # Written opt-in fields (attendees) show only when include_fields names them.
    hidden = OPT_IN_STORED.get(spec_entity, frozenset()) - _asked(req)
    for name in hidden.intersection(out):
        del out[name]
    return out


def _asked(req: Request | None) -> frozenset[str]:
    raw = req.arg("include_fields") if req is not None else None
    return frozenset(n.strip() for n in (raw or "").split(",") if n.strip())


def page(store: Store, entity: str, ls: ListSpec, limit: int) -> tuple[list[Record], str | None]:
    rows = list(islice(store.scan(entity, ls), limit + 1))
    next_cursor = None
    if len(rows) > limit:
        rows = rows[:limit]
        last = rows[-1]
        next_cursor = encode_cursor(sort_key(ls, last, store.index_of(entity, last["id"]) or 0))
    return rows, next_cursor


def list_spec(req: Request, spec: EntitySpec) -> ListSpec:
    sort_by = req.arg("sort_by") or "id"
    if sort_by not in spec.sorts:
        raise ApiProblem(400, f"Parameter 'sort_by' must be one of: {', '.join(spec.sorts)}")
    direction = (req.arg("sort_direction") or "asc").lower()
    if direction not in ("asc", "desc"):
        raise ApiProblem(400, "Parameter 'sort_direction' must be asc or desc")
    ls = ListSpec(sort_by=sort_by, descending=direction == "desc", after=decode_cursor(req))
    if spec.time_filters:
        ls.updated_since = time_arg(req, "updated_since")
        if spec.updated_until:
            ls.updated_until = time_arg(req, "updated_until")
    for name in spec.filters:
        value = int_arg(req, name, minimum=1)
        if value is not None:
            ls.equals[name] = frozenset({value})
    ids = int_list_arg(req, "ids", maximum=100)
    if ids is not None:
        ls.equals["id"] = ids
    if spec.entity == "activity" and req.arg("done") is not None:
        ls.equals["done"] = frozenset({bool_arg(req, "done")})
    return ls


def _apply_filter_id(store: Store, req: Request, ls: ListSpec) -> ListSpec:
    filter_id = int_arg(req, "filter_id", minimum=1)
    if filter_id is None:
        return ls
    if store.get("filter", filter_id) is None:
        raise ApiProblem(404, "Filter not found")
    # A saved filter overrides every other filter; ours select the whole (non-deleted) list.
    return ListSpec(sort_by=ls.sort_by, descending=ls.descending, after=ls.after)


def _status_filter(req: Request, ls: ListSpec, archived: bool) -> None:
    raw = req.arg("status")
    statuses = {s.strip() for s in raw.split(",")} if raw else set()
    if statuses - set(DEAL_STATUSES):
        raise ApiProblem(400, f"Parameter 'status' must be one of: {', '.join(DEAL_STATUSES)}")
    ls.equals["is_archived"] = frozenset({archived})
    live = statuses - {"deleted"}
    if "deleted" in statuses and live:
        ls.predicate = lambda r: bool(r["is_deleted"]) or r["status"] in live
        return
    ls.equals["is_deleted"] = frozenset({"deleted" in statuses})
    if live:
        ls.equals["status"] = frozenset(live)


def include_fields(
    store: Store, counters: Counters, spec: EntitySpec, req: Request
) -> Callable[[Record], Record]:
    """Adds the ``include_fields`` asked for: counters computed, the others from
    :func:`include_value` (:func:`render` hides written opt-in fields not asked for)."""
    names = _asked(req)
    allowed = INCLUDE_FIELDS.get(spec.entity, frozenset())
    if names - allowed:
        choices = ", ".join(sorted(allowed)) or "none"
        raise ApiProblem(400, f"Parameter 'include_fields' must be a list of: {choices}")
    if not names:
        return lambda rec: rec
    counted = names & supported(spec.entity)
    add_counts = counters.for_page(spec.entity, counted)
    linked = names & ACTIVITY_LINKS
    links = counters.activity_links.for_page(spec.entity) if linked else None
    others = names - counted - linked

    def add(rec: Record) -> Record:
        out = add_counts(rec) if counted else dict(rec)
        if links is not None:
            found = dict(zip(("next_activity_id", "last_activity_id"), links(rec), strict=True))
            out.update((name, found[name]) for name in linked)
        for name in others:
            out[name] = include_value(store, spec.entity, name, rec)
        return out

    return add


def _list(store: Store, spec: EntitySpec, archived: bool, counters: Counters) -> Any:
    def handle(req: Request) -> Response:
        limit = limit_arg(req)
        include = include_fields(store, counters, spec, req)
        ls = _apply_filter_id(store, req, list_spec(req, spec))
        if spec.entity == "deal":
            _status_filter(req, ls, archived)
        else:
            ls.equals["is_deleted"] = frozenset({False})
        rows, cursor = page(store, spec.entity, ls, limit)
        count_records(req, len(rows))
        data = [render(store, spec.entity, include(r), req) for r in rows]
        return ok(data, {"next_cursor": cursor})

    return handle


def fetch(store: Store, spec: EntitySpec, req: Request, live_only: bool = False) -> Record:
    rec = store.get(spec.entity, req.path_params["id"])
    if rec is None or (live_only and rec.get("is_deleted")):
        raise not_found(spec.label)
    return rec


def _get(store: Store, spec: EntitySpec, counters: Counters) -> Any:
    def handle(req: Request) -> Response:
        include = include_fields(store, counters, spec, req)
        # v2 keeps answering for a soft-deleted entity, with is_deleted: true.
        return ok(render(store, spec.entity, include(fetch(store, spec, req)), req))

    return handle


def _create(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        data = check_body(body(req), spec.types, spec.required)
        record = {**spec.defaults, "owner_id": user_id(req), **data}
        record = _derive(store, spec, record, None)
        if spec.entity in store.fields and spec.entity != "activity":
            values = {
                f.key: None for f in store.fields[spec.entity] if f.is_custom and not f.is_deleted
            }
            values.update(check_custom_fields(store, spec.entity, data.get("custom_fields")))
            record["custom_fields"] = values
        if spec.entity in ("deal", "activity"):
            record.setdefault("creator_user_id", user_id(req))
        created = store.create(spec.entity, record, user_id(req))
        # v2 answers 201 only where its spec says so (products); 200 elsewhere.
        return ok(
            render(store, spec.entity, created, req),
            status=201 if spec.entity == "product" else 200,
        )

    return handle


def _update(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        current = fetch(store, spec, req, live_only=True)
        if current.get("is_archived") and spec.entity == "deal":
            raise ApiProblem(403, "Archived deals cannot be edited")
        changes = check_body(body(req), spec.types, not_null=spec.required)
        if "custom_fields" in changes:
            merged = dict(current.get("custom_fields") or {})
            merged.update(check_custom_fields(store, spec.entity, changes["custom_fields"]))
            changes["custom_fields"] = merged
        changes = _derive(store, spec, changes, current)
        updated = store.update(spec.entity, current["id"], changes, user_id(req))
        return ok(render(store, spec.entity, updated, req))

    return handle


def _delete(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        current = fetch(store, spec, req, live_only=True)
        store.delete(spec.entity, current["id"], user_id(req))
        return ok({"id": current["id"]})

    return handle


def _derive(store: Store, spec: EntitySpec, changes: Record, current: Record | None) -> Record:
    """Fields the API sets itself: pipeline from stage, won/lost times, primary participant."""
    now = store.now()
    if spec.entity == "deal":
        return _derive_deal(store, changes, current, now)
    if spec.entity == "activity" and "participants" in changes:
        primary = [p for p in changes["participants"] if isinstance(p, dict) and p.get("primary")]
        changes["person_id"] = (primary or changes["participants"] or [{}])[0].get("person_id")
    if spec.entity == "activity" and changes.get("done") and not (current or {}).get("done"):
        changes["marked_as_done_time"] = now
    if spec.entity == "stage" and "pipeline_id" in changes:
        if store.get("pipeline", changes["pipeline_id"]) is None:
            raise ApiProblem(400, "Pipeline not found")
        if current is None:
            order = [s["order_nr"] for s in store.tables["stage"].overlay.values()
                     if s["pipeline_id"] == changes["pipeline_id"]]  # fmt: skip
            changes.setdefault("order_nr", max(order, default=0) + 1)
    if spec.entity == "pipeline" and current is None:
        changes.setdefault("order_nr", len(store.tables["pipeline"].overlay) + 1)
    return changes


def _derive_deal(store: Store, changes: Record, current: Record | None, now: float) -> Record:
    status = changes.get("status")
    if status is not None and status not in ("open", "won", "lost"):
        raise ApiProblem(400, "The 'status' field must be one of: open, won, lost")
    if "stage_id" in changes and changes["stage_id"] is not None:
        stage = store.get("stage", changes["stage_id"])
        if stage is None:
            raise ApiProblem(400, "Stage not found")
        changes["pipeline_id"] = stage["pipeline_id"]
        changes["stage_change_time"] = now
    elif current is None:
        pipeline_id = changes.get("pipeline_id") or 1
        stages = sorted(
            (s for s in store.tables["stage"].overlay.values() if s["pipeline_id"] == pipeline_id),
            key=lambda s: s["order_nr"],
        )
        if not stages:
            raise ApiProblem(400, "Pipeline not found")
        changes["pipeline_id"], changes["stage_id"] = pipeline_id, stages[0]["id"]
        changes["stage_change_time"] = None
    if status and (current is None or current.get("status") != status):
        changes["won_time"] = now if status == "won" else None
        changes["lost_time"] = now if status == "lost" else None
        changes["close_time"] = now if status != "open" else None
        if status != "lost":
            changes["lost_reason"] = None
    if current is None:
        changes.setdefault("creator_user_id", changes["owner_id"])
    if changes.get("is_archived") and (current is None or not current.get("is_archived")):
        changes["archive_time"] = now
    return changes
