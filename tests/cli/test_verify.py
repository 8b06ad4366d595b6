"""``pdsync verify``: a replica audited against the emulator, through the CLI and the library.

One emulated account (600 deals, limits off) is synced once per module; each test
audits its own copy of that replica after damaging it in a known way, so the counts
the audit reports can be checked exactly.
"""

from __future__ import annotations

import json
import re
import shutil
import sqlite3
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.catalog.registry import get_stream
from pdsync.cli import main
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.run import incremental_capable
from pdsync.verify import VerifyOptions, verify_replica
from pdsync.verify.listing import PageWalker
from pdsync.verify.replica import ReplicaKeys
from pdsync.verify.report import LiveKeys, compare

STREAMS = ["deals", "persons", "organizations", "products", "deal_products", "deal_followers"]
CLEAN = ["persons", "organizations", "products", "deal_products"]  # not hit by open issues


@pytest.fixture(scope="module")
def account() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=600, seed=3, rate_limits=False)) as server:
        yield server


def client_for(server: EmulatorServer) -> PipedriveClient:
    return PipedriveClient(
        Connection(api_token=server.config.token, base_url=server.url),
        governor=RateGovernor(burst_limit=100_000),
    )


@pytest.fixture(scope="module")
def synced(account: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Path:
    db = tmp_path_factory.mktemp("verify") / "synced.db"
    destination = open_destination(f"sqlite:///{db}")
    selections = select_streams(incremental_capable(), requested=STREAMS)
    with client_for(account) as client:
        SyncEngine(client, destination, selections, SyncOptions()).run()
    destination.close()
    return db


@pytest.fixture
def replica(synced: Path, tmp_path: Path) -> Path:
    copy = tmp_path / "replica.db"
    shutil.copy(synced, copy)
    return copy


def run_cli(server: EmulatorServer, db: Path, *args: str) -> Any:
    env = {"PIPEDRIVE_API_TOKEN": server.config.token, "PIPEDRIVE_BASE_URL": server.url}
    return CliRunner().invoke(main, ["verify", "--target", f"sqlite:///{db}", *args], env=env)


def execute(db: Path, sql: str, params: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def live_deleted_deal_ids(server: EmulatorServer) -> list[int]:
    """Deals the API lists with status=deleted, read with plain HTTP."""
    response = httpx.get(
        f"{server.url}/api/v2/deals",
        params={"status": "deleted", "limit": 500},
        headers={"x-api-token": server.config.token},
    )
    body = response.json()
    assert not body["additional_data"].get("next_cursor"), "more than one page of deleted deals"
    return [d["id"] for d in body["data"]]


def test_a_complete_replica_exits_0_and_shows_the_cost_first(
    account: EmulatorServer, replica: Path
) -> None:
    result = run_cli(account, replica, *CLEAN)
    assert result.exit_code == 0, result.output
    assert "Verify lists every id of 4 stream(s): about" in result.output
    assert "Replica complete: 4 streams match the API." in result.output
    persons = execute(replica, "SELECT COUNT(*) FROM persons")[0][0]
    row = rf"^persons\s+{persons:,}\s+{persons:,}\s+0\s+0\s+0\s+\d+\s+complete$"
    assert re.search(row, result.stdout, re.M), result.stdout


def test_missing_extra_and_hidden_rows_are_counted_and_exit_10(
    account: EmulatorServer, replica: Path
) -> None:
    gone = [r[0] for r in execute(replica, "SELECT id FROM persons ORDER BY id DESC LIMIT 3")]
    execute(replica, f"DELETE FROM persons WHERE id IN ({','.join(map(str, gone))})")
    execute(replica, "INSERT INTO persons (id, name) VALUES (987654, 'never in Pipedrive')")
    hidden = [r[0] for r in execute(replica, "SELECT id FROM organizations ORDER BY id LIMIT 2")]
    execute(
        replica,
        f"UPDATE organizations SET _pdsync_deleted_at = '2024-01-01T00:00:00Z' "
        f"WHERE id IN ({','.join(map(str, hidden))})",
    )
    result = run_cli(account, replica, "persons", "organizations", "--json")
    assert result.exit_code == 10, result.output
    report = json.loads(result.stdout)
    assert report["ok"] is False
    by_name = {s["stream"]: s for s in report["streams"]}
    persons, orgs = by_name["persons"], by_name["organizations"]
    assert (persons["missing"], persons["extra"], persons["hidden"]) == (3, 1, 0)
    assert sorted(persons["missing_ids"]) == sorted(map(str, gone))
    assert persons["extra_ids"] == ["987654"]
    assert (orgs["missing"], orgs["extra"], orgs["hidden"]) == (0, 0, 2)
    assert "persons (3 missing, 1 extra)" in report["verdict"]


def test_deleted_deals_count_as_listed_and_their_marks_are_checked(
    account: EmulatorServer, replica: Path
) -> None:
    deleted = live_deleted_deal_ids(account)
    assert len(deleted) >= 3, "the seeded account should have deals deleted recently"
    # Whatever the sync did with them, make the replica hold each one, marked deleted.
    for deal_id in deleted:
        execute(
            replica,
            "INSERT INTO deals (id, _pdsync_deleted_at) VALUES (?, '2024-01-01T00:00:00Z') "
            "ON CONFLICT(id) DO UPDATE SET _pdsync_deleted_at = excluded._pdsync_deleted_at",
            (deal_id,),
        )
    with client_for(account) as client:
        destination = open_destination(f"sqlite:///{replica}", readonly=True)
        try:
            report = verify_replica(client, destination, ["deals"])
            assert report.ok, report.verdict()
            assert report.streams[0].api_deleted == len(deleted)
            # Unmarked: alive in the replica but deleted live -> extra. Absent -> missing.
            execute(
                replica, "UPDATE deals SET _pdsync_deleted_at = NULL WHERE id = ?", (deleted[0],)
            )
            execute(replica, "DELETE FROM deals WHERE id = ?", (deleted[1],))
            deals = verify_replica(client, destination, ["deals"]).streams[0]
        finally:
            destination.close()
    assert (deals.missing, deals.extra, deals.hidden) == (1, 1, 0)
    assert deals.missing_ids == (str(deleted[1]),) and deals.extra_ids == (str(deleted[0]),)


def test_sampled_pages_find_loss_on_them_but_do_not_claim_extras(
    account: EmulatorServer, replica: Path
) -> None:
    total = execute(replica, "SELECT COUNT(*) FROM persons")[0][0]
    assert total > 500, "persons must span more than one page for a sample"
    execute(replica, "UPDATE persons SET _pdsync_deleted_at = '2024-01-01T00:00:00Z'")
    result = run_cli(account, replica, "persons", "--sample", "1", "--seed", "5", "--json")
    assert result.exit_code == 10, result.output
    persons = json.loads(result.stdout)["streams"][0]
    assert persons["sampled"] is True and persons["requests"] == 1
    assert persons["extra"] is None
    assert 0 < persons["hidden"] == persons["api"] <= 500  # every record of the page
    assert "Replica INCOMPLETE (a sample of 1 page(s) per stream)" in result.stderr


def test_costly_per_parent_children_are_skipped_with_the_reason(
    account: EmulatorServer, replica: Path
) -> None:
    result = run_cli(account, replica, "deal_followers", "--max-child-requests", "10")
    assert result.exit_code == 0, result.output
    assert "deal_followers: skipped, would cost ~" in result.stderr
    assert "raise --max-child-requests" in result.output


def test_per_parent_children_are_checked_when_affordable(
    account: EmulatorServer, replica: Path
) -> None:
    row = execute(replica, "SELECT deal_id, user_id FROM deal_followers LIMIT 1")[0]
    execute(replica, "DELETE FROM deal_followers WHERE deal_id = ? AND user_id = ?", row)
    execute(replica, "INSERT INTO deal_followers (deal_id, user_id) VALUES (?, 424242)", row[:1])
    # The library, with a governor sized for an emulator whose limits are off (one call per deal).
    destination = open_destination(f"sqlite:///{replica}", readonly=True)
    with client_for(account) as client:
        options = VerifyOptions(max_child_requests=10_000)
        report = verify_replica(client, destination, ["deal_followers"], options)
    destination.close()
    followers = report.streams[0]
    assert (followers.missing, followers.extra) == (1, 1), report.verdict()
    assert followers.missing_ids == (f"{row[0]},{row[1]}",)
    assert followers.extra_ids == (f"{row[0]},424242",)
    assert followers.requests > followers.pages > 100  # a call per deal, plus listing deals


def test_dry_run_prints_the_estimate_and_sends_nothing(
    account: EmulatorServer, replica: Path
) -> None:
    before = httpx.get(f"{account.url}/_emulator/stats").json()["total_requests"]
    result = run_cli(account, replica, *CLEAN, "--dry-run")
    after = httpx.get(f"{account.url}/_emulator/stats").json()["total_requests"]
    assert result.exit_code == 0, result.output
    assert after == before
    assert "persons" in result.stdout and "replica rows, 500 per page" in result.stdout


def test_an_unknown_stream_is_a_config_error(account: EmulatorServer, replica: Path) -> None:
    result = run_cli(account, replica, "dealz")
    assert result.exit_code == 2
    assert "Unknown stream 'dealz'" in result.output


# ---------------------------------------------------------------- pages never trusted


def paged_deals(empty_answers: int) -> tuple[httpx.MockTransport, list[int]]:
    """Three v2 pages of deals; page 2 answers ``data: null`` (promising more) N times."""
    ids = list(range(1, 8))
    pages = [ids[0:3], ids[3:6], ids[6:]]
    asked: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        number = int(request.url.params.get("cursor") or 0)
        asked.append(number)
        data: Any = [{"id": i, "status": "open"} for i in pages[number]]
        if number == 1 and asked.count(1) <= empty_answers:
            data = None
        nxt = str(number + 1) if number + 1 < len(pages) else None
        return httpx.Response(
            200, json={"success": True, "data": data, "additional_data": {"next_cursor": nxt}}
        )

    return httpx.MockTransport(handle), asked


@pytest.mark.parametrize("empty_answers,seen", [(2, 7), (5, 4)])
def test_an_empty_page_that_promises_more_is_asked_again_then_walked_past(
    empty_answers: int, seen: int
) -> None:
    transport, asked = paged_deals(empty_answers)
    client = PipedriveClient(
        Connection(api_token="t" * 32, base_url="http://pd.test"), transport=transport
    )
    walker = PageWalker(client, sleep=lambda s: None)
    pages = list(walker.walk(get_stream("deals"), {}))
    records = [r["id"] for p in pages for r in p.records]
    assert len(records) == seen and asked.count(2) == 1  # the last page is always reached
    assert [p.gap for p in pages] == [False, seen < 7, False]
    assert asked.count(1) == 3  # asked, then asked again twice


def test_an_offset_walk_steps_past_an_empty_page_by_next_start() -> None:
    asked: list[int] = []

    def handle(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["start"])
        asked.append(start)
        data = None if start == 500 else [{"id": start + i} for i in range(3)]
        more = start < 1000
        paging = {"start": start, "limit": 500, "more_items_in_collection": more}
        if more:
            paging["next_start"] = start + 500
        body = {"success": True, "data": data, "additional_data": {"pagination": paging}}
        return httpx.Response(200, json=body)

    client = PipedriveClient(
        Connection(api_token="t" * 32, base_url="http://pd.test"),
        transport=httpx.MockTransport(handle),
    )
    pages = list(PageWalker(client, sleep=lambda s: None).walk(get_stream("notes"), {}))
    assert asked == [0, 500, 500, 500, 1000]
    assert [p.gap for p in pages] == [False, True, False]
    assert [r["id"] for p in pages for r in p.records] == [0, 1, 2, 1000, 1001, 1002]


def test_compare_counts_deleted_deals_as_listed_and_marks_as_claims() -> None:
    live = LiveKeys(alive={("1",), ("2",)}, deleted={("3",), ("4",)})
    replica = ReplicaKeys("deals", True, alive={("1",), ("4",), ("9",)}, marked={("2",), ("3",)})
    result = compare("deals", live, replica, requests=1)
    assert (result.api, result.api_deleted, result.replica) == (4, 2, 5)
    assert result.missing == 0 and result.hidden == 1 and result.hidden_ids == ("2",)
    assert result.extra == 2 and result.extra_ids == ("4", "9")
    assert not result.complete


def test_a_fanned_out_stream_is_listed_as_sync_reads_it(
    account: EmulatorServer, tmp_path: Path
) -> None:
    """Mail threads are one list per folder: verify reads every folder, as sync does
    (it once read the default folder only and called the other threads extra)."""
    db = tmp_path / "mail.db"
    destination = open_destination(f"sqlite:///{db}")
    selections = select_streams(incremental_capable(), requested=["mail_threads"])
    with client_for(account) as client:
        SyncEngine(client, destination, selections, SyncOptions()).run()
        destination.close()
        replica = open_destination(f"sqlite:///{db}", readonly=True)
        try:
            report = verify_replica(client, replica, ["mail_threads"], VerifyOptions())
        finally:
            replica.close()
    assert report.ok, report.verdict()
    assert get_stream("mail_threads").fanout  # the test is about a fanned-out stream
