"""Order is never trusted blindly: walks that move by the records' cursor check the order.

Small stateful fakes serve a list of records whose id order differs from their
update_time order, sorted as asked or not; a last test syncs notes and leads from the
real emulator behind a middleware that strips ``sort`` from their requests.
"""

from __future__ import annotations

import json
import random
import sqlite3
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx
from sync_helpers import sync

from pdsync.api.client import PipedriveClient
from pdsync.api.notices import EMPTY_PAGE, UNORDERED
from pdsync.api.ratelimit import RateGovernor
from pdsync.catalog.registry import CATALOG
from pdsync.config import Connection
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.progress import Event, SyncWarning
from pdsync.sync.fetch import partition_task, probe_task
from pdsync.sync.items import RowsItem, WorkItem
from pdsync.sync.reader import incremental_params, walk
from pdsync.sync.report import format_report
from pdsync.sync.state import Partition

BASE = datetime(2025, 1, 1, tzinfo=timezone.utc)
# Pages of 10 records: a few dozen records make many pages.
NOTES = replace(CATALOG["notes"], page_limit=10)  # v1, offset pages, keyset walk
DEALS = replace(CATALOG["deals"], page_limit=10)  # v2, cursor pages


def _instant(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00")).replace(tzinfo=timezone.utc)


@dataclass
class ListFake:
    """``total`` records: ids 1..n, update times shuffled against the ids (a few ties).

    ``order`` is how the list comes: "asked" (update_time then id, as requested),
    "id" (the sort ignored) or "page_sorted" (pages cut in id order, then each sorted:
    every page looks right, the pages do not meet). ``null_pages`` maps a request number
    (1-based) to a ``data: null`` answer with the rest of the envelope intact.
    """

    total: int = 60
    order: str = "asked"
    null_pages: set[int] = field(default_factory=set)
    requests: list[dict[str, str]] = field(default_factory=list)

    def __post_init__(self) -> None:
        rank = list(range(self.total))
        random.Random(7).shuffle(rank)
        self.times = {i + 1: BASE + timedelta(seconds=rank[i] // 3) for i in range(self.total)}

    def handle(self, request: httpx.Request) -> httpx.Response:
        params = dict(request.url.params)
        self.requests.append(params)
        v1 = request.url.path.startswith("/api/v1/")
        since = params.get("updated_since")
        until = params.get("updated_until")
        ids = [
            i
            for i in range(1, self.total + 1)
            if (since is None or self.times[i] >= _instant(since))
            and (until is None or self.times[i] < _instant(until))
        ]
        asked = params.get("sort") == "update_time ASC" or params.get("sort_by") == "update_time"
        if asked and self.order == "asked":
            ids.sort(key=lambda i: (self.times[i], i))
        limit = int(params["limit"])
        start = int(params.get("start" if v1 else "cursor", "0"))
        page = ids[start : start + limit]
        if asked and self.order == "page_sorted":
            page.sort(key=lambda i: (self.times[i], i))
        more = start + limit < len(ids)
        data: Any = (
            None if len(self.requests) in self.null_pages else [self.record(i) for i in page]
        )
        if v1:
            pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
            extra: dict[str, Any] = {"pagination": {**pagination, "next_start": start + limit}}
        else:
            extra = {"next_cursor": str(start + limit) if more else None}
        return httpx.Response(200, json={"success": True, "data": data, "additional_data": extra})

    def record(self, i: int) -> dict[str, Any]:
        t = self.times[i]
        return {"id": i, "update_time": t.strftime("%Y-%m-%d %H:%M:%S"), "content": f"note {i}"}

    def between(self, since: datetime, until: datetime | None = None) -> set[int]:
        return {i for i, t in self.times.items() if t >= since and (until is None or t < until)}


def client_for(handler: Callable[[httpx.Request], httpx.Response]) -> PipedriveClient:
    return PipedriveClient(
        Connection(api_token="t" * 32, base_url="http://pd.test"),
        transport=httpx.MockTransport(handler),
        governor=RateGovernor(burst_limit=100_000),
        sleep=lambda s: None,
    )


def ids(pages: Iterable[Any]) -> set[int]:
    return {r["id"] for p in pages for r in p.records}


SINCE = "2025-01-01T00:00:04Z"


def test_a_sorted_v1_list_is_walked_by_keyset_without_a_single_extra_request() -> None:
    fake = ListFake(order="asked")
    with client_for(fake.handle) as client:
        pages = list(walk(client, NOTES, incremental_params(NOTES, SINCE, None)))
        assert client.notices.snapshot() == {}
    assert ids(pages) == fake.between(_instant(SINCE))
    assert len(fake.requests) == len(pages)  # the checks cost nothing
    assert all(p.seen is not None for p in pages)
    assert int(fake.requests[1]["start"]) == 0 and fake.requests[1]["updated_since"] > SINCE


def test_a_v1_list_that_ignores_sort_still_yields_every_record_and_says_so() -> None:
    fake = ListFake(order="id")
    with client_for(fake.handle) as client:
        pages = list(walk(client, NOTES, incremental_params(NOTES, SINCE, None)))
        (notice,) = client.notices.snapshot().values()
    assert ids(pages) == fake.between(_instant(SINCE))
    assert (notice.subject, notice.kind, notice.count) == ("notes", UNORDERED, 1)
    # The plain listing has no safe bookmark until it ends, and resumes from its start.
    assert all(p.seen is None for p in pages)
    assert [p.next_page is None for p in pages] == [False] * (len(pages) - 1) + [True]
    assert all(p.next_page.startswith("unordered:") for p in pages[:-1])  # type: ignore[union-attr]
    fallback = fake.requests[1:]
    assert all(r["sort"] == "id ASC" and r["updated_since"] == SINCE for r in fallback)


def test_v2_pages_sorted_one_by_one_but_not_meeting_fall_back_at_the_second_page() -> None:
    fake = ListFake(order="page_sorted")
    until = "2025-01-01T00:00:18Z"
    with client_for(fake.handle) as client:
        params = incremental_params(DEALS, SINCE, until)
        pages = list(walk(client, DEALS, params))
        assert client.notices.count("deals", UNORDERED) == 1
    assert ids(pages) == fake.between(_instant(SINCE), _instant(until))
    # The first page was in order and checked; the second was not, and nothing of it was
    # handed on: the walk restarted without the sort, from the first page.
    assert fake.requests[0]["sort_by"] == "update_time" and "cursor" not in fake.requests[2]
    assert "sort_by" not in fake.requests[2] and pages[0].seen is not None


def test_records_outside_the_range_are_dropped_on_our_side_after_a_fallback() -> None:
    fake = ListFake(order="id")
    until = "2025-01-01T00:00:10Z"

    def ignore_filters(request: httpx.Request) -> httpx.Response:
        kept = [(k, v) for k, v in request.url.params.multi_items() if "updated_" not in k]
        url = request.url.copy_with(query=urlencode(kept).encode())
        return fake.handle(httpx.Request(request.method, url))

    with client_for(ignore_filters) as client:
        pages = list(walk(client, DEALS, incremental_params(DEALS, SINCE, until)))
        assert client.notices.count("deals", UNORDERED) == 1  # a record before `since`
    assert ids(pages) == fake.between(_instant(SINCE), _instant(until))


def test_a_null_page_in_a_keyset_walk_is_asked_again_then_walked_past_with_a_warning() -> None:
    healed = ListFake(order="asked", null_pages={2})
    with client_for(healed.handle) as client:
        assert ids(walk(client, NOTES, incremental_params(NOTES, SINCE, None))) == healed.between(
            _instant(SINCE)
        )
        assert client.notices.snapshot() == {} and client.stats.retries == 1
    stuck = ListFake(order="asked", null_pages={2, 3, 4, 5})
    with client_for(stuck.handle) as client:
        got = ids(walk(client, NOTES, incremental_params(NOTES, SINCE, None)))
        assert client.notices.count("notes", EMPTY_PAGE) == 1
    missing = stuck.between(_instant(SINCE)) - got
    assert 0 < len(missing) <= NOTES.page_limit  # one page walked past; the walk went on
    assert int(stuck.requests[5]["start"]) == NOTES.page_limit  # past it by its next_start


def test_a_null_last_page_is_asked_again_though_its_envelope_promises_nothing() -> None:
    pages = len(
        list(walk(client_for(ListFake().handle), NOTES, incremental_params(NOTES, SINCE, None)))
    )
    fake = ListFake(order="asked", null_pages={pages})
    with client_for(fake.handle) as client:
        got = ids(walk(client, NOTES, incremental_params(NOTES, SINCE, None)))
        assert client.stats.retries == 1 and client.notices.snapshot() == {}
    assert got == fake.between(_instant(SINCE))


def collect(task: Callable[[Callable[[WorkItem], None]], None]) -> list[RowsItem]:
    items: list[WorkItem] = []
    task(items.append)
    return [i for i in items if isinstance(i, RowsItem)]


@dataclass
class FakeRun:
    """What a fetch task reads of a StreamRun."""

    spec: Any
    signpost: str = "2025-01-01T01:00:00Z"
    count_columns: tuple[str, ...] = ()

    def to_rows(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        return [dict(r) for r in records]


def test_a_probe_whose_first_page_is_out_of_order_reads_on_in_one_partition() -> None:
    fake = ListFake(order="id")
    with client_for(fake.handle) as client:
        run: Any = FakeRun(NOTES)
        items = collect(probe_task(run, client, SINCE, max_windows=8))
    assert items[0].plan is not None and len(items[0].plan.partitions) == 1
    assert {r["id"] for i in items for r in i.rows} == fake.between(_instant(SINCE))
    assert all(i.seen is None for i in items) and items[-1].next_page is None


def test_a_partition_that_fell_back_resumes_its_plain_listing_from_its_start() -> None:
    fake = ListFake(order="id")
    part = Partition(
        SINCE, "2025-01-01T01:00:00Z", next_page="unordered:500", last_seen="2025-01-01T00:00:15Z"
    )
    with client_for(fake.handle) as client:
        run: Any = FakeRun(NOTES)
        items = collect(partition_task(run, client, 0, part))
    assert {r["id"] for i in items for r in i.rows} == fake.between(_instant(SINCE))
    assert fake.requests[0]["updated_since"] == SINCE and fake.requests[0]["sort"] == "id ASC"
    assert len(fake.requests) == len(items)  # no first try in the order known to fail


# ------------------------------------------------------------- the real emulator


def strip_sort(app: Callable[..., Any], paths: tuple[str, ...]) -> Callable[..., Any]:
    """WSGI middleware: ``sort`` never reaches ``paths`` (a server that ignores it)."""

    def middleware(environ: dict[str, Any], start_response: Callable[..., Any]) -> Any:
        if environ.get("PATH_INFO") in paths:
            query = parse_qsl(environ.get("QUERY_STRING", ""), keep_blank_values=True)
            environ["QUERY_STRING"] = urlencode([(k, v) for k, v in query if k != "sort"])
        return app(environ, start_response)

    return middleware


def unsorted_emulator(config: EmulatorConfig) -> PipedriveClient:
    """A client of an in-process emulator whose notes and leads ignore ``sort``."""
    app = strip_sort(Emulator(config).wsgi, ("/api/v1/notes", "/api/v1/leads"))
    return PipedriveClient(
        Connection(api_token=config.token, base_url="http://emulator.test"),
        transport=httpx.WSGITransport(app=app),
        governor=RateGovernor(burst_limit=100_000),
        sleep=lambda seconds: None,  # retries without waiting
    )


def listed_ids(client: PipedriveClient, path: str) -> set[Any]:
    return {r["id"] for r in client.iter_items(path, version="v1", params={"limit": 500})}


def test_a_sync_against_an_emulator_that_ignores_sort_gets_every_note_and_lead(
    tmp_path: Path,
) -> None:
    client = unsorted_emulator(EmulatorConfig(deals=6000, seed=5, rate_limits=False))
    db = tmp_path / "replica.db"
    with client:
        events: list[Event] = []
        first = sync(client, db, ["notes", "leads"], sink=events.append)
        notes, leads = listed_ids(client, "notes"), listed_ids(client, "leads")
        assert len(notes) >= 2500 and len(leads) >= 500  # many pages each
        assert replica_ids(db, "notes") == notes and replica_ids(db, "leads") == leads
        said = format_report(first)
        assert "Warning: notes: " in said and "Warning: leads: " in said
        assert "order asked for" in said and "nothing lost" in said
        warned = sorted(e.stream or "" for e in events if isinstance(e, SyncWarning))
        assert warned == ["leads", "notes"]  # live, once per stream
        # An incremental sync follows edits and creates, whatever the order.
        edited = sorted(notes)[::600]
        for note in edited:
            client.put(f"notes/{note}", version="v1", json={"content": f"edited {note}"})
        lead = sorted(leads)[7]
        client.patch(f"leads/{lead}", version="v1", json={"title": "edited lead"})
        new = client.post("notes", version="v1", json={"content": "new", "deal_id": 1})
        sync(client, db, ["notes", "leads"])
    with sqlite3.connect(db) as conn:
        contents = dict(conn.execute("SELECT id, content FROM notes").fetchall())
        title = conn.execute("SELECT title FROM leads WHERE id = ?", (lead,)).fetchone()[0]
    assert [contents[n] for n in edited] == [f"edited {n}" for n in edited]
    assert contents[new["data"]["id"]] == "new" and title == "edited lead"
    assert len(contents) == len(notes) + 1


def replica_ids(db: Path, table: str) -> set[Any]:
    with sqlite3.connect(db) as conn:
        return {r[0] for r in conn.execute(f'SELECT id FROM "{table}"')}


def test_a_sync_through_every_kind_of_fault_ends_with_the_clean_replica(tmp_path: Path) -> None:
    streams = ["notes", "leads", "deals", "activities"]
    replicas = {}
    for faults in (None, "rate=0.2,timeout_s=0.001"):  # every kind, null_data and malformed too
        config = EmulatorConfig(deals=1500, seed=11, rate_limits=False, faults=faults)
        client = unsorted_emulator(config)
        db = tmp_path / f"{bool(faults)}.db"
        with client:
            report = sync(client, db, streams)
        assert report.ok and not any("walked past" in w for w in report.warnings)
        replicas[faults] = {s: replica_ids(db, s) for s in streams}
        if faults:
            assert client.stats.retries > 0
    clean, faulty = replicas.values()
    assert faulty == clean and all(len(clean[s]) > 100 for s in streams)


def test_a_full_read_with_a_page_walked_past_marks_nothing_deleted(tmp_path: Path) -> None:
    # The second page of /api/v2/persons answers `data: null` on every try of a refresh.
    script = tmp_path / "faults.json"
    rules = [{"match": "GET /api/v2/persons", "nth": n, "fault": "null_data"} for n in range(5, 9)]
    script.write_text(json.dumps(rules))
    config = EmulatorConfig(deals=1200, seed=3, rate_limits=False, faults=f"script={script}")
    db = tmp_path / "replica.db"
    with unsorted_emulator(config) as client:
        sync(client, db, ["persons"], max_windows=1)  # requests 1 to 3: complete
        refresh = sync(client, db, ["persons"], full_refresh=True, max_windows=1)
    assert len(replica_ids(db, "persons")) >= 1000
    assert rows_marked_deleted(db, "persons") == 0  # the 500 of the page are not deletes
    said = "\n".join(refresh.warnings)
    assert "persons: a page came back with no records" in said and "not reconciled" in said


def rows_marked_deleted(db: Path, table: str) -> int:
    with sqlite3.connect(db) as conn:
        query = f'SELECT count(*) FROM "{table}" WHERE _pdsync_deleted_at IS NOT NULL'
        count: int = conn.execute(query).fetchone()[0]
        return count
