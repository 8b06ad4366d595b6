"""v1 deal reports and copies: ``/deals/summary``, ``/deals/timeline``, ``/deals/{id}/duplicate``,
and v1 ``/leads/search`` (the v2 lead search, paged by offset).

Summaries read only built-in deal attributes: the compact columns filter first, then each
remaining deal is generated without its custom fields. Results are memoised until the
next write, so a dashboard polling the summary costs one pass.
"""

from __future__ import annotations

import base64
import calendar
import copy
import dataclasses
import json
from collections.abc import Iterator
from datetime import date, datetime, timedelta, timezone
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import DEAL_STATUSES
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.render_v1 import V1Renderer
from pdsync.emulator.resources.common import ApiProblem, Record, int_arg, ok, user_id
from pdsync.emulator.resources.lists import live
from pdsync.emulator.timefmt import parse_time, v1_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

# Into the account's default currency (EUR); fixed, as the seeded account's rates are.
RATES = {"EUR": 1.0, "USD": 0.92, "GBP": 1.17}
SYMBOLS = {"EUR": "€", "USD": "$", "GBP": "£"}
DATE_FIELDS = ("add_time", "update_time", "stage_change_time", "close_time", "won_time",
               "lost_time", "expected_close_date")  # fmt: skip
INTERVALS = ("day", "week", "month", "quarter")


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v1/deals/summary", _summary(store))
    router.add("GET", "/api/v1/deals/timeline", _timeline(store))
    router.add("POST", "/api/v1/deals/{id}/duplicate", _duplicate(store))
    router.add("GET", "/api/v1/leads/search", _lead_search(router))


def money(value: float, currency: str) -> str:
    return f"{SYMBOLS.get(currency, '')}{value:,.0f}" + (
        "" if currency in SYMBOLS else f" {currency}"
    )


def deals(
    store: Store,
    status: str | None,
    owner: int | None,
    pipeline: int | None,
    stage: int | None,
    window: tuple[str, float, float] | None = None,
) -> Iterator[Record]:
    """Live, unarchived deals matching the filters, built-in attributes only. ``window``
    (``add_time``/``update_time``, from, to) is checked on the columns, before generating."""
    cols = store.columns.get("deal")
    times = None
    if window is not None and window[0] in ("add_time", "update_time"):
        times = cols.add_time if window[0] == "add_time" else cols.update_time
    code = DEAL_STATUSES.index(status) if status else None
    stages = {
        s["id"] for s in store.tables["stage"].overlay.values() if s["pipeline_id"] == pipeline
    }
    written = store.tables["deal"].overlay
    for i in range(1, store.counts.deal + 1):
        if i in written or cols.flags[i] & 3:
            continue
        if code is not None and cols.ints["status"][i] != code:
            continue
        if owner is not None and cols.ints["owner_id"][i] != owner:
            continue
        if stage is not None and cols.ints["stage_id"][i] != stage:
            continue
        if pipeline is not None and cols.ints["stage_id"][i] not in stages:
            continue
        if times is not None and window is not None and not window[1] <= times[i] < window[2]:
            continue
        yield store.generator.make("deal", i, custom=False)
    for rec in list(written.values()):
        if rec.get("is_deleted") or rec.get("is_archived"):
            continue
        if (status and rec["status"] != status) or (owner and rec["owner_id"] != owner):
            continue
        if (stage and rec["stage_id"] != stage) or (pipeline and rec["pipeline_id"] != pipeline):
            continue
        yield rec


def _filters(store: Store, req: Request) -> tuple[str | None, int | None, int | None, int | None]:
    status = req.arg("status") or None
    if status is not None and status not in DEAL_STATUSES:
        raise ApiProblem(400, f"Parameter 'status' must be one of: {', '.join(DEAL_STATUSES)}")
    filter_id = int_arg(req, "filter_id", minimum=1)
    if filter_id is not None and store.get("filter", filter_id) is None:
        raise ApiProblem(404, "Filter not found")
    owner = int_arg(req, "user_id", minimum=1)
    pipeline = int_arg(req, "pipeline_id", minimum=1)
    stage = int_arg(req, "stage_id", minimum=1)
    return status, owner, pipeline, stage


