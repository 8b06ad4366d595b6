"""v1 pipeline statistics, computed from the account's deals (see :mod:`.deal_facts`).

``conversion_statistics``: of the deals of one user that entered the pipeline in the
period, the share that went from each stage to the next, and the shares won and lost.
``movement_statistics``: the deals of one user created, won and lost in the period,
those still open at its end (with their average age, per stage) and the number of stage
moves in it.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.admin_common import date_arg, path_int
from pdsync.emulator.resources.common import ApiProblem, Record, int_arg, not_found, ok, user_id
from pdsync.emulator.resources.deal_facts import (
    DealFact,
    deal_facts,
    deal_value,
    formatted,
    money,
    period,
    stage_orders,
    within,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/pipelines/{id}/conversion_statistics", _conversion(store))
    router.add("GET", "/api/v1/pipelines/{id}/movement_statistics", _movement(store))


def _scope(store: Store, req: Request) -> tuple[int, int, date, date]:
    """(pipeline, user, start, end), checked: unknown pipeline 404, bad dates 400."""
    pipeline = store.get("pipeline", path_int(req, "Pipeline"))
    if pipeline is None or pipeline.get("is_deleted"):
        raise not_found("Pipeline")
    start, end = date_arg(req, "start_date"), date_arg(req, "end_date")
    if end < start:
        raise ApiProblem(400, "'end_date' must not be before 'start_date'")
    owner = int_arg(req, "user_id", minimum=1) or user_id(req)
    if store.get("user", owner) is None:
        raise ApiProblem(400, f"User {owner} does not exist")
    return pipeline["id"], owner, start, end


def _deals(store: Store, pipeline_id: int, owner: int) -> list[DealFact]:
    return [d for d in deal_facts(store) if d.pipeline_id == pipeline_id and d.owner_id == owner]


def _percent(part: int, whole: int) -> int:
    return round(100 * part / whole) if whole else 0


def conversion(store: Store, pipeline_id: int, owner: int, start: date, end: date) -> Record:
    bounds = period(start, end)
    entered = [d for d in _deals(store, pipeline_id, owner) if within(d.add_time, bounds)]
    orders = stage_orders(store, pipeline_id)
    reached = [orders.get(d.stage_id, 0) for d in entered]
    stages = list(orders)
    rates = []
    for n in range(len(stages) - 1):
        at = sum(1 for r in reached if r >= n)
        rates.append({"from_stage_id": stages[n], "to_stage_id": stages[n + 1],
                      "conversion_rate": _percent(sum(1 for r in reached if r > n), at)})  # fmt: skip
    won = sum(1 for d in entered if d.status == "won")
    lost = sum(1 for d in entered if d.status == "lost")
    return {"stage_conversions": rates, "won_conversion": _percent(won, len(entered)),
            "lost_conversion": _percent(lost, len(entered))}  # fmt: skip


def _conversion(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(conversion(store, *_scope(store, req)))

    return handle


def _bucket(store: Store, deals: list[DealFact]) -> Record:
    totals: dict[str, float] = defaultdict(float)
    for d in deals:
        value, currency = deal_value(store, d.id)
        totals[currency] += value
    return {"count": len(deals), "deals_ids": [d.id for d in deals], "values": money(totals),
            "formatted_values": formatted(store, totals)}  # fmt: skip


def movement(store: Store, pipeline_id: int, owner: int, start: date, end: date) -> Record:
    bounds = period(start, end)
    deals = _deals(store, pipeline_id, owner)

    def closed_by_end(d: DealFact) -> bool:
        closed = d.won_time if d.status == "won" else d.lost_time
        return closed is not None and closed < bounds[1]

    open_at_end = [d for d in deals if d.add_time < bounds[1] and not closed_by_end(d)]
    ages: dict[int, list[float]] = defaultdict(list)
    for d in open_at_end:
        ages[d.stage_id].append((bounds[1] - d.add_time) / 86400.0)
    every_age = [a for stage_ages in ages.values() for a in stage_ages]
    return {
        "movements_between_stages": {
            "count": sum(1 for d in deals if within(d.stage_change_time, bounds))
        },
        "new_deals": _bucket(store, [d for d in deals if within(d.add_time, bounds)]),
        "deals_left_open": _bucket(store, open_at_end),
        "won_deals": _bucket(store, [d for d in deals if within(d.won_time, bounds)]),
        "lost_deals": _bucket(store, [d for d in deals if within(d.lost_time, bounds)]),
        "average_age_in_days": {
            "across_all_stages": round(sum(every_age) / len(every_age)) if every_age else 0,
            "by_stages": [
                {"stage_id": s, "value": round(sum(a) / len(a))} for s, a in sorted(ages.items())
            ],
        },
    }


def _movement(store: Store) -> Any:
    def handle(req: Request) -> Response:
        return ok(movement(store, *_scope(store, req)))

    return handle
