"""Deletes are never silently lost (DESIGN decision 4).

- Deals (``/deals`` and ``/deals/archived``): Pipedrive lists deleted deals
  (``status=deleted``, kept 30 days) and a deleted deal's ``update_time`` is its delete
  time, so a second incremental pass with its own bookmark finds every delete since the
  last run. The pass lists full records: a deleted deal the replica lacks (deleted before
  the first sync, or created and deleted between two runs) is inserted with its record
  and marked deleted, in the same transaction as the pass's bookmark. The first pass of a
  replica (``DELETED_HISTORY`` not yet in its state) lists every deleted deal Pipedrive
  still keeps, from the start of time (or ``--since``).
  No other stream of Pipedrive's API lists deleted records: the v2 specs document
  ``status=deleted`` for ``/deals``, ``/deals/archived``, ``/projects`` and
  ``/projects/archived`` only (v1: ``/deals``, ``/deals/archived``, ``/projects``), and
  pdsync has no projects stream.
- Other streams: *id reconciliation*. An id scan lists every live id; rows of the
  replica whose id is not in it are marked ``_pdsync_deleted_at``. It costs a full
  listing, so it runs on a cadence (``--reconcile-every``, default 24 h), after every
  complete read that started in the same run (its ids come for free), and always on
  ``--full-refresh``.

Marks only ever touch rows that exist: an id-only record never becomes a stub row (a
row is inserted only from a full record).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.catalog.streams import Pass
from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT
from pdsync.sync.children import id_literal
from pdsync.sync.context import StreamRun
from pdsync.sync.fetch import FetchTask, extra_params
from pdsync.sync.items import DeletedItem, ReconcileItem, WorkItem
from pdsync.sync.pipeline import Emit
from pdsync.sync.reader import EPOCH, incremental_params, list_params, walk
from pdsync.sync.state import StreamState, format_instant, parse_instant

DEFAULT_RECONCILE_EVERY = timedelta(hours=24)
DELETED_BOOKMARK = "deleted_bookmark"
# Set once a deleted pass that started at the beginning of time is complete; until then,
# every pass starts there (replicas made before deleted records were inserted catch up).
DELETED_HISTORY = "deleted_history_read"


def deleted_pass_task(
    run: StreamRun, client: PipedriveClient, extra: Pass, since: str
) -> FetchTask:
    """List records deleted since ``since`` (deals: ``status=deleted``), page by page."""
    spec = run.spec

    def task(emit: Emit[WorkItem]) -> None:
        params = incremental_params(
            spec, since, run.signpost, {**extra_params(run), **dict(extra.params)}
        )
        for page in walk(client, spec, params):
            rows = run.to_rows(page.records)
            ids = [run.key_of(r) for r in rows]
            emit(DeletedItem(spec.name, ids, page.seen, page.next_page is None, rows))

    return task


def deleted_pass_start(run: StreamRun) -> str | None:
    """Where the next deleted pass starts; None when there is nothing to list.

    Until one pass from the beginning has completed, a pass starts at the beginning
    (or at ``--since``): the deleted records Pipedrive still keeps may predate the
    replica's first sync.
    """
    extra = run.state.extra
    if not extra.get(DELETED_HISTORY):
        return format_instant(run.selection.since) if run.selection.since else EPOCH
    since = extra.get(DELETED_BOOKMARK)
    if since and parse_instant(since) < parse_instant(run.signpost):
        return str(since)
    return None


def present_keys(destination: Destination, run: StreamRun, keys: Sequence[Any]) -> set[Any]:
    """Which of ``keys`` have a row in the replica (deleted or not)."""
    if not keys:
        return set()
    pk = run.spec.primary_key
    table = quote(run.schema.name)
    if len(pk) > 1:  # no composite-key stream has a deleted pass; stay correct anyway
        wanted = set(keys)
        columns = ", ".join(quote(k) for k in pk)
        return {
            k
            for r in destination.query(f"SELECT {columns} FROM {table}")
            if (k := tuple(r)) in wanted
        }
    literals = ", ".join(id_literal(k) for k in sorted(set(keys), key=str))
    sql = f"SELECT {quote(pk[0])} FROM {table} WHERE {quote(pk[0])} IN ({literals})"
    return {row[0] for row in destination.query(sql)}


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


def split_deleted(
    destination: Destination, run: StreamRun, item: DeletedItem, now: str
) -> tuple[list[dict[str, Any]], list[Any]]:
    """A page of deleted records as (rows to insert, marked deleted; keys to mark).

    A record the replica lacks is inserted from its full record, already marked; one it
    has (deleted or not) is only marked, so its kept values and earlier mark stay.
    """
    present = present_keys(destination, run, item.ids)
    missing = [{**row, DELETED_AT: now} for row in item.rows if run.key_of(row) not in present]
    return missing, [key for key in item.ids if key in present]


def after_deleted_page(run: StreamRun, item: DeletedItem) -> StreamState:
    """The state a committed page of a deleted pass leaves: its bookmark moved, never back.

    The last page moves it to the signpost and records that the history was read.
    """
    mark = run.signpost if item.last else item.seen
    extra = dict(run.state.extra)
    if mark is not None:
        old = extra.get(DELETED_BOOKMARK)
        capped = min(parse_instant(mark), parse_instant(run.signpost))
        if old is None or capped > parse_instant(old):
            extra[DELETED_BOOKMARK] = format_instant(capped)
    if item.last:
        extra[DELETED_HISTORY] = True
    return replace(run.state, extra=extra)
