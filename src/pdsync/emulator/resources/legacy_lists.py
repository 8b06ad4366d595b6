"""Legacy v1 lists beyond the plain ones: ``/v1/{entity}/collection`` (cursor-paged, flat
ids), the related lists (``/deals/{id}/activities``, ``/deals/{id}/persons``,
``/organizations/{id}/{activities,deals,persons}``, ``/persons/{id}/{activities,deals}``)
and the deals of a pipeline or a stage.

Related lists page by ``start``/``limit``; the legacy spec documents their page info at
the top of ``additional_data`` while the live API (and clients) read it under
``pagination``, so both are sent.
"""

from __future__ import annotations

from collections import Counter
from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator.activity_links import ActivityLinks
from pdsync.emulator.counters import Counters
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.query import ListSpec
from pdsync.emulator.render_v1 import V1Renderer, flatten_refs
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    bool_arg,
    count_records,
    decode_cursor,
    int_arg,
    int_list_arg,
    limit_arg,
    ok,
    time_arg,
    user_id,
)
from pdsync.emulator.resources.entities import BY_PATH, EntitySpec
from pdsync.emulator.resources.legacy_crud import live_record
from pdsync.emulator.resources.legacy_v1 import v1_deal_status
from pdsync.emulator.resources.v1_sort import legacy_sort
from pdsync.emulator.resources.v2 import page

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

COLLECTIONS = ("deals", "persons", "organizations", "activities")
# (parent path, child path) -> the child's key that points at the parent.
RELATED = {("deals", "activities"): "deal_id", ("persons", "activities"): "person_id",
           ("organizations", "activities"): "org_id", ("organizations", "deals"): "org_id",
           ("persons", "deals"): "person_id", ("organizations", "persons"): "org_id",
           ("pipelines", "deals"): "pipeline_id", ("stages", "deals"): "stage_id"}  # fmt: skip
# Deals of a pipeline or a stage come with plain ids (their schema), like collections.
FLAT = frozenset({("pipelines", "deals"), ("stages", "deals")})


def register(router: Router, store: Store) -> None:
    for path in COLLECTIONS:
        router.add("GET", f"/api/v1/{path}/collection", _collection(store, BY_PATH[path]))
    links = Counters(store).activity_links
    for (parent, child), key in RELATED.items():
        handler = _related(store, BY_PATH[parent], BY_PATH[child], key, links)
        router.add("GET", f"/api/v1/{parent}/{{id}}/{child}", handler)
    router.add("GET", "/api/v1/deals/{id}/persons", _deal_persons(store))


def _collection(store: Store, spec: EntitySpec) -> Any:
    def handle(req: Request) -> Response:
        limit = limit_arg(req)
        ls = ListSpec(sort_by="id", after=decode_cursor(req))
        ls.updated_since, ls.updated_until = time_arg(req, "since"), time_arg(req, "until")
        ls.equals["is_deleted"] = frozenset({False})
        owner = int_arg(req, "owner_id" if spec.path in ("persons", "organizations") else "user_id", minimum=1)  # fmt: skip
        if owner is not None:
            ls.equals["owner_id"] = frozenset({owner})
        if spec.entity == "deal":
            _deal_filters(req, ls)
        if spec.entity == "activity":
            _activity_filters(req, ls)
        first = (req.arg("first_char") or "").strip().lower()
        if first and spec.path in ("persons", "organizations"):
            ls.predicate = lambda r: (r.get("name") or "").lower().startswith(first[0])
        rows, cursor = page(store, spec.entity, ls, limit)
        count_records(req, len(rows))
        renderer = V1Renderer(store, user_id(req))
        data = [_collection_row(renderer, spec.entity, r) for r in rows]
        return ok(data, {"next_cursor": cursor})

    return handle


def _deal_filters(req: Request, ls: ListSpec) -> None:
    ls.equals["is_archived"] = frozenset({False})  # as the v1 list: archived deals have their own
    stage = int_arg(req, "stage_id", minimum=1)
    if stage is not None:
        ls.equals["stage_id"] = frozenset({stage})
    status = req.arg("status")
    if status:
        if status not in ("open", "won", "lost", "deleted"):
            raise ApiProblem(400, "Parameter 'status' must be one of: open, won, lost, deleted")
        if status == "deleted":
            ls.equals["is_deleted"] = frozenset({True})
        else:
            ls.equals["status"] = frozenset({status})


def _activity_filters(req: Request, ls: ListSpec) -> None:
    if req.arg("done") not in (None, ""):
        ls.equals["done"] = frozenset({bool_arg(req, "done")})
    types = [t.strip() for t in (req.arg("type") or "").split(",") if t.strip()]
    if types:
        ls.equals["type"] = frozenset(types)


def _collection_row(renderer: V1Renderer, entity: str, rec: Record) -> Record:
    """The flat v1 object: related records as ids (the collection schemas say so)."""
    out = flatten_refs(renderer.render(entity, rec))
    if entity == "deal":
        out["user_id"] = rec["owner_id"]
    if entity in ("person", "organization"):
        out["label_ids"] = list(rec.get("label_ids") or [])
        out["delete_time"] = None
    return out


