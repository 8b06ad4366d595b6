"""The sync engine: Pipedrive → a destination, completely, incrementally, resumably.

``SyncEngine(client, destination, selections, options).run()`` does, in order:

1. read the replica's state and previous custom-field mappings;
2. fetch the ``*Fields`` definitions of every entity involved and build each
   entity's :class:`~pdsync.catalog.fields.FieldCatalog` (new fields add columns,
   renamed fields keep theirs, deleted fields keep column and data); create or
   evolve every table, and store the mappings;
3. run fetch tasks on a thread pool feeding one writer through a bounded queue
   (:mod:`pdsync.sync.pipeline`, :mod:`pdsync.sync.writer`), each committed batch
   carrying its rows and the bookmark that covers them;
4. return a :class:`~pdsync.sync.report.SyncReport`.

On any error (a daily budget exhausted, Ctrl-C, a network failure) everything
already committed stays committed and the next run continues from there;
``engine.report`` still describes what was done.
"""

from __future__ import annotations

import gc
import time
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.notices import Notice
from pdsync.catalog.fields import FieldCatalog
from pdsync.catalog.registry import CATALOG, FIELDS_STREAMS
from pdsync.catalog.tables import field_catalog, table_schema
from pdsync.destinations.base import Batch, Destination
from pdsync.errors import PdsyncError
from pdsync.progress import Event, StreamStarted, SyncFinished, SyncStarted, SyncWarning
from pdsync.schema import TableSchema
from pdsync.sync import listings
from pdsync.sync.context import (
    CHILD_COUNTS,
    StreamRun,
    count_columns,
    from_field_records,
    to_field_records,
)
from pdsync.sync.deletes import DEFAULT_RECONCILE_EVERY
from pdsync.sync.fetch import FetchTask, rows_task
from pdsync.sync.items import WorkItem
from pdsync.sync.pipeline import Pipeline
from pdsync.sync.reader import list_params, walk
from pdsync.sync.replication import StreamSelection
from pdsync.sync.report import SyncReport, build_report
from pdsync.sync.state import format_instant
from pdsync.sync.windows import PAGES_PER_WINDOW, next_whole_second, utc_now
from pdsync.sync.writer import Writer

Sink = Callable[[Event], None]


@dataclass(frozen=True)
class SyncOptions:
    workers: int = 4  # fetch threads (the rate governor keeps them within the burst window)
    max_windows: int = 8  # time windows one big backfill may be split into
    pages_per_window: int = PAGES_PER_WINDOW  # pages a window should hold (fewer: no split)
    queue_size: int = 8  # pages in flight between the fetchers and the writer
    reconcile_every: timedelta | None = DEFAULT_RECONCILE_EVERY  # None: only after full reads
    now: Callable[[], datetime] = utc_now
    sleep: Callable[[float], None] = time.sleep


