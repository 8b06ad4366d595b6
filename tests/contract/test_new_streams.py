"""The streams of issue 13, synced against the emulator and compared with its own data.

The expected data is read by plain HTTP (httpx, no pdsync code): every list walked to
its end, every per-parent list read for every live parent. Deal flow must reproduce
each deal's current stage, status and won/lost times.
"""

from __future__ import annotations

import sqlite3
import sys
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

pytest.importorskip("pdsync.emulator.server")

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "sync"))
from sync_helpers import make_client, sync

from pdsync.api.ratelimit import RateGovernor
from pdsync.catalog import STREAMS, StreamSpec, get_stream
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

ORIGINAL = {
    "deals", "archived_deals", "persons", "organizations", "activities", "products", "leads",
    "archived_leads", "notes", "files", "pipelines", "stages", "users", "activity_types",
    "lead_labels", "lead_sources", "filters", "currencies", "deal_fields", "person_fields",
    "organization_fields", "product_fields", "activity_fields", "note_fields", "deal_products",
    "deal_participants", "deal_followers", "person_followers", "organization_followers",
    "product_followers", "organization_relationships", "goals", "roles", "permission_sets",
    "webhooks",
}  # fmt: skip
NEW = [s for s in STREAMS if s.name not in ORIGINAL]


class Plain:
    """The emulator read by plain HTTP: pages walked by the envelope's own cursor/offset."""

    def __init__(self, server: EmulatorServer) -> None:
        self.http = httpx.Client(
            base_url=server.url, headers={"x-api-token": server.config.token}, timeout=30
        )

    def records(self, version: str, path: str, params: dict[str, Any]) -> list[Any]:
        out: list[Any] = []
        query: dict[str, Any] = {**params, "limit": 50}
        while True:
            body = self.http.get(f"/api/{version}/{path}", params=query).json()
            assert body.get("success") is not False, body
            data = body.get("data")
            if isinstance(data, dict):
                data = data.get("goals", [data])
            out.extend(data or [])
            extra = body.get("additional_data") or {}
            pagination = extra.get("pagination") or extra
            if extra.get("next_cursor"):
                query["cursor"] = extra["next_cursor"]
            elif pagination.get("more_items_in_collection"):
                query["start"] = pagination.get("next_start", query.get("start", 0) + len(data))
            else:
                return out


@pytest.fixture(scope="module")
def replica(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Plain]]:
    RateGovernor.forget_all()
    db = tmp_path_factory.mktemp("new") / "new.db"
    with EmulatorServer(EmulatorConfig(deals=60, seed=7, rate_limits=False)) as server:
        plain = Plain(server)
        seed_what_the_account_lacks(plain)
        with make_client(server) as client:
            report = sync(client, db, [s.name for s in NEW])
        assert all(s.skipped is None for s in report.streams), [
            (s.stream, s.skipped) for s in report.streams if s.skipped
        ]
        yield db, plain
    RateGovernor.forget_all()


def seed_what_the_account_lacks(plain: Plain) -> None:
    """Call logs past one page (50) and an archived project, so both are compared."""
    for n in range(55):
        call = {"to_phone_number": f"+3725550{n:03d}", "outcome": "connected",
                "start_time": "2026-01-02 10:00:00", "end_time": "2026-01-02 10:05:00",
                "subject": f"call {n}"}  # fmt: skip
        assert plain.http.post("/api/v1/callLogs", json=call).is_success
    project = plain.http.get("/api/v2/projects", params={"limit": 1}).json()["data"][0]
    assert plain.http.post(f"/api/v2/projects/{project['id']}/archive").is_success


def query(db: Path, sql: str) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql).fetchall()


def live_parent_ids(db: Path, spec: StreamSpec) -> list[Any]:
    assert spec.parent is not None
    parent = get_stream(spec.parent.stream)
    return [
        r[0]
        for r in query(
            db,
            f'SELECT "{parent.primary_key[0]}" FROM "{parent.name}" '
            "WHERE _pdsync_deleted_at IS NULL",
        )
    ]


def expected(plain: Plain, db: Path, spec: StreamSpec) -> list[tuple[Any, dict[str, Any]]]:
    """(parent id, record) of everything the API lists for ``spec``."""
    params = dict(spec.params)
    if spec.parent is None:
        value_sets = [dict(p) for p in spec.fanout] or [{}]
        return [
            (None, r)
            for values in value_sets
            for r in plain.records(spec.version, spec.path, {**params, **values})
        ]
    out = []
    for parent_id in live_parent_ids(db, spec):
        if spec.parent.via == "path":
            path, extra = spec.path.replace("{id}", str(parent_id)), {}
        else:
            path, extra = spec.path, {spec.parent.via: parent_id}
        out += [(parent_id, r) for r in plain.records(spec.version, path, {**params, **extra})]
    return out


@pytest.mark.parametrize("spec", NEW, ids=lambda s: s.name)
def test_every_new_stream_holds_what_the_api_lists(
    replica: tuple[Path, Plain], spec: StreamSpec
) -> None:
    db, plain = replica
    api = expected(plain, db, spec)
    stored = query(db, f'SELECT COUNT(*) FROM "{spec.name}" WHERE _pdsync_deleted_at IS NULL')
    if spec.fanout:  # a thread listed in two folders is one row
        keys = {tuple(r.get(k) for k in spec.primary_key) for _, r in api}
        assert stored[0][0] == len(keys)
        return
    assert stored[0][0] == len(api), f"{spec.name}: {stored[0][0]} rows, the API lists {len(api)}"
    plain_keys = [
        k for k in spec.primary_key if any(c.name == k and c.source == k for c in spec.columns)
    ]
    if plain_keys:  # keys the API sends as such: the same set in the replica
        sql = f'SELECT {", ".join(plain_keys)} FROM "{spec.name}" WHERE _pdsync_deleted_at IS NULL'
        got = Counter(tuple(str(v) for v in row) for row in query(db, sql))
        want = Counter(tuple(str(r.get(k)) for k in plain_keys) for _, r in api)
        assert got == want


def test_there_is_something_to_compare(replica: tuple[Path, Plain]) -> None:
    db, _ = replica
    empty = [s.name for s in NEW if not query(db, f'SELECT 1 FROM "{s.name}" LIMIT 1')]
    assert empty == []


def test_deal_flow_reproduces_each_deals_stage_status_and_close_times(
    replica: tuple[Path, Plain],
) -> None:
    db, _ = replica
    deals = query(
        db,
        "SELECT id, stage_id, status, won_time, lost_time FROM deals "
        "WHERE _pdsync_deleted_at IS NULL",
    )
    checked_stage = checked_close = 0
    for deal_id, stage_id, status, won_time, lost_time in deals:
        flow = query(
            db,
            "SELECT field_key, new_value, time FROM deal_flow "
            f"WHERE deal_id = {deal_id} ORDER BY time, id",
        )
        stages = [new for key, new, _ in flow if key == "stage_id"]
        if stages:
            assert stages[-1] == str(stage_id), f"deal {deal_id}: flow ends in {stages[-1]}"
            checked_stage += 1
        statuses = [(new, when) for key, new, when in flow if key == "status"]
        if statuses:
            last, when = statuses[-1]
            assert last == status, f"deal {deal_id}: flow says {last}, the deal {status}"
            if status == "won":
                assert when == won_time
            if status == "lost":
                assert when == lost_time
            checked_close += 1
        elif status in ("won", "lost"):
            pytest.fail(f"deal {deal_id} is {status} but its flow has no status change")
    assert checked_stage > len(deals) // 2 and checked_close > 0
