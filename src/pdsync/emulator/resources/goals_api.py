"""v1 goals: find, add, update, delete, and results computed from the account's data.

A goal counts (``quantity``) or sums (``sum``, deal values in the goal's currency when it
names one) what its type says, for its assignee (a user's own deals/activities; a
company or team goal counts everyone's), within the asked period:
``deals_won`` by won time, ``deals_started`` by creation, ``deals_progressed`` deals that
moved in the period and stand at or beyond the goal's stage, ``activities_added`` by
creation, ``activities_completed`` by completion time, ``revenue_forecast`` open deals
expected to close in the period, weighted by their stage's probability.
"""

from __future__ import annotations

import uuid
from bisect import bisect_left
from collections.abc import Iterator
from datetime import date
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.admin_common import choice, date_arg, int_value, parse_date, public
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    body,
    count_records,
    not_found,
    ok,
    user_id,
)
from pdsync.emulator.resources.deal_facts import (
    deal_facts,
    deal_value,
    period,
    stage_orders,
    within,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

GOAL_TYPES = ("deals_won", "deals_progressed", "activities_completed", "activities_added",
              "deals_started", "revenue_forecast")  # fmt: skip
ASSIGNEE_TYPES = ("person", "company", "team")
INTERVALS = ("weekly", "monthly", "quarterly", "yearly")
METRICS = ("quantity", "sum")
MAX_DUE_DAYS = 31  # a generated activity is due at most 30 days after it was added
# Find parameters that widen the search to everyone's goals (the spec's wording).
EVERYONE = ("type.name", "assignee.type", "expected_outcome.target", "expected_outcome.tracking_metric",
            "expected_outcome.currency_id", "type.params.pipeline_id", "type.params.stage_id",
            "type.params.activity_type_id")  # fmt: skip


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/goals/find", _find(store))
    router.add("POST", "/api/v1/goals", _add(store))
    router.add("PUT", "/api/v1/goals/{id}", _update(store))
    router.add("DELETE", "/api/v1/goals/{id}", _delete(store))
    router.add("GET", "/api/v1/goals/{id}/results", _results(store))


# -- validation ----------------------------------------------------------------------------------


def _obj(data: Record, name: str) -> Record:
    value = data.get(name)
    if not isinstance(value, dict):
        raise ApiProblem(400, f"The '{name}' field is required and must be an object")
    return value


def _ids(store: Store, raw: Any, name: str, table: str) -> list[int] | None:
    if raw is None:
        return None  # every pipeline / every activity type
    items = raw if isinstance(raw, list) else [raw]
    ids = [int_value({name: v}, name) for v in items]
    known = {r["id"] for r in store.tables[table].overlay.values()}
    unknown = [i for i in ids if i not in known]
    if unknown:
        raise ApiProblem(400, f"'{name}' has unknown ids: {', '.join(map(str, unknown))}")
    return [i for i in ids if i is not None]


def _type(store: Store, raw: Record) -> Record:
    name = choice(raw, "name", GOAL_TYPES, label="type.name")
    params = raw.get("params") or {}
    if not isinstance(params, dict):
        raise ApiProblem(400, "'type.params' must be an object")
    out: Record = {"pipeline_id": _ids(store, params.get("pipeline_id"), "pipeline_id", "pipeline")}
    if name == "deals_progressed":
        stage = int_value(params, "stage_id")
        if store.get("stage", stage) is None:
            raise ApiProblem(400, f"Stage {stage} does not exist")
        out["stage_id"] = stage
    if name.startswith("activities_"):
        out["activity_type_id"] = _ids(
            store, params.get("activity_type_id"), "activity_type_id", "activity_type"
        )
    return {"name": name, "params": out}


def _assignee(store: Store, raw: Record) -> Record:
    kind = choice(raw, "type", ASSIGNEE_TYPES, label="assignee.type")
    ident = int_value(raw, "id", label="assignee.id")
    if kind == "person" and store.get("user", ident) is None:
        raise ApiProblem(400, f"Assignee user {ident} does not exist")
    return {"id": ident, "type": kind}


def _outcome(store: Store, raw: Record) -> Record:
    target = raw.get("target")
    if isinstance(target, str):
        try:
            target = float(target)
        except ValueError:
            target = None
    if isinstance(target, bool) or not isinstance(target, (int, float)) or target < 0:
        raise ApiProblem(
            400, "'expected_outcome.target' is required and must be a non-negative number"
        )
    metric = choice(raw, "tracking_metric", METRICS, label="expected_outcome.tracking_metric")
    out: Record = {"target": int(target) if float(target).is_integer() else target,
                   "tracking_metric": metric}  # fmt: skip
    if raw.get("currency_id") is not None:
        if metric != "sum":
            raise ApiProblem(400, "'expected_outcome.currency_id' applies only to 'sum' goals")
        currency = int_value(raw, "currency_id")
        if currency not in store.static["currency"]:
            raise ApiProblem(400, f"Currency {currency} does not exist")
        out["currency_id"] = currency
    return out


def _duration(raw: Record) -> Record:
    start = parse_date(raw.get("start"), "duration.start")
    end = raw.get("end")
    if end is not None and parse_date(end, "duration.end") < start:
        raise ApiProblem(400, "'duration.end' must not be before 'duration.start'")
    return {"start": start.isoformat(), "end": end}


def _changes(store: Store, data: Record, creating: bool) -> Record:
    changes: Record = {}
    checks = {"assignee": _assignee, "type": _type, "expected_outcome": _outcome}
    for name, check in checks.items():
        if creating or name in data:
            changes[name] = check(store, _obj(data, name))
    if creating or "duration" in data:
        changes["duration"] = _duration(_obj(data, "duration"))
    if creating or "interval" in data:
        changes["interval"] = choice(data, "interval", INTERVALS)
    if "title" in data:
        if not isinstance(data["title"], str):
            raise ApiProblem(400, "The 'title' field must be a string")
        changes["title"] = data["title"]
    return changes


def _live(store: Store, goal_id: str) -> Record:
    goal = store.static["goal"].get(goal_id)
    if goal is None or goal.get("_deleted"):
        raise not_found("Goal")
    return goal


# -- handlers ---------------------------------------------------------------------------------------


def _add(store: Store) -> Any:
    def handle(req: Request) -> Response:
        changes = _changes(store, body(req), creating=True)
        goal = {"id": uuid.uuid4().hex, "owner_id": user_id(req), "title": "", **changes,
                "is_active": True, "report_ids": [str(uuid.uuid4())]}  # fmt: skip
        with store.lock:
            store.static["goal"][goal["id"]] = goal
        return ok({"goal": public(goal)})

    return handle


def _update(store: Store) -> Any:
    def handle(req: Request) -> Response:
        goal = _live(store, req.path_params["id"])
        changes = _changes(store, body(req), creating=False)
        with store.lock:
            goal.update(changes)
        return ok({"goal": public(goal)})

    return handle


def _delete(store: Store) -> Any:
    def handle(req: Request) -> Response:
        goal = _live(store, req.path_params["id"])
        with store.lock:
            goal.update(_deleted=True, is_active=False)
        return Response.json({"success": True})

    return handle


def _dotted(goal: Record, path: str) -> Any:
    value: Any = goal
    for part in path.split("."):
        value = value.get(part) if isinstance(value, dict) else None
    return value


def _matches(goal: Record, name: str, raw: str) -> bool:
    value = _dotted(goal, name)
    if isinstance(value, list):
        return any(str(v) == raw for v in value)
    if isinstance(value, bool):
        return str(value).lower() == raw.lower()
    if isinstance(value, (int, float)) and raw.replace(".", "", 1).isdigit():
        return float(value) == float(raw)
    return str(value) == raw


def _find(store: Store) -> Any:
    def handle(req: Request) -> Response:
        given = {k: v[-1] for k, v in req.query.items() if k != "api_token" and v}
        if ("period.start" in given) != ("period.end" in given):
            raise ApiProblem(400, "'period.start' and 'period.end' must be given together")
        bounds = None
        if "period.start" in given:
            bounds = (date_arg(req, "period.start"), date_arg(req, "period.end"))
        # "When omitted, only your goals": assigned to you, or set by you (company, team goals).
        mine = not any(k in given for k in EVERYONE) and "assignee.id" not in given
        checks = {k: v for k, v in given.items() if not k.startswith("period.")}
        goals = [public(g) for g in store.static["goal"].values() if not g.get("_deleted")
                 and all(_matches(g, k, v) for k, v in checks.items())
                 and (not mine or _is_mine(g, user_id(req)))
                 and (bounds is None or _overlaps(g, *bounds))]  # fmt: skip
        count_records(req, len(goals))
        return ok({"goals": goals})

    return handle


def _is_mine(goal: Record, me: int) -> bool:
    assignee = goal["assignee"]
    return bool(goal["owner_id"] == me) or (assignee["type"] == "person" and assignee["id"] == me)


def _overlaps(goal: Record, start: date, end: date) -> bool:
    begins = date.fromisoformat(goal["duration"]["start"])
    ends = goal["duration"].get("end")
    return begins <= end and (ends is None or date.fromisoformat(ends) >= start)


def _results(store: Store) -> Any:
    def handle(req: Request) -> Response:
        goal = _live(store, req.path_params["id"])
        start, end = date_arg(req, "period.start"), date_arg(req, "period.end")
        if end < start:
            raise ApiProblem(400, "'period.end' must not be before 'period.start'")
        if start < date.fromisoformat(goal["duration"]["start"]):
            raise ApiProblem(400, "'period.start' must be on or after the goal's start date")
        ends = goal["duration"].get("end")
        if ends is not None and end > date.fromisoformat(ends):
            raise ApiProblem(400, "'period.end' must be on or before the goal's end date")
        return ok({"progress": round(progress(store, goal, start, end)), "goal": public(goal)})

    return handle


# -- progress ----------------------------------------------------------------------------------------


def progress(store: Store, goal: Record, start: date, end: date) -> float:
    kind, params = goal["type"]["name"], goal["type"].get("params") or {}
    assignee = goal["assignee"]
    owner = assignee["id"] if assignee["type"] == "person" else None
    if kind.startswith("activities_"):
        return float(_activity_count(store, kind, params, owner, start, end))
    bounds = period(start, end)
    pipelines = params.get("pipeline_id")
    deals = [d for d in deal_facts(store) if (owner is None or d.owner_id == owner)
             and (not pipelines or d.pipeline_id in pipelines)]  # fmt: skip
    if kind == "deals_won":
        hits = [d.id for d in deals if within(d.won_time, bounds)]
    elif kind == "deals_started":
        hits = [d.id for d in deals if within(d.add_time, bounds)]
    elif kind == "deals_progressed":
        target = store.get("stage", params["stage_id"]) or {}
        orders = stage_orders(store, target.get("pipeline_id", 0))
        goal_at = orders.get(target.get("id", 0), -1)
        hits = [d.id for d in deals if within(d.stage_change_time, bounds)
                and d.stage_id in orders and orders[d.stage_id] >= goal_at >= 0]  # fmt: skip
    else:
        return _forecast(store, goal, [d.id for d in deals if d.status == "open"], start, end)
    return _measure(store, goal, hits)


def _goal_currency(store: Store, goal: Record) -> str | None:
    currency_id = goal["expected_outcome"].get("currency_id")
    return store.static["currency"][currency_id]["code"] if currency_id else None


def _measure(store: Store, goal: Record, deal_ids: list[int]) -> float:
    if goal["expected_outcome"]["tracking_metric"] == "quantity":
        return float(len(deal_ids))
    code = _goal_currency(store, goal)
    values = (deal_value(store, i) for i in deal_ids)
    return sum(v for v, c in values if code is None or c == code)


def _forecast(store: Store, goal: Record, open_ids: list[int], start: date, end: date) -> float:
    first, last = start.isoformat(), end.isoformat()
    code = _goal_currency(store, goal)
    by_count = goal["expected_outcome"]["tracking_metric"] == "quantity"
    total = 0.0
    for deal_id in open_ids:
        rec = store.get("deal", deal_id, custom=False) or {}
        closes = rec.get("expected_close_date")
        if not closes or not first <= closes <= last:
            continue
        if code is not None and rec.get("currency") != code:
            continue
        stage = store.get("stage", rec.get("stage_id")) or {}
        weight = (stage.get("deal_probability") or 0) / 100
        total += weight if by_count else weight * float(rec.get("value") or 0)
    return total


def _activity_count(
    store: Store, kind: str, params: Record, owner: int | None, start: date, end: date
) -> int:
    bounds = period(start, end)
    wanted = params.get("activity_type_id")
    keys = None
    if wanted:
        keys = {store.tables["activity_type"].overlay[i]["key_string"] for i in wanted
                if i in store.tables["activity_type"].overlay}  # fmt: skip
    count = 0
    for rec in _activities(store, kind, owner, bounds):
        if rec.get("is_deleted") or (keys is not None and rec.get("type") not in keys):
            continue
        if owner is not None and rec.get("owner_id") != owner:
            continue
        moment = (
            rec.get("add_time") if kind == "activities_added" else rec.get("marked_as_done_time")
        )
        if within(moment, bounds) and (kind == "activities_added" or rec.get("done")):
            count += 1
    return count


def _activities(
    store: Store, kind: str, owner: int | None, bounds: tuple[float, float]
) -> Iterator[Record]:
    """Candidates: generated activities added in the period (or up to a month before it, for
    completions), found by bisection (ids grow with time), then every written one."""
    table = store.table("activity")
    if table.base_count:
        cols = store.columns.get("activity")
        earliest = bounds[0] - (MAX_DUE_DAYS * 86400.0 if kind == "activities_completed" else 0.0)
        added, owners = cols.add_time, cols.ints["owner_id"]
        first = max(1, bisect_left(added, earliest, 1))
        last = bisect_left(added, bounds[1], 1)
        for i in range(first, last):
            if (
                i not in table.overlay
                and not cols.is_deleted(i)
                and (owner is None or owners[i] == owner)
            ):
                yield store.generator.make("activity", i, custom=False)
    yield from list(table.overlay.values())