class SyncEngine:
    def __init__(
        self,
        client: PipedriveClient,
        destination: Destination,
        selections: Sequence[StreamSelection],
        options: SyncOptions | None = None,
        *,
        sink: Sink | None = None,
    ) -> None:
        self.client = client
        self.destination = destination
        self.selections = with_parents(selections)
        self.options = options or SyncOptions()
        self.sink: Sink = sink or (lambda event: None)
        self.runs: dict[str, StreamRun] = {}
        self.report: SyncReport | None = None

    def run(self) -> SyncReport:
        started = time.monotonic()
        signpost = self._signpost()
        requests_before = self.client.stats.requests
        tokens_before = self.client.stats.tokens_charged
        self.sink(SyncStarted(tuple(s.name for s in self.selections), self.destination.url))
        notices_before = self.client.notices.snapshot()
        stop_listening = self.client.notices.subscribe(self._warn_once(notices_before))
        error: BaseException | None = None
        try:
            tasks = self._prepare(signpost)
            with fewer_collections():
                self._execute(tasks)
        except BaseException as exc:
            error = exc
            raise
        finally:
            stop_listening()
            stats = self.client.stats
            suppressed = listings.suppressed(self.runs.values())
            self.report = build_report(
                self.runs,
                requests=stats.requests - requests_before,
                tokens=stats.tokens_charged - tokens_before,
                seconds=time.monotonic() - started,
                error=error if isinstance(error, PdsyncError) else None,
                interrupted=error is not None,
                warnings=tuple(n.describe() for n in self.client.notices.since(notices_before))
                + tuple(suppressed),
            )
            if suppressed:
                self.report.extra["extended_requests_off"] = suppressed
            self.sink(
                SyncFinished(
                    {n: r.counters.totals() for n, r in self.runs.items()},
                    self.report.seconds,
                    ok=error is None,
                )
            )
        return self.report

    def _warn_once(self, before: dict[tuple[str, str], Notice]) -> Callable[[Notice], None]:
        """A notice listener: the first notice of each kind in this run becomes a warning."""

        def listen(notice: Notice) -> None:
            earlier = before.get(notice.key)
            if notice.count == (earlier.count if earlier else 0) + 1:
                stream = notice.subject if notice.subject in self.runs else None
                self.sink(SyncWarning(notice.message if stream else notice.describe(), stream))

        return listen

    def _signpost(self) -> str:
        """This run's end: the next whole second, waited for.

        Pipedrive's times have whole seconds and ``updated_until`` is exclusive, so a
        change made during the current second would only show up in the next run;
        waiting for the second to end makes every change made before the sync began
        part of it, and every later one part of the next.
        """
        now = self.options.now()
        signpost = next_whole_second(now)
        if signpost > now:
            self.options.sleep((signpost - now).total_seconds())
        return format_instant(signpost)

    # ------------------------------------------------------------------ setup

    def _prepare(self, signpost: str) -> dict[str, FetchTask | None]:
        state = self.destination.read_state()
        definitions = self._fetch_field_definitions()
        catalogs = {
            entity: field_catalog(
                entity,
                defs,
                from_field_records(self.destination.read_fields(entity)),
                now=signpost,
            )
            for entity, defs in definitions.items()
            if any(CATALOG[s.name].fields_entity == entity for s in self.selections)
        }
        counters = self._counters_needed()
        tasks: dict[str, FetchTask | None] = {}
        for selection in self.selections:
            spec = CATALOG[selection.name]
            catalog = catalogs.get(spec.fields_entity or "")
            run = StreamRun(
                spec=spec,
                selection=selection,
                schema=self._ensure(selection, catalog, counters.get(spec.name, ())),
                state=state.get(spec.name),
                signpost=signpost,
                fields=catalog,
                count_columns=counters.get(spec.name, ()),
            )
            self.runs[spec.name] = run
            entity = _fields_entity_of(spec.name)
            if entity in definitions:
                tasks[spec.name] = rows_task(run, definitions[entity])
            elif listings.needs_listing_task(spec):
                tasks[spec.name] = listings.listing_task(run, self.client, self.destination)
        self._save_mappings(catalogs)
        for note in listings.suppressed(self.runs.values()):
            self.sink(SyncWarning(note))
        return tasks

    def _fetch_field_definitions(self) -> dict[str, list[dict[str, Any]]]:
        """``*Fields`` of every entity used by a selected stream (read once, reused as rows)."""
        wanted = {CATALOG[s.name].fields_entity for s in self.selections} - {None}
        out: dict[str, list[dict[str, Any]]] = {}
        for entity in sorted(e for e in wanted if e):
            spec = CATALOG[FIELDS_STREAMS[entity]]
            out[entity] = [
                r for page in walk(self.client, spec, list_params(spec)) for r in page.records
            ]
        return out

    def _counters_needed(self) -> dict[str, tuple[str, ...]]:
        """Parent stream -> the counters (``include_fields``) its selected children use."""
        needed: dict[str, list[str]] = {}
        for selection in self.selections:
            spec = CATALOG[selection.name]
            counter = CHILD_COUNTS.get(spec.name)
            if spec.parent is not None and counter is not None:
                names = needed.setdefault(spec.parent.stream, [])
                if counter not in names:
                    names.append(counter)
        return {k: tuple(v) for k, v in needed.items()}

    def _ensure(
        self, selection: StreamSelection, catalog: FieldCatalog | None, counters: tuple[str, ...]
    ) -> TableSchema:
        spec = CATALOG[selection.name]
        full = table_schema(spec, catalog)
        full = replace(full.with_columns(count_columns(counters)), name=selection.table)
        self.destination.ensure_table(full)
        # Batches carry every column except those of fields deleted in Pipedrive, so a
        # merge never overwrites their kept data with NULLs.
        gone = {
            c for m in (catalog.custom() if catalog else ()) if m.deleted for c in m.column_names
        }
        return replace(full, columns=tuple(c for c in full.columns if c.name not in gone))

    def _save_mappings(self, catalogs: dict[str, FieldCatalog]) -> None:
        for entity, catalog in catalogs.items():
            run = next(r for r in self.runs.values() if r.spec.fields_entity == entity)
            self.destination.write_batch(
                Batch(stream=run.name, schema=run.schema, field_mappings=to_field_records(catalog))
            )

    # -------------------------------------------------------------- execution

    def _execute(self, tasks: dict[str, FetchTask | None]) -> None:
        options = self.options
        pipeline: Pipeline[WorkItem] = Pipeline(
            lambda item: writer(item), workers=options.workers, queue_size=options.queue_size
        )
        writer = Writer(
            self.destination,
            self.client,
            self.runs,
            pipeline,
            sink=self.sink,
            max_windows=options.max_windows,
            pages_per_window=options.pages_per_window,
            reconcile_every=options.reconcile_every,
        )
        for name, run in self.runs.items():
            if run.spec.parent is not None:
                continue  # children start when their parent's read is committed
            self.sink(StreamStarted(name, _mode_label(run), since=run.state.bookmark))
            writer.start(run, tasks.get(name))
        for run in self.runs.values():
            if run.spec.parent is not None:
                self.sink(StreamStarted(run.name, "children", since=run.state.bookmark))
        pipeline.run()


# Young objects allowed between two cyclic collections while a sync runs (Python's
# default: 700). A sync makes millions of short-lived, acyclic objects (decoded pages,
# rows); at 700 the collector walked them ~100,000 times a run, about a tenth of the
# client's CPU. Cyclic garbage is rare here, so collecting less often costs little memory.
SYNC_GC_THRESHOLD = 20_000


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Collect cyclic garbage less often for the duration (thresholds restored after)."""
    before = gc.get_threshold()
    gc.set_threshold(max(before[0], SYNC_GC_THRESHOLD), *before[1:])
    try:
        yield
    finally:
        gc.set_threshold(*before)


def with_parents(selections: Sequence[StreamSelection]) -> list[StreamSelection]:
    """The selection plus the parent of every child stream (children read the parent's table)."""
    chosen = {s.name: s for s in selections}
    out = list(selections)
    for selection in selections:
        parent = CATALOG[selection.name].parent
        if parent is not None and parent.stream not in chosen:
            extra = StreamSelection(parent.stream, "incremental", parent.stream, selection.since)
            chosen[parent.stream] = extra
            out.insert(0, extra)
    return out


def _fields_entity_of(stream: str) -> str | None:
    for entity, name in FIELDS_STREAMS.items():
        if name == stream:
            return entity
    return None


def _mode_label(run: StreamRun) -> str:
    if run.spec.incremental is None or run.full_refresh:
        return "full_refresh"
    return "incremental" if run.state.bookmark else "backfill"
