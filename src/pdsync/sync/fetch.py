"""Fetch tasks of top-level streams: incremental reads (probe, then windows), full reads, refreshes.

Every incremental read — a first sync, a resumed one, or the changes since the
bookmark — starts with a *probe*: the first page of ``[since, signpost)``. If
that page is the only one, it is committed with a one-partition backfill and
the read is over. Otherwise the probe estimates how many pages remain; a small
remainder is read on by the same task, a large one is cut into time windows
(:mod:`pdsync.sync.windows`) that the writer hands to parallel fetch tasks once
the plan is committed.

Window edges and resume points come from the pages' ``seen`` (:class:`RawPage`), which a
walk only gives when it checked the list's order; a read with no safe edge is read on
by one task, and a partition whose walk fell back to a plain listing restarts that
listing from the partition's start when resumed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from datetime import datetime
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.errors import RateLimitError
from pdsync.sync.context import StreamRun
from pdsync.sync.items import ReplaceItem, RowsItem, WorkItem
from pdsync.sync.pipeline import Emit
from pdsync.sync.reader import (
    EPOCH,
    incremental_params,
    is_unordered_token,
    list_params,
    records_of,
    walk,
)
from pdsync.sync.state import Backfill, Partition, format_instant, parse_instant
from pdsync.sync.windows import (
    PAGE_SIZE,
    PAGES_PER_WINDOW,
    equal_count_edges,
    two_ended_estimate,
    window_count,
)

TAIL_SAMPLE = 100  # records of the newest-records sample (a small page: cheap to serve)

FetchTask = Callable[[Emit[WorkItem]], None]


def extra_params(run: StreamRun) -> dict[str, Any]:
    """``include_fields`` for the parent counters child reads rely on."""
    if not run.count_columns:
        return {}
    return {"include_fields": ",".join(run.count_columns)}


def probe_task(
    run: StreamRun,
    client: PipedriveClient,
    since: str | None,
    *,
    max_windows: int,
    pages_per_window: int = PAGES_PER_WINDOW,
    sample_end: bool = False,
) -> FetchTask:
    """Read the first page of ``[since, signpost)`` and plan the rest of the read.

    ``sample_end`` (first syncs and full refreshes): one more, small request reads the
    newest records of the range, so the plan knows the density at both ends
    (:func:`pdsync.sync.windows.two_ended_estimate`) and cuts windows of about equal
    record counts; otherwise the first page's density is extrapolated.
    """
    spec = run.spec
    start = since or EPOCH
    until = run.signpost

    def task(emit: Emit[WorkItem]) -> None:
        params = incremental_params(spec, since, until, extra_params(run))
        pages = walk(client, spec, params)
        first = next(pages)
        rows = run.to_rows(first.records)
        whole = Backfill(until, (Partition(start, until),))
        if first.next_page is None:
            emit(RowsItem(spec.name, rows, 0, first.seen, None, whole))
            return
        edges: list[str] = []
        if (
            first.seen is not None  # an edge needs a page in checked order
            and spec.incremental is not None
            and spec.incremental.until_param
            and max_windows > 1
        ):
            earliest = _earliest(first.records, spec.cursor) or first.seen
            head = (parse_instant(earliest), parse_instant(first.seen), len(first.records))
            try:
                tail = _newest_sample(client, run, since, until) if sample_end else None
            except RateLimitError:
                # Keep the first page (a stop for the daily budget must not lose it).
                emit(RowsItem(spec.name, rows, 0, first.seen, first.next_page, whole))
                raise
            edges = _window_edges(head, tail, parse_instant(until), max_windows, pages_per_window)
        if first.seen is None or len(edges) <= 2:
            emit(RowsItem(spec.name, rows, 0, first.seen, first.next_page, whole))
            for page in pages:
                emit(RowsItem(spec.name, run.to_rows(page.records), 0, page.seen, page.next_page))
            return
        rest = tuple(Partition(a, b) for a, b in itertools.pairwise(edges) if a < b)
        plan = Backfill(until, (Partition(start, first.seen), *rest))
        emit(RowsItem(spec.name, rows, 0, first.seen, None, plan))

    return task


def partition_task(
    run: StreamRun, client: PipedriveClient, index: int, part: Partition
) -> FetchTask:
    """Read one window ``[resume point, end)`` of a backfill to its end."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        # A walk that fell back to a plain listing has no safe resume point but its start.
        fell_back = is_unordered_token(part.next_page)
        since = part.start if fell_back else part.resume_from()
        params = incremental_params(spec, since, part.end, extra_params(run))
        for page in walk(client, spec, params, trust_order=not fell_back):
            emit(RowsItem(spec.name, run.to_rows(page.records), index, page.seen, page.next_page))

    return task


