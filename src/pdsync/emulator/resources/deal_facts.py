"""The few facts about every live deal that statistics need, without generating records.

Goal results and pipeline statistics walk all deals of an account. A generated deal's
owner, stage, status and times come from the compact columns (see
:mod:`pdsync.emulator.records`: ``won_time``/``lost_time`` are its ``update_time`` when
closed, ``stage_change_time`` halfway between creation and update), so 100,000 deals
are walked in well under a second; written deals are read from the overlay. The value
is the one attribute that needs the record, and is fetched only for deals that count.
Stage history is read from the current stage: a deal in a stage has passed through the
stages before it in its pipeline.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timezone
from typing import TYPE_CHECKING

from pdsync.emulator.dataset import DEAL_STATUSES

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


@dataclass(frozen=True, slots=True)
class DealFact:
    id: int
    owner_id: int
    pipeline_id: int
    stage_id: int
    status: str
    add_time: float
    stage_change_time: float | None
    won_time: float | None
    lost_time: float | None


def deal_facts(store: Store) -> Iterator[DealFact]:
    """Every deal that is not deleted (archived ones included), generated ones first."""
    table = store.table("deal")
    overlay = table.overlay
    if table.base_count:
        cols = store.columns.get("deal")
        status, stage, owner = cols.ints["status"], cols.ints["stage_id"], cols.ints["owner_id"]
        pipeline_of = store.columns.pipeline_of_stage
        added, updated = cols.add_time, cols.update_time
        for i in range(1, table.base_count + 1):
            if i in overlay or cols.is_deleted(i):
                continue
            state = DEAL_STATUSES[status[i]]
            add, upd = added[i], updated[i]
            yield DealFact(
                i, owner[i], pipeline_of.get(stage[i], 1), stage[i], state, add,
                add + (upd - add) / 2, upd if state == "won" else None,
                upd if state == "lost" else None,
            )  # fmt: skip
    for rec in list(overlay.values()):
        if rec.get("is_deleted"):
            continue
        yield DealFact(
            rec["id"], rec.get("owner_id") or 0, rec.get("pipeline_id") or 0,
            rec.get("stage_id") or 0, rec.get("status") or "open", rec["add_time"],
            rec.get("stage_change_time"), rec.get("won_time"), rec.get("lost_time"),
        )  # fmt: skip


def deal_value(store: Store, deal_id: int) -> tuple[float, str]:
    rec = store.get("deal", deal_id, custom=False) or {}
    return float(rec.get("value") or 0), str(rec.get("currency") or "EUR")


def day_start(day: date) -> float:
    return datetime(day.year, day.month, day.day, tzinfo=timezone.utc).timestamp()


def period(start: date, end: date) -> tuple[float, float]:
    """``[start 00:00, end+1 00:00)`` in UTC epoch seconds: both days are included."""
    return day_start(start), day_start(end) + 86400.0


def within(moment: float | None, bounds: tuple[float, float]) -> bool:
    return moment is not None and bounds[0] <= moment < bounds[1]


def stage_orders(store: Store, pipeline_id: int) -> dict[int, int]:
    """Stage id -> position (0-based) of the live stages of a pipeline, in board order."""
    stages = sorted((s for s in store.tables["stage"].overlay.values()
                     if s["pipeline_id"] == pipeline_id and not s.get("is_deleted")),
                    key=lambda s: (s["order_nr"], s["id"]))  # fmt: skip
    return {s["id"]: n for n, s in enumerate(stages)}


def money(totals: dict[str, float]) -> dict[str, int | float]:
    """Sums per currency: whole numbers as integers (the schema types them so)."""
    return {code: int(v) if float(v).is_integer() else round(v, 2) for code, v in totals.items()}


def formatted(store: Store, totals: dict[str, float]) -> dict[str, str]:
    symbols = {c["code"]: c["symbol"] for c in store.static["currency"].values()}
    return {code: f"{symbols.get(code, code + ' ')}{v:,.0f}" for code, v in totals.items()}
