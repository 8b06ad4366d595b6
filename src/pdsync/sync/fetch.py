"""Fetch tasks of top-level streams: incremental reads (probe, then windows), full reads, refreshes.

Every incremental read — a first sync, a resumed one, or the changes since the
bookmark — starts with a *probe*: the first page of ``[since, signpost)``. If
that page is the only one, it is committed with a one-partition backfill and
the read is over. Otherwise the probe estimates how many pages remain; a small
remainder is read on by the same task, a large one is cut into time windows
(:mod:`pdsync.sync.windows`) that the writer hands to parallel fetch tasks once
the plan is committed.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.sync.context import StreamRun
from pdsync.sync.items import ReplaceItem, RowsItem, WorkItem
from pdsync.sync.pipeline import Emit
from pdsync.sync.reader import EPOCH, incremental_params, list_params, walk
from pdsync.sync.state import Backfill, Partition, format_instant, parse_instant
from pdsync.sync.windows import PAGES_PER_WINDOW, window_count

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
) -> FetchTask:
    """Read the first page of ``[since, signpost)`` and plan the rest of the read."""
    spec = run.spec
    start = since or EPOCH
    until = run.signpost

    def task(emit: Emit[WorkItem]) -> None:
        params = incremental_params(spec, since, until, extra_params(run))
        pages = walk(client, spec, params)
        first = next(pages)
        rows = run.to_rows(first.records)
        if first.next_page is None or first.seen is None:
            plan = Backfill(until, (Partition(start, until),))
            emit(RowsItem(spec.name, rows, 0, first.seen, None, plan))
            return
        windows = 1
        if spec.incremental is not None and spec.incremental.until_param:
            earliest = _earliest(first.records, spec.cursor) or first.seen
            windows = window_count(
                parse_instant(earliest),
                parse_instant(first.seen),
                parse_instant(until),
                page_size=len(first.records),
                max_windows=max_windows,
                pages_per_window=pages_per_window,
            )
        if windows <= 1:
            plan = Backfill(until, (Partition(start, until),))
            emit(RowsItem(spec.name, rows, 0, first.seen, first.next_page, plan))
            for page in pages:
                emit(RowsItem(spec.name, run.to_rows(page.records), 0, page.seen, page.next_page))
            return
        rest = Backfill.plan(first.seen, until, windows).partitions
        plan = Backfill(until, (Partition(start, first.seen), *rest))
        emit(RowsItem(spec.name, rows, 0, first.seen, None, plan))

    return task


def partition_task(
    run: StreamRun, client: PipedriveClient, index: int, part: Partition
) -> FetchTask:
    """Read one window ``[resume point, end)`` of a backfill to its end."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        params = incremental_params(spec, part.resume_from(), part.end, extra_params(run))
        for page in walk(client, spec, params):
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


def _earliest(records: list[dict[str, Any]], field: str | None) -> str | None:
    if field is None:
        return None
    values = [format_instant(r[field]) for r in records if isinstance(r.get(field), str)]
    return min(values) if values else None