def full_read_task(run: StreamRun, client: PipedriveClient) -> FetchTask:
    """Read every record (no cursor); rows are merged and the ids reconciled at the end."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        for page in walk(client, spec, list_params(spec, extra_params(run))):
            rows = run.to_rows(page.records)
            emit(
                RowsItem(
                    spec.name, rows, None, page.seen, page.next_page, last=page.next_page is None
                )
            )

    return task


def replace_task(run: StreamRun, client: PipedriveClient) -> FetchTask:
    """A full refresh: load every page into staging, swap it in at the end."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        phase: Any = "begin"
        for page in walk(client, spec, list_params(spec)):
            emit(ReplaceItem(spec.name, run.to_rows(page.records), phase))
            phase = "rows"
        emit(ReplaceItem(spec.name, [], "commit"))

    return task


def rows_task(run: StreamRun, records: list[dict[str, Any]]) -> FetchTask:
    """A full refresh from records already in hand (field definitions read at the start)."""

    def task(emit: Emit[WorkItem]) -> None:
        emit(ReplaceItem(run.spec.name, run.to_rows(records), "begin"))
        emit(ReplaceItem(run.spec.name, [], "commit"))

    return task


def _window_edges(
    head: tuple[datetime, datetime, int],
    tail: tuple[datetime, datetime, int] | None,
    end: datetime,
    max_windows: int,
    pages_per_window: int,
) -> list[str]:
    """Edges of the windows after the first page (two or fewer: read on in one go)."""
    first_seen = head[1]
    if tail is not None and tail[0] <= first_seen:
        return []  # the newest records follow the first page closely: little is left
    if tail is None:
        windows = window_count(
            *head[:2],
            end,
            page_size=head[2],
            max_windows=max_windows,
            pages_per_window=pages_per_window,
        )
        if windows <= 1:
            return []
        return [
            format_instant(first_seen + (end - first_seen) * i / windows) for i in range(windows)
        ] + [format_instant(end)]
    records, d_head, d_tail = two_ended_estimate(head, tail, end)
    windows = min(max_windows, int(records / PAGE_SIZE) // max(1, pages_per_window))
    if windows <= 1:
        return []
    edges = equal_count_edges(first_seen, tail[0], end, d_head, d_tail, windows)
    return sorted({format_instant(e) for e in edges})


def _newest_sample(
    client: PipedriveClient, run: StreamRun, since: str | None, until: str
) -> tuple[datetime, datetime, int] | None:
    """(oldest, newest, count) of the newest records of ``[since, until)``: one small call."""
    spec = run.spec
    params = incremental_params(spec, since, until)
    params.update({"sort_direction": "desc", "limit": TAIL_SAMPLE})
    records = records_of(spec, client.get(spec.path, version=spec.version, params=params))
    times = [parse_instant(r[spec.cursor]) for r in records if spec.cursor and r.get(spec.cursor)]
    if len(times) < 2:
        return None
    return min(times), max(times), len(times)


def _earliest(records: list[dict[str, Any]], field: str | None) -> str | None:
    if field is None:
        return None
    values = [format_instant(r[field]) for r in records if isinstance(r.get(field), str)]
    return min(values) if values else None