def related_page(req: Request, rows: list[Record], start: int, limit: int, more: bool) -> Response:
    """A related list's page: page info both where the spec and where clients read it."""
    count_records(req, len(rows))
    info: Record = {"start": start, "limit": limit, "more_items_in_collection": more}
    pagination = dict(info, next_start=start + limit) if more else dict(info)
    return ok(rows, {**info, "pagination": pagination})


def _activity_ids(
    store: Store, links: ActivityLinks, parent: str, key: str, parent_id: int
) -> frozenset[Any]:
    """Ids of the activities that may belong to the parent: generated ones of its index,
    written ones that point at it (the scan still checks the key of each)."""
    ids = set(links.generated_of(parent, parent_id))
    ids.update(r["id"] for r in list(store.table("activity").overlay.values()) if r.get(key) == parent_id)  # fmt: skip
    return frozenset(ids)


def _related(
    store: Store, parent: EntitySpec, child: EntitySpec, key: str, links: ActivityLinks
) -> Any:
    flat = (parent.path, child.path) in FLAT

    def handle(req: Request) -> Response:
        owner = live_record(store, parent, req.path_params["id"])
        start = int_arg(req, "start", 0) or 0
        limit = limit_arg(req)
        ls = ListSpec(sort_by="id")
        if child.entity == "activity":
            # The parent's activities by index first: the parent key is no column.
            ls.equals["id"] = _activity_ids(store, links, parent.entity, key, owner["id"])
        ls.equals[key] = frozenset({owner["id"]})
        if child.entity == "deal":
            v1_deal_status(req, ls)
            legacy_sort(store, req, ls, "deal")
            user = int_arg(req, "user_id", minimum=1)
            if user is not None:
                ls.equals["owner_id"] = frozenset({user})
            stage = int_arg(req, "stage_id", minimum=1) if parent.path == "pipelines" else None
            if stage is not None:
                ls.equals["stage_id"] = frozenset({stage})
        else:
            ls.equals["is_deleted"] = frozenset({False})
        if child.entity == "activity":
            _done_and_exclude(req, ls)
        rows = list(islice(store.scan(child.entity, ls, skip=start), limit + 1))
        renderer = V1Renderer(store, user_id(req))
        data = [renderer.render(child.entity, r) for r in rows[:limit]]
        if flat:
            data = [dict(flatten_refs(d), user_id=r["owner_id"]) for d, r in zip(data, rows, strict=False)]  # fmt: skip
        response = related_page(req, data, start, limit, len(rows) > limit)
        if child.entity == "activity":
            return _with_distribution(store, response, ls)
        return response

    return handle


def _done_and_exclude(req: Request, ls: ListSpec) -> None:
    done = req.arg("done")
    if done not in (None, ""):
        if done not in ("0", "1"):
            raise ApiProblem(400, "Parameter 'done' must be 0 or 1")
        ls.equals["done"] = frozenset({done == "1"})
    excluded = int_list_arg(req, "exclude")
    if excluded:
        ls.predicate = lambda r: r["id"] not in excluded


def _with_distribution(store: Store, response: Response, ls: ListSpec) -> Response:
    """``activity_distribution``: per assignee, activities by type over the whole list."""
    import json

    per_user: dict[int, Counter[str]] = {}
    for rec in store.scan("activity", ls):
        per_user.setdefault(rec["owner_id"], Counter())[rec["type"]] += 1
    total = sum(sum(c.values()) for c in per_user.values())
    distribution: Record = {}
    for owner, counts in sorted(per_user.items()):
        user = store.get("user", owner) or {}
        count = sum(counts.values())
        distribution[str(owner)] = {"activities": dict(counts), "name": user.get("name"),
                                    "activity_count": count,
                                    "share": round(100 * count / total) if total else 0}  # fmt: skip
    payload = json.loads(response.body)
    payload["additional_data"]["activity_distribution"] = distribution
    return Response.json(payload, response.status)


def _deal_persons(store: Store) -> Any:
    """The deal's contact person and its participants, each once."""

    def handle(req: Request) -> Response:
        deal = live_record(store, BY_PATH["deals"], req.path_params["id"])
        start = int_arg(req, "start", 0) or 0
        limit = limit_arg(req)
        ids = [deal.get("person_id")] + [
            r["person_id"] for r in store.relations.children("participant", "deal", deal["id"])
        ]
        renderer = V1Renderer(store, user_id(req))
        persons = []
        for person_id in dict.fromkeys(i for i in ids if i):
            person = store.get("person", person_id)
            if person is not None and not person.get("is_deleted"):
                out = renderer.render("person", person)
                out["first_char"] = (person.get("name") or " ")[0].lower()
                persons.append(out)
        chunk = persons[start : start + limit]
        return related_page(req, chunk, start, limit, start + limit < len(persons))

    return handle
