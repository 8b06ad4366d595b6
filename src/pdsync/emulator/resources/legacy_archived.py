"""Legacy reports of archived deals: ``/v1/deals/summary/archived`` and
``/v1/deals/timeline/archived``, the archived counterparts of ``/deals/summary`` and
``/deals/timeline`` (same sums and currency conversion, :mod:`.deal_reports`), over the
live deals that are archived.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.query import ListSpec
from pdsync.emulator.render_v1 import V1Renderer, flatten_refs
from pdsync.emulator.resources.common import ApiProblem, Record, int_arg, ok, user_id
from pdsync.emulator.resources.deal_reports import summarise, timeline_window
from pdsync.emulator.timefmt import parse_time, v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

STATUSES = ("open", "won", "lost")


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/deals/summary/archived", _summary(store))
    router.add("GET", "/api/v1/deals/timeline/archived", _timeline(store))


def archived_deals(store: Store, req: Request, with_status: bool) -> list[Record]:
    """Live archived deals matching the request's filters (status, owner, pipeline, stage)."""
    ls = ListSpec(sort_by="id", equals={"is_archived": frozenset({True}),
                                        "is_deleted": frozenset({False})})  # fmt: skip
    status = req.arg("status") if with_status else None
    if status:
        if status not in STATUSES:
            raise ApiProblem(400, f"Parameter 'status' must be one of: {', '.join(STATUSES)}")
        ls.equals["status"] = frozenset({status})
    filter_id = int_arg(req, "filter_id", minimum=1)
    if filter_id is not None and store.get("filter", filter_id) is None:
        raise ApiProblem(404, "Filter not found")
    for param, key in (("user_id", "owner_id"), ("pipeline_id", "pipeline_id"), ("stage_id", "stage_id")):  # fmt: skip
        value = int_arg(req, param, minimum=1)
        if value is not None:
            ls.equals[key] = frozenset({value})
    return list(store.scan("deal", ls))


def _summary(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(summarise(store, archived_deals(store, req, with_status=True)))

    return handle


def _when(value: Any) -> float | None:
    if value is None:
        return None
    return parse_time(value) if isinstance(value, str) else float(value)


def _values(rows: list[Record], store: Store, key: str) -> Record:
    return {cur: slot["value"] for cur, slot in summarise(store, rows)[key].items()}


def _timeline(store: Store) -> Any:
    def handle(req: Request) -> Response:
        begin, end, field_key, exclude_deals = timeline_window(req)
        exclude = exclude_deals == "1"
        chosen = []
        for deal in archived_deals(store, req, with_status=False):
            when = _when(deal.get(field_key))
            if when is not None and begin <= when < end:
                chosen.append((when, deal))
        chosen.sort(key=lambda pair: (pair[0], pair[1]["id"]))
        rows = [deal for _, deal in chosen]
        opened = [d for d in rows if d["status"] == "open"]
        won = [d for d in rows if d["status"] == "won"]
        renderer = V1Renderer(store, user_id(req))
        deals = [] if exclude else [dict(flatten_refs(renderer.render("deal", d)), user_id=d["owner_id"]) for d in rows]  # fmt: skip
        totals = {"count": len(rows), "values": _values(rows, store, "values_total"),
                  "weighted_values": _values(rows, store, "weighted_values_total"),
                  "open_count": len(opened), "open_values": _values(opened, store, "values_total"),
                  "weighted_open_values": _values(opened, store, "weighted_values_total"),
                  "won_count": len(won), "won_values": _values(won, store, "values_total")}  # fmt: skip
        return ok({"period_start": v1_time(begin), "period_end": v1_time(end - 1),
                   "deals": deals, "totals": totals})  # fmt: skip

    return handle