def _weight(store: Store, deal: Record) -> float:
    if deal.get("probability") is not None:
        return float(deal["probability"]) / 100
    stage = store.tables["stage"].overlay.get(deal["stage_id"]) or {}
    return float(stage.get("deal_probability") or 100) / 100


def _summary(store: Store) -> Any:
    memo: dict[Any, Record] = {}

    def handle(req: Request) -> Response:
        key = (_filters(store, req), store.latest_change())
        if key not in memo:
            memo.clear()
            memo[key] = summarise(store, list(deals(store, *key[0])))
        return ok(copy.deepcopy(memo[key]))

    return handle


def summarise(store: Store, rows: list[Record]) -> Record:
    values: dict[str, Record] = {}
    weighted: dict[str, Record] = {}
    total = total_weighted = 0.0
    for deal in rows:
        cur, value = deal["currency"], float(deal["value"] or 0)
        w = value * _weight(store, deal)
        slot = values.setdefault(cur, {"value": 0.0, "count": 0, "value_converted": 0.0})
        slot["value"] += value
        slot["count"] += 1
        slot["value_converted"] += value * RATES.get(cur, 1.0)
        wslot = weighted.setdefault(cur, {"value": 0.0, "count": 0})
        wslot["value"] += w
        wslot["count"] += 1
        total += value * RATES.get(cur, 1.0)
        total_weighted += w * RATES.get(cur, 1.0)
    for cur, slot in values.items():
        slot["value"] = round(slot["value"], 2)
        slot["value_converted"] = round(slot["value_converted"], 2)
        slot["value_formatted"] = money(slot["value"], cur)
        slot["value_converted_formatted"] = money(slot["value_converted"], "EUR")
    for cur, slot in weighted.items():
        slot["value"] = round(slot["value"], 2)
        slot["value_formatted"] = money(slot["value"], cur)
    return {"values_total": values, "weighted_values_total": weighted, "total_count": len(rows),
            "total_currency_converted_value": round(total, 2),
            "total_weighted_currency_converted_value": round(total_weighted, 2),
            "total_currency_converted_value_formatted": money(total, "EUR"),
            "total_weighted_currency_converted_value_formatted": money(total_weighted, "EUR")}  # fmt: skip


def _period_end(start: date, interval: str, amount: int) -> date:
    if interval in ("day", "week"):
        return start + timedelta(days=amount * (1 if interval == "day" else 7))
    months = amount * (1 if interval == "month" else 3)
    year, month = divmod(start.month - 1 + months, 12)
    day = min(start.day, calendar.monthrange(start.year + year, month + 1)[1])
    return date(start.year + year, month + 1, day)


def _timeline(store: Store) -> Any:
    def handle(req: Request) -> Response:
        try:
            start = date.fromisoformat(req.arg("start_date") or "")
        except ValueError:
            raise ApiProblem(
                400, "Parameter 'start_date' is required: a date (YYYY-MM-DD)"
            ) from None
        interval = req.arg("interval") or ""
        if interval not in INTERVALS:
            raise ApiProblem(400, f"Parameter 'interval' must be one of: {', '.join(INTERVALS)}")
        amount = int_arg(req, "amount", minimum=1)
        if amount is None:
            raise ApiProblem(400, "Parameter 'amount' is required: the number of intervals")
        field_key = req.arg("field_key") or ""
        if field_key not in DATE_FIELDS:
            raise ApiProblem(400, f"Parameter 'field_key' must be one of: {', '.join(DATE_FIELDS)}")
        exclude = req.arg("exclude_deals") or "0"
        if exclude not in ("0", "1"):
            raise ApiProblem(400, "Parameter 'exclude_deals' must be 0 or 1")
        _, owner, pipeline, _stage = _filters(store, req)
        begin = datetime.combine(start, datetime.min.time(), timezone.utc).timestamp()
        end_day = _period_end(start, interval, amount)
        end = datetime.combine(end_day, datetime.min.time(), timezone.utc).timestamp()
        chosen = [d for d in deals(store, None, owner, pipeline, None, (field_key, begin, end))
                  if begin <= _when(d.get(field_key)) < end]  # fmt: skip
        chosen.sort(key=lambda d: (_when(d.get(field_key)), d["id"]))
        totals = summarise(store, chosen)
        by_status = {s: [d for d in chosen if d["status"] == s] for s in ("open", "won")}
        renderer = V1Renderer(store, user_id(req))
        data = {"period_start": v1_time(begin), "period_end": v1_time(end - 1),
                "deals": [] if exclude == "1" else [_flat_deal(renderer, d) for d in chosen],
                "totals": {"count": len(chosen), "values": _values(totals["values_total"]),
                           "weighted_values": _values(totals["weighted_values_total"]),
                           "open_count": len(by_status["open"]),
                           "open_values": _values(summarise(store, by_status["open"])["values_total"]),
                           "weighted_open_values": _values(summarise(store, by_status["open"])["weighted_values_total"]),
                           "won_count": len(by_status["won"]),
                           "won_values": _values(summarise(store, by_status["won"])["values_total"])}}  # fmt: skip
        return ok(data)

    return handle


