"""The one writer: commits every work item with the state that covers it, and plans what follows.

It runs on the engine's thread and is the only code that touches the destination
and the streams' states during a sync. After committing an item it decides the
follow-up work (partition tasks of a planned backfill, the deleted pass, an id
scan, child reads) and submits it to the pipeline.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import replace
from datetime import timedelta
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.notices import EMPTY_PAGE
from pdsync.destinations.base import Batch, BatchResult, Destination, WriteMode, utc_now
from pdsync.destinations.identifiers import quote
from pdsync.errors import BlockedError, ForbiddenError, NotFoundError, StateError
from pdsync.progress import BatchCommitted, Event, PageFetched, StreamFinished, SyncWarning
from pdsync.schema import DELETED_AT, TableSchema
from pdsync.sync import archive, children, deletes
from pdsync.sync.context import StreamRun
from pdsync.sync.fetch import FetchTask, full_read_task, partition_task, probe_task, replace_task
from pdsync.sync.items import (
    ChildItem,
    DeletedItem,
    ReconcileItem,
    ReplaceItem,
    RowsItem,
    SkipItem,
    WorkItem,
)
from pdsync.sync.ledger import HASHES, RowLedger, Tally
from pdsync.sync.pipeline import Emit, Pipeline
from pdsync.sync.report import text_repair_warning
from pdsync.sync.state import StreamState, format_instant, parse_instant

Sink = Callable[[Event], None]

# Errors that concern one stream only (a scope the token lacks, a feature the plan lacks,
# an endpoint the account does not have): that stream is skipped with a warning.
REFUSALS = (ForbiddenError, NotFoundError)


class Writer:
    def __init__(
        self,
        destination: Destination,
        client: PipedriveClient,
        runs: Mapping[str, StreamRun],
        pipeline: Pipeline[WorkItem],
        *,
        sink: Sink,
        max_windows: int,
        pages_per_window: int,
        reconcile_every: timedelta | None,
    ) -> None:
        self.destination = destination
        self.client = client
        self.runs = runs
        self.pipeline = pipeline
        self.sink = sink
        self.max_windows = max_windows
        self.pages_per_window = pages_per_window
        self.reconcile_every = reconcile_every
        self._chunks: dict[str, children.ChunkProgress] = {}
        self._tails: set[str] = set()
        self._ledgers: dict[str, RowLedger] = {}
        self._passes_left: dict[str, int] = {}
        self._fresh: set[str] = set()  # first reads that began on an empty table
        self._notices_before = client.notices.snapshot()

    # ------------------------------------------------------------------ start

    def start(self, run: StreamRun, task: FetchTask | None = None) -> None:
        """Submit the first fetch task of a top-level stream."""
        if task is not None:
            self._submit(run, task)
        elif run.spec.delete_strategy == "full_refresh_replace" or (
            run.spec.incremental is None and run.spec.delete_strategy == "none"
        ):
            self._submit(run, replace_task(run, self.client))
        elif run.spec.incremental is None:
            run.seen_ids = set()
            self._submit(run, full_read_task(run, self.client))
        else:
            self._start_incremental(run)

    def _start_incremental(self, run: StreamRun) -> None:
        state = run.state
        since_limit = format_instant(run.selection.since) if run.selection.since else None
        if run.full_refresh:
            run.seen_ids = set() if since_limit is None else None
            self._probe(run, since_limit, first_read=True)
        elif state.backfill is not None and not state.backfill.done:
            for index in state.backfill.pending:
                part = state.backfill.partitions[index]
                self._submit(run, partition_task(run, self.client, index, part))
        elif state.bookmark:
            self._probe(run, state.bookmark)
        else:
            run.seen_ids = set() if since_limit is None else None
            if since_limit is None and self._table_empty(run):
                self._fresh.add(run.name)
            self._probe(run, since_limit, first_read=True)

    def _table_empty(self, run: StreamRun) -> bool:
        sql = f"SELECT 1 FROM {quote(run.schema.name)} LIMIT 1"
        # Read to the end: a PostgreSQL result closes its server-side cursor only then.
        return not list(self.destination.query(sql))

    def _probe(self, run: StreamRun, since: str | None, *, first_read: bool = False) -> None:
        self._submit(
            run,
            probe_task(
                run,
                self.client,
                since,
                max_windows=self.max_windows,
                pages_per_window=self.pages_per_window,
                sample_end=first_read,  # a complete history: dense at the recent end
            ),
        )

    def _submit(self, run: StreamRun, task: FetchTask) -> None:
        """Queue a fetch task; a stream the API refuses is skipped, not the whole sync."""

        def guarded(emit: Emit[WorkItem]) -> None:
            try:
                task(emit)
            except BlockedError:
                raise  # not about this stream: the whole token is blocked
            except REFUSALS as exc:
                emit(SkipItem(run.name, str(exc)))

        self.pipeline.submit(guarded)

    # ------------------------------------------------------------------ items

    def __call__(self, item: WorkItem) -> None:
        if isinstance(item, RowsItem):
            self._rows(item)
        elif isinstance(item, ReplaceItem):
            self._replace(item)
        elif isinstance(item, DeletedItem):
            self._deleted(item)
        elif isinstance(item, ReconcileItem):
            self._reconcile(item)
        elif isinstance(item, ChildItem):
            self._child(item)
        else:
            self._skip(item)

    def _skip(self, item: SkipItem) -> None:
        run = self.runs[item.stream]
        if run.skipped is None:
            run.skipped = item.message
            self.sink(SyncWarning(f"{run.name} skipped: {item.message}", run.name))
        self._finish(run)

    def _rows(self, item: RowsItem) -> None:
        run = self.runs[item.stream]
        self._page(run, len(item.rows), item.partition)
        if run.seen_ids is not None:
            run.seen_ids.update(run.key_of(r) for r in item.rows)
        self._mark_archived(run, item.rows)
        if item.partition is None:  # full read without a cursor
            ledger = self._ledger(run)
            tally = ledger.count(item.rows, run.key_of)
            state = self._with_hashes(run, ledger) if item.last else None
            self._commit(run, item.rows, state=state, tally=tally)
            if item.last:
                self._read_complete(run)
            return
        state = run.state
        backfill = item.plan or state.backfill
        if item.plan is not None and run.name in self._fresh:
            self._fresh.discard(run.name)  # only the first plan: a later tail read is not
            backfill = replace(item.plan, fresh=True)
        if backfill is None:
            raise StateError(f"A page of {run.name!r} arrived with no backfill plan.")
        part = backfill.partitions[item.partition].advanced(
            seen=item.seen, rows=len(item.rows), next_page=item.next_page
        )
        backfill = backfill.with_partition(item.partition, part)
        new = replace(state, cursor_field=run.spec.cursor, backfill=backfill)
        if backfill.done:
            new = new.finish_backfill()
        self._commit(run, item.rows, state=new)
        if item.plan is not None and not backfill.done:
            continuing = item.partition if item.next_page is not None else None
            for index in backfill.pending:
                if index != continuing:
                    task = partition_task(run, self.client, index, backfill.partitions[index])
                    self._submit(run, task)
        if backfill.done:
            self._after_backfill(run)

    def _after_backfill(self, run: StreamRun) -> None:
        bookmark = run.state.bookmark
        if (
            bookmark
            and parse_instant(bookmark) < parse_instant(run.signpost)
            and run.name not in self._tails
        ):
            # A resumed backfill ends at the old run's start: read on to this run's start.
            self._tails.add(run.name)
            self._probe(run, bookmark)
            return
        self._read_complete(run)

    def _replace(self, item: ReplaceItem) -> None:
        run = self.runs[item.stream]
        if item.phase != "commit":
            self._page(run, len(item.rows), None)
        mode: WriteMode = {"begin": "replace_begin", "rows": "replace_rows"}.get(
            item.phase, "replace_commit"
        )  # type: ignore[assignment]
        ledger = self._ledger(run)
        tally = ledger.count(item.rows, run.key_of)
        committing = item.phase == "commit"
        state = self._with_hashes(run, ledger) if committing else None
        # The swap drops the rows this refresh did not see: they count as deleted.
        gone = ledger.gone() if committing else 0
        self._commit(run, item.rows, mode=mode, state=state, tally=tally, gone=gone)
        if committing:
            self._read_complete(run)

    def _deleted(self, item: DeletedItem) -> None:
        """Deleted records: rows the replica has are marked; the others are inserted, marked."""
        run = self.runs[item.stream]
        self._page(run, len(item.ids), "deleted")
        missing, marks = deletes.split_deleted(self.destination, run, item, utc_now())
        self._commit(
            run,
            missing,
            deleted_ids=marks,
            state=deletes.after_deleted_page(run, item),
            inserted_deleted=len(missing),
        )
        if item.last:
            self._passes_done(run)

    def _passes_done(self, run: StreamRun) -> None:
        """One deleted pass is complete; after the last, reconciliation (if any) or the end."""
        left = self._passes_left.get(run.name, 1) - 1
        self._passes_left[run.name] = left
        if left <= 0 and not self._start_reconcile(run):
            self._finish(run)

    def _reconcile(self, item: ReconcileItem) -> None:
        run = self.runs[item.stream]
        if self._walked_past_empty_pages(run):
            # The id list lacks the records of the pages walked past: they are not deletes.
            message = "deletes were not reconciled: the listing of ids had pages walked past"
            self.client.notices.add(run.name, "not_reconciled", message)
            self._finish(run)
            return
        missing = deletes.missing_ids(self.destination, run, item.live_ids)
        state = replace(run.state, last_reconciled_at=item.started_at)
        self._commit(run, (), deleted_ids=missing, state=state)
        self._finish(run)

    def _walked_past_empty_pages(self, run: StreamRun) -> bool:
        before = self._notices_before.get((run.name, EMPTY_PAGE))
        return self.client.notices.count(run.name, EMPTY_PAGE) > (before.count if before else 0)

    def _child(self, item: ChildItem) -> None:
        run = self.runs[item.stream]
        self._page(run, len(item.rows), None)
        run.counters.requests += item.requests
        fetched = {run.key_of(r) for r in item.rows}
        gone = [
            k
            for k in children.existing_children(self.destination, run, item.parent_ids)
            if k not in fetched
        ]
        progress = self._chunks[run.name]
        advanced = progress.complete(item.chunk)
        complete = progress.next_index == len(progress.cursors)
        if complete:
            advanced = self._parent_bookmark(run) or advanced
        state = run.state.advance(advanced, run.signpost) if advanced else run.state
        self._commit(run, item.rows, deleted_ids=gone, state=state)
        if complete:
            self._finish(run)

    def _parent_bookmark(self, child: StreamRun) -> str | None:
        """Where the parent's table is complete: every child read up to there is done."""
        parent = child.spec.parent
        if parent is None:
            return None
        return children.parent_complete_until(self.runs[parent.stream])

    # ------------------------------------------------------------- follow-ups

    def _read_complete(self, run: StreamRun) -> None:
        """The main read of ``run`` is committed: deletes follow (children once finished)."""
        if not self._start_deletes(run):
            self._finish(run)

    def _start_deletes(self, run: StreamRun) -> bool:
        """Start the delete detection the stream needs; True if a fetch task was submitted.

        Deleted passes come first; a stream that also reconciles ids (archived deals: an
        unarchived deal leaves the archive without being deleted) does so after them.
        """
        spec = run.spec
        if spec.passes:
            since = deletes.deleted_pass_start(run)
            if since is not None:
                self._passes_left[run.name] = len(spec.passes)
                for extra in spec.passes:
                    self._submit(run, deletes.deleted_pass_task(run, self.client, extra, since))
                return True
        return self._start_reconcile(run)

    def _start_reconcile(self, run: StreamRun) -> bool:
        """Start id reconciliation if the stream uses it and it is due; True if it started."""
        spec = run.spec
        if spec.delete_strategy != "reconcile_ids" or spec.parent is not None:
            return False
        if run.seen_ids is not None:  # a complete read in this run: its ids are the live set
            live = frozenset(run.seen_ids)
            run.seen_ids = None
            self._reconcile(ReconcileItem(run.name, live, run.signpost))
            return True
        if deletes.reconcile_due(run.state.last_reconciled_at, run.signpost, self.reconcile_every):
            self._submit(run, deletes.id_scan_task(run, self.client, run.signpost))
            return True
        return False

    def _start_children(self, child: StreamRun, parent: StreamRun) -> None:
        if parent.skipped is not None:
            self._skip(SkipItem(child.name, f"its parent {parent.name} was skipped"))
            return
        orphans = children.orphaned_children(self.destination, child, parent)
        if orphans:
            self._commit(child, (), deleted_ids=orphans)
        parents = children.list_parents(self.destination, child, parent)
        notice = children.first_read_notice(child, parents)
        if notice:
            self.sink(SyncWarning(notice, child.name))
        chunks = children.chunk_parents(child, parents)
        self._chunks[child.name] = children.ChunkProgress(
            [max((p.cursor for p in c if p.cursor), default=None) for c in chunks], set()
        )
        if not chunks:
            bookmark = self._parent_bookmark(child)
            if bookmark:
                self._commit(child, (), state=child.state.advance(bookmark, child.signpost))
            self._finish(child)
            return
        for index, chunk in enumerate(chunks):
            self._submit(child, children.child_task(child, self.client, index, chunk))

    def _mark_archived(self, run: StreamRun, rows: Sequence[dict[str, Any]]) -> None:
        """Archived records still live in the main table are merged there, marked archived.

        Committed before the archive page (and its bookmark): replayed after a crash.
        """
        main = self.runs.get(archive.ARCHIVE_OF.get(run.name, ""))
        if main is None or main.skipped is not None:
            return
        moved = archive.moved_rows(self.destination, run, main, rows)
        if moved:
            self._commit(main, moved, schema=archive.shared_schema(main, run))

    # ---------------------------------------------------------------- ledgers

    def _ledger(self, run: StreamRun) -> RowLedger:
        """The fingerprints that make a full read's counts honest (:mod:`pdsync.sync.ledger`)."""
        ledger = self._ledgers.get(run.name)
        if ledger is None:
            ledger = RowLedger.start(run.state.extra.get(HASHES), lambda: self._live_keys(run))
            self._ledgers[run.name] = ledger
        return ledger

    def _live_keys(self, run: StreamRun) -> list[Any]:
        pk = run.spec.primary_key
        sql = f"SELECT {', '.join(quote(k) for k in pk)} FROM {quote(run.schema.name)}"
        if DELETED_AT in run.schema.column_names:
            sql += f" WHERE {quote(DELETED_AT)} IS NULL"
        return [r[0] if len(pk) == 1 else tuple(r) for r in self.destination.query(sql)]

    @staticmethod
    def _with_hashes(run: StreamRun, ledger: RowLedger) -> StreamState:
        return replace(run.state, extra={**run.state.extra, HASHES: dict(ledger.current)})

    # ---------------------------------------------------------------- commits

    def _commit(
        self,
        run: StreamRun,
        rows: Sequence[dict[str, Any]],
        *,
        mode: WriteMode = "merge",
        deleted_ids: Sequence[Any] = (),
        state: StreamState | None = None,
        tally: Tally | None = None,
        gone: int | None = None,
        schema: TableSchema | None = None,
        inserted_deleted: int = 0,
    ) -> BatchResult:
        """Commit rows, delete marks and state in one transaction; count what changed.

        ``tally`` (and ``gone``) replace the destination's counts for full reads,
        whose rows are compared with the previous read's fingerprints instead.
        ``inserted_deleted`` rows were inserted already marked deleted: they count as
        inserted (the table gained them) and as deleted (newly known deletes).
        """
        batch = Batch(
            stream=run.name,
            schema=schema or run.schema,
            rows=rows,
            mode=mode,
            deleted_ids=deleted_ids,
            state={run.name: state} if state is not None else {},
        )
        result = self.destination.write_batch(batch)
        if state is not None:
            run.state = state
        counts = tally or Tally(result.inserted, result.updated)
        deleted = (result.marked_deleted if gone is None else gone) + inserted_deleted
        counters = run.counters
        counters.inserted += counts.inserted
        counters.updated += counts.updated
        counters.unchanged += counts.unchanged
        counters.deleted += deleted
        self.sink(
            BatchCommitted(run.name, counts.inserted, counts.updated, deleted, run.state.bookmark)
        )
        return result

    def _page(self, run: StreamRun, rows: int, partition: int | str | None) -> None:
        run.counters.pages += 1
        run.counters.rows += rows
        label = None if partition is None else str(partition)
        self.sink(PageFetched(run.name, rows, run.counters.pages, label))

    def _finish(self, run: StreamRun) -> None:
        if run.finished:
            return
        run.finished = True
        repaired = run.text_repairs
        if repaired:
            message = text_repair_warning(run.name, sum(repaired.values()), repaired)
            self.sink(SyncWarning(message, run.name))
        seconds = time.monotonic() - run.started
        self.sink(StreamFinished(run.name, run.counters.totals(), seconds))
        for child in self.runs.values():
            parent = child.spec.parent
            if parent is not None and parent.stream == run.name:
                self._start_children(child, run)
