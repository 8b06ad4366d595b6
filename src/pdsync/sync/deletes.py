"""Deletes are never silently lost (DESIGN decision 4).

- Deals: Pipedrive lists deleted deals (``status=deleted``, kept 30 days) and a deleted
  deal's ``update_time`` is its delete time, so a second incremental pass with its own
  bookmark finds every delete since the last run.
- Other streams: *id reconciliation*. An id scan lists every live id; rows of the
  replica whose id is not in it are marked ``_pdsync_deleted_at``. It costs a full
  listing, so it runs on a cadence (``--reconcile-every``, default 24 h), after every
  complete read that started in the same run (its ids come for free), and always on
  ``--full-refresh``.

Marks only ever touch rows that exist: an id-only record never becomes a stub row.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import timedelta
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.catalog.streams import Pass
from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT
from pdsync.sync.context import StreamRun
from pdsync.sync.fetch import FetchTask
from pdsync.sync.items import DeletedItem, ReconcileItem, WorkItem
from pdsync.sync.pipeline import Emit
from pdsync.sync.reader import incremental_params, list_params, walk
from pdsync.sync.state import parse_instant

DEFAULT_RECONCILE_EVERY = timedelta(hours=24)
DELETED_BOOKMARK = "deleted_bookmark"


def deleted_pass_task(
    run: StreamRun, client: PipedriveClient, extra: Pass, since: str
) -> FetchTask:
    """List records deleted since ``since`` (deals: ``status=deleted``), page by page."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        params = incremental_params(spec, since, run.signpost, dict(extra.params))
        for page in walk(client, spec, params):
            ids = [_raw_key(run, r) for r in page.records]
            emit(DeletedItem(spec.name, ids, page.seen, page.next_page is None))

    return task


def id_scan_task(run: StreamRun, client: PipedriveClient, started_at: str) -> FetchTask:
    """List every live id of a stream (one full listing, only the keys kept)."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        live: set[Any] = set()
        for page in walk(client, spec, list_params(spec)):
            live.update(_raw_key(run, r) for r in page.records)
        emit(ReconcileItem(spec.name, frozenset(live), started_at))

    return task


def reconcile_due(last: str | None, now: str, every: timedelta | None) -> bool:
    """Whether an id scan is due: never reconciled, or ``every`` has passed (None: never due)."""
    if every is None:
        return False
    if last is None:
        return True
    return parse_instant(now) - parse_instant(last) >= every


def missing_ids(destination: Destination, run: StreamRun, live: Iterable[Any]) -> list[Any]:
    """Ids of live (unmarked) replica rows that the API no longer lists."""
    present = set(live)
    return [key for key in live_keys(destination, run) if key not in present]


def live_keys(destination: Destination, run: StreamRun) -> list[Any]:
    """Primary keys of the replica's rows not marked deleted."""
    pk = run.spec.primary_key
    columns = ", ".join(quote(k) for k in pk)
    sql = f"SELECT {columns} FROM {quote(run.schema.name)} WHERE {quote(DELETED_AT)} IS NULL"
    result = destination.query(sql)
    if len(pk) == 1:
        return [row[0] for row in result]
    return [tuple(row) for row in result]


def _raw_key(run: StreamRun, record: dict[str, Any]) -> Any:
    pk = run.spec.primary_key
    if len(pk) == 1:
        return record.get(pk[0])
    return tuple(record.get(k) for k in pk)