def _values(per_currency: Record) -> Record:
    return {cur: slot["value"] for cur, slot in per_currency.items()}


def _when(value: Any) -> float:
    if value is None:
        return -1.0
    if isinstance(value, str):
        return parse_time(value)
    return float(value)


def _flat_deal(renderer: V1Renderer, deal: Record) -> Record:
    out = renderer.render("deal", deal)
    flat = {
        k: (v.get("value") if isinstance(v, dict) and "value" in v else v) for k, v in out.items()
    }
    flat["user_id"] = deal["owner_id"]
    return flat


def _duplicate(store: Store) -> Any:
    """A copy of the deal, open in the same stage, with its products and a "(copy)" title."""

    def handle(req: Request) -> Response:
        deal = live(store, "deal", req.path_params["id"], "Deal")
        if deal.get("is_archived"):
            raise ApiProblem(403, "Archived deals cannot be duplicated")
        data = {
            k: copy.deepcopy(v)
            for k, v in deal.items()
            if k not in ("id", "add_time", "update_time")
        }
        data.update(title=f"{deal['title']} (copy)", status="open", won_time=None, lost_time=None,
                    close_time=None, lost_reason=None, stage_change_time=None,
                    creator_user_id=user_id(req))  # fmt: skip
        with store.lock:
            created = store.create("deal", data, user_id(req))
            products = copy.deepcopy(store.relations.children("deal_product", "deal", deal["id"]))
            if products:
                target = store.relations.writable("deal_product", "deal", created["id"])
                now = store.now()
                for row in products:
                    row.update(id=store.relations.new_id(), deal_id=created["id"], add_time=now,
                               update_time=now)  # fmt: skip
                    target.append(row)
        return ok(_flat_deal(V1Renderer(store, user_id(req)), created))

    return handle


def _lead_search(router: Router) -> Any:
    """v1 lead search = the v2 one (same index and ranking), paged by ``start``/``limit``."""

    def handle(req: Request) -> Response:
        start = int_arg(req, "start", 0) or 0
        limit = int_arg(req, "limit", 100, minimum=1) or 100
        if limit > 500:
            raise ApiProblem(400, "Parameter 'limit' must be at most 500")
        query = {k: v for k, v in req.query.items() if k not in ("start", "cursor")}
        offset = json.dumps({"offset": start}, separators=(",", ":")).encode()
        query["cursor"] = [base64.urlsafe_b64encode(offset).decode().rstrip("=")]
        query["limit"] = [str(limit)]
        inner = dataclasses.replace(req, path="/api/v2/leads/search", query=query)
        handler, _template, params, _exists = router.match("GET", inner.path)
        assert handler is not None, "the v2 lead search is registered before the v1 one"
        inner.path_params = params
        answer = handler(inner)
        payload = json.loads(answer.body)
        more = payload["additional_data"]["next_cursor"] is not None
        pagination: Record = {"start": start, "limit": limit, "more_items_in_collection": more}
        if more:
            pagination["next_start"] = start + limit
        return ok(payload["data"], {"pagination": pagination})

    return handle
