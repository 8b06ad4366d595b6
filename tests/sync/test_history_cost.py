"""History streams cost what changed: per changed deal, stated up front, within the daily budget."""

from __future__ import annotations

import time
from pathlib import Path
from typing import Any

import httpx
import pytest
from sync_helpers import CAPABLE, make_client, rows

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.errors import DailyBudgetExhaustedError
from pdsync.progress import Event, SyncWarning
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.report import SyncReport

HISTORY = ["deal_flow", "deal_changelog", "deal_discounts", "deal_installments"]


def run(client: PipedriveClient, db: Path, events: list[Event] | None = None) -> SyncReport:
    selections = select_streams(CAPABLE, requested=["deals", *HISTORY])
    destination = open_destination(f"sqlite:///{db}")
    sink = events.append if events is not None else None
    try:
        return SyncEngine(client, destination, selections, sink=sink).run()
    finally:
        destination.close()


def live_deals(db: Path) -> list[int]:
    return [r[0] for r in rows(db, "SELECT id FROM deals WHERE _pdsync_deleted_at IS NULL")]


def test_after_one_percent_of_deals_change_history_costs_requests_per_changed_deal(
    tmp_path: Path,
) -> None:
    db = tmp_path / "history.db"
    config = EmulatorConfig(deals=300, seed=11, rate_limits=False)
    with EmulatorServer(config) as server, make_client(server) as client:
        events: list[Event] = []
        first = run(client, db, events)
        deals = live_deals(db)
        assert first.stream("deal_flow").requests == len(deals)  # first sync: every deal
        assert first.stream("deal_installments").requests == -(-len(deals) // 100)
        notices = [e.message for e in events if isinstance(e, SyncWarning)]
        assert any(
            f"deal_flow: first read of {len(deals):,} parents" in m
            and f"{len(deals) * 40:,} tokens" in m
            for m in notices
        ), notices

        changed = deals[:: len(deals) // 3][:3]  # 1 % of 300
        for deal_id in changed:
            client.patch(f"deals/{deal_id}", json={"title": f"renamed {deal_id}"})
        second = run(client, db)
        for name in ("deal_flow", "deal_changelog", "deal_discounts"):
            assert second.stream(name).requests == len(changed), name
        assert second.stream("deal_installments").requests == 1
        # deals (probe + deleted pass), deal fields, and the history of 3 deals.
        assert second.requests <= 4 + 3 * len(changed) + 1
        for deal_id in changed:
            titles = rows(
                db,
                "SELECT new_value FROM deal_flow WHERE deal_id = ? AND field_key = 'title'",
                [deal_id],
            )
            assert (f"renamed {deal_id}",) in titles

        third = run(client, db)
        assert sum(third.stream(n).requests for n in HISTORY) == 0


def flow_rows(base: str, token: str, deal_ids: list[int]) -> int:
    total = 0
    with httpx.Client(base_url=base, headers={"x-api-token": token}) as http:
        for deal_id in deal_ids:
            params: dict[str, Any] = {"items": "dealChange", "all_changes": 1, "limit": 500}
            response = http.get(f"/api/v1/deals/{deal_id}/flow", params=params)
            while response.status_code == 429:  # the burst window: wait as told
                time.sleep(float(response.headers.get("retry-after", "1")))
                response = http.get(f"/api/v1/deals/{deal_id}/flow", params=params)
            body = response.json()
            assert not body["additional_data"]["pagination"]["more_items_in_collection"]
            total += len(body["data"])
    return total


def test_a_first_deal_flow_sync_stops_at_the_daily_budget_and_resumes_with_the_rest(
    tmp_path: Path,
) -> None:
    db = tmp_path / "budget.db"
    config = EmulatorConfig(
        deals=120, seed=5, plan="ultimate", rate_limits=True, daily_budget=2_500
    )
    with EmulatorServer(config) as server:
        with make_client(server) as client:
            selections = select_streams(CAPABLE, requested=["deals", "deal_flow"])
            destination = open_destination(f"sqlite:///{db}")
            # One fetch thread: chunks of 25 deals end one after the other before the stop.
            engine = SyncEngine(client, destination, selections, SyncOptions(workers=1))
            with pytest.raises(DailyBudgetExhaustedError) as stop:
                engine.run()
            destination.close()
            assert "again after the reset" in stop.value.hint
            assert engine.report is not None and not engine.report.ok
            read_before = engine.report.stream("deal_flow").requests
            kept = rows(db, "SELECT COUNT(DISTINCT deal_id) FROM deal_flow")[0][0]
            assert kept > 0, "chunks read before the stop are committed"

        httpx.post(
            f"{server.url}/_emulator/budget/reset", json={"remaining": 100_000}
        ).raise_for_status()
        RateGovernor.forget_all()  # a new process would start without the spent governor
        with make_client(server) as client:
            selections = select_streams(CAPABLE, requested=["deals", "deal_flow"])
            destination = open_destination(f"sqlite:///{db}")
            try:
                resumed = SyncEngine(client, destination, selections).run()
            finally:
                destination.close()
        deals = live_deals(db)
        # The resumed run reads the deals not yet read (plus the chunks cut by the stop).
        assert resumed.stream("deal_flow").requests < len(deals)
        assert resumed.stream("deal_flow").requests + read_before >= len(deals)
        stored = rows(db, "SELECT COUNT(*) FROM deal_flow WHERE _pdsync_deleted_at IS NULL")[0][0]
        assert stored == flow_rows(server.url, server.config.token, deals)


def test_children_of_a_parent_read_whole_follow_its_update_time(
    client: PipedriveClient, tmp_path: Path
) -> None:
    """Projects have no `updated_since`: their table's update_time picks the changed ones."""
    db = tmp_path / "projects.db"
    streams = ["projects", "project_changelog", "project_plan"]

    def once() -> SyncReport:
        selections = select_streams(CAPABLE, requested=streams)
        destination = open_destination(f"sqlite:///{db}")
        try:
            return SyncEngine(client, destination, selections).run()
        finally:
            destination.close()

    first = once()
    projects = [r[0] for r in rows(db, "SELECT id FROM projects")]
    assert first.stream("project_changelog").requests == len(projects) > 1
    client.patch(f"projects/{projects[0]}", json={"title": "renamed"})
    second = once()
    assert second.stream("project_changelog").requests == 1
    assert second.stream("project_plan").requests == 1
    changes = rows(
        db, "SELECT new_values FROM project_changelog WHERE project_id = ?", [projects[0]]
    )
    assert any("renamed" in (c[0] or "") for c in changes)
    assert once().stream("project_changelog").requests == 0
