"""The audit: list each stream's ids from the API, read the replica's, compare.

``Verifier(client, destination, streams).run()`` checks streams in catalog order, so a
parent (deals) is listed before its children (deal products, participants, followers)
and its listing, read with the children's counters (``include_fields=products_count``
…), tells which parents have children. Children are listed for those parents, and for
every parent the replica holds children of (so children the API dropped show up as
extra): in batches of 100 for deal products, one call per parent otherwise, unless
that would exceed ``max_child_requests`` (then the stream is reported as skipped).
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.catalog.registry import CATALOG
from pdsync.catalog.streams import StreamSpec
from pdsync.destinations.base import Destination
from pdsync.errors import ForbiddenError, NotFoundError
from pdsync.sync.context import CHILD_COUNTS
from pdsync.verify.listing import ListedPage, PageWalker
from pdsync.verify.plan import (
    DEFAULT_MAX_CHILD_REQUESTS,
    VerifyPlan,
    estimate,
    listing_params,
    pages_for,
    select_specs,
)
from pdsync.verify.replica import (
    Keyer,
    ReplicaKeys,
    cursor_values,
    key_text,
    read_keys,
    row_count,
)
from pdsync.verify.report import LiveKeys, StreamResult, VerifyReport, compare
from pdsync.verify.sample import sample_pages


@dataclass(frozen=True)
class VerifyOptions:
    sample: int | None = None  # pages per stream; None: list every id
    max_child_requests: int = DEFAULT_MAX_CHILD_REQUESTS  # per-parent children above: skipped
    seed: int | None = None  # for the random pages of a sample
    tables: Mapping[str, str] = field(default_factory=dict)  # stream -> table, when renamed
    workers: int = 4  # streams listed at once (the rate governor keeps them in the window)


@dataclass
class Listing:
    """One stream's listing: its keys, and for parents the raw ids and counters."""

    live: LiveKeys
    requests: int
    sampled: bool
    parent_ids: list[Any] = field(default_factory=list)  # alive records' raw ids
    counters: dict[str, dict[str, Any]] = field(default_factory=dict)  # id text -> counters
    notes: list[str] = field(default_factory=list)


@dataclass
class ChildJob:
    """A child stream to list: the parents to ask, and the replica rows to compare with."""

    spec: StreamSpec
    parent_ids: list[Any]
    replica: ReplicaKeys
    listing: Listing
    scope: set[tuple[str, ...]] | None


class Verifier:
    def __init__(
        self,
        client: PipedriveClient,
        destination: Destination,
        streams: Sequence[str] = (),
        options: VerifyOptions | None = None,
        *,
        on_result: Callable[[StreamResult], None] | None = None,
        sleep: Callable[[float], None] = time.sleep,
    ) -> None:
        self.client = client
        self.destination = destination
        self.options = options or VerifyOptions()
        self.specs = select_specs(destination, streams, self.options.tables)
        self.on_result = on_result or (lambda result: None)
        self.sleep = sleep
        self.rng = random.Random(self.options.seed)
        self._listings: dict[str, Listing] = {}
        self._facts: dict[str, tuple[int, list[str]]] = {}  # sample: replica rows, cursors

    def table(self, stream: str) -> str:
        return self.options.tables.get(stream, stream)

    def plan(self) -> VerifyPlan:
        return estimate(
            self.destination,
            self.specs,
            self.options.tables,
            sample=self.options.sample,
            max_child_requests=self.options.max_child_requests,
        )

    def run(self, plan: VerifyPlan | None = None) -> VerifyReport:
        """List every planned stream (several at once), then compare each with the replica.

        The API is read on worker threads; the replica only on this thread (a destination
        is used by one thread at a time).
        """
        plan = plan or self.plan()
        started = time.monotonic()
        before = self.client.stats
        todo = [s for s, est in zip(self.specs, plan.streams, strict=True) if est.skip is None]
        children = [s for s in todo if s.parent is not None]
        listed = _unique(
            [s for s in todo if s.parent is None]
            + [CATALOG[s.parent.stream] for s in children if s.parent is not None]
        )
        for spec in listed:
            self._replica_facts(spec)
        refused: dict[str, str] = {}
        jobs: list[ChildJob] = []
        done: dict[str, StreamResult] = {}
        with ThreadPoolExecutor(max(1, self.options.workers)) as pool:
            for spec, error in zip(listed, pool.map(self._try_listing, listed), strict=True):
                if error is not None:
                    refused[spec.name] = error
            for spec in children:
                assert spec.parent is not None
                if spec.parent.stream in refused:
                    reason = f"its parent {spec.parent.stream} could not be listed"
                    done[spec.name] = StreamResult(spec.name, skipped=reason)
                    continue
                job = self._child_job(spec)
                if isinstance(job, StreamResult):
                    done[spec.name] = job
                else:
                    jobs.append(job)
            for job, error in zip(jobs, pool.map(self._try_children, jobs), strict=True):
                done[job.spec.name] = (
                    StreamResult(job.spec.name, skipped=error)
                    if error is not None
                    else self._result(job.spec, job.listing, job.replica, job.scope)
                )
        results = []
        for spec, est in zip(self.specs, plan.streams, strict=True):
            if est.skip is not None:
                result = StreamResult(spec.name, skipped=est.skip)
            elif spec.name in refused:
                result = StreamResult(spec.name, skipped=refused[spec.name])
            elif spec.name in done:
                result = done[spec.name]
            else:
                replica = read_keys(self.destination, spec, self.table(spec.name))
                result = self._result(spec, self._listings[spec.name], replica)
            results.append(result)
            self.on_result(result)
        after = self.client.stats
        return VerifyReport(
            tuple(results),
            requests=after.requests - before.requests,
            tokens=after.tokens_charged - before.tokens_charged,
            seconds=time.monotonic() - started,
            sample=self.options.sample,
        )

    def _try_listing(self, spec: StreamSpec) -> str | None:
        try:
            self._listing(spec)
        except (ForbiddenError, NotFoundError) as exc:  # a scope or a plan feature missing
            return f"the API refused it: {exc.message}"
        return None

    def _try_children(self, job: ChildJob) -> str | None:
        try:
            self._list_children(job)
        except (ForbiddenError, NotFoundError) as exc:
            return f"the API refused it: {exc.message}"
        return None

    def _replica_facts(self, spec: StreamSpec) -> None:
        """What a sample needs from the replica, read here, before the worker threads."""
        if not self.options.sample:
            return
        table = self.table(spec.name)
        rows = row_count(self.destination, table) or 0
        inc = spec.incremental
        values = cursor_values(self.destination, table, inc.cursor_field) if inc else []
        self._facts[spec.name] = (rows, values)

    def _result(
        self,
        spec: StreamSpec,
        listing: Listing,
        replica: ReplicaKeys,
        scope: set[tuple[str, ...]] | None = None,
    ) -> StreamResult:
        notes = list(listing.notes)
        if not replica.exists:
            notes.append(f"the replica has no table {replica.table!r}")
        if listing.live.gaps:
            notes.append(
                f"{listing.live.gaps} page(s) stayed empty although the API promised more; "
                "their records were not seen"
            )
        return compare(
            spec.name,
            listing.live,
            replica,
            requests=listing.requests,
            sampled=listing.sampled,
            replica_scope=scope,
            notes=notes,
        )

    # ------------------------------------------------------------ top-level lists

    def _listing(self, spec: StreamSpec) -> Listing:
        """List a top-level stream (once; children reuse their parent's listing)."""
        cached = self._listings.get(spec.name)
        if cached is not None:
            return cached
        walker = PageWalker(self.client, sleep=self.sleep)
        params = listing_params(spec)
        counters = self._counters_for(spec.name)
        if counters:
            params["include_fields"] = ",".join(counters)
        listing = Listing(LiveKeys(), 0, sampled=False)
        for page in self._pages(spec, walker, params, listing):
            self._collect(spec, page, listing, counters)
        listing.requests = walker.requests
        self._listings[spec.name] = listing
        return listing

    def _pages(
        self, spec: StreamSpec, walker: PageWalker, params: dict[str, Any], listing: Listing
    ) -> Iterator[ListedPage]:
        sample = self.options.sample
        if spec.fanout:
            # One list read per value set (mail threads per folder), as sync reads it.
            return (
                page
                for extra in spec.fanout
                for page in walker.walk(spec, {**params, **dict(extra)})
            )
        if sample:
            rows, values = self._facts[spec.name]
            estimated = pages_for(rows, spec)
            if estimated > sample:
                listing.sampled = True
                listing.notes.append(f"sample: {sample} of ~{estimated:,} pages")
                return sample_pages(
                    spec,
                    walker,
                    params,
                    values,
                    pages=sample,
                    estimated=estimated,
                    rng=self.rng,
                )
        return walker.walk(spec, params)

    def _collect(
        self, spec: StreamSpec, page: ListedPage, listing: Listing, counters: Sequence[str]
    ) -> None:
        keyer = Keyer(spec)
        flags_deleted = spec.delete_strategy == "status_deleted"
        live = listing.live
        live.pages += 1
        live.gaps += page.gap
        for record in page.records:
            deleted = flags_deleted and (
                record.get("is_deleted") is True or record.get("status") == "deleted"
            )
            live.add(keyer(record), deleted)
            raw_id = record.get("id")
            if deleted or raw_id is None:
                continue
            listing.parent_ids.append(raw_id)
            if counters:
                listing.counters[key_text(raw_id)] = {c: record.get(c) for c in counters}

    def _counters_for(self, parent: str) -> list[str]:
        """Counters (include_fields) that the selected children of ``parent`` need."""
        names: list[str] = []
        for spec in self.specs:
            counter = CHILD_COUNTS.get(spec.name)
            is_child = spec.parent is not None and spec.parent.stream == parent
            if is_child and counter and counter not in names:
                names.append(counter)
        return names

    # ------------------------------------------------------------------ children

    def _child_job(self, spec: StreamSpec) -> ChildJob | StreamResult:
        """Which parents to ask for children (read from the replica, on this thread)."""
        parent = spec.parent
        assert parent is not None
        parent_listing = self._listings[parent.stream]
        replica = read_keys(
            self.destination, spec, self.table(spec.name), parent_column=parent.key_column
        )
        with_rows = {replica.parent_of[k] for k in replica.alive if k in replica.parent_of}
        counter = CHILD_COUNTS.get(spec.name, "")
        wanted = [
            pid
            for pid in parent_listing.parent_ids
            if _has_children(parent_listing.counters.get(key_text(pid), {}).get(counter))
            or key_text(pid) in with_rows
        ]
        calls = len(wanted) if not parent.is_batch else -(-len(wanted) // parent.batch_size)
        if not parent.is_batch and calls > self.options.max_child_requests:
            return StreamResult(
                spec.name,
                skipped=f"would cost {calls:,} requests (one per {parent.stream} record with "
                "children); raise --max-child-requests to check it",
            )
        scope = None
        if parent_listing.sampled and parent.key_column is not None:
            listed = {key_text(i) for i in parent_listing.parent_ids}
            scope = {k for k, p in replica.parent_of.items() if p in listed}
        notes = [f"children of {len(wanted):,} {parent.stream} with children"]
        if parent_listing.sampled:
            notes.append(f"sample: the children of the {parent.stream} on the sampled pages")
        listing = Listing(LiveKeys(), 0, parent_listing.sampled, notes=notes)
        if parent.stream not in {s.name for s in self.specs}:
            listing.requests += parent_listing.requests
        return ChildJob(spec, wanted, replica, listing, scope)

    def _list_children(self, job: ChildJob) -> None:
        walker = PageWalker(self.client, sleep=self.sleep)
        live = job.listing.live
        keyer = Keyer(job.spec)
        for parent_id, page in self._child_pages(job.spec, walker, job.parent_ids):
            live.pages += 1
            live.gaps += page.gap
            for record in page.records:
                live.add(keyer(record, parent_id), False)
        job.listing.requests += walker.requests

    def _child_pages(
        self, spec: StreamSpec, walker: PageWalker, parent_ids: list[Any]
    ) -> Iterator[tuple[Any, ListedPage]]:
        parent = spec.parent
        assert parent is not None
        params = listing_params(spec)
        if parent.is_batch:
            for i in range(0, len(parent_ids), parent.batch_size):
                batch = ",".join(str(p) for p in parent_ids[i : i + parent.batch_size])
                for page in walker.walk(spec, {**params, parent.via: batch}):
                    yield None, page
            return
        for parent_id in parent_ids:
            if parent.via == "path":
                pages = walker.walk(spec, params, path=spec.path.replace("{id}", str(parent_id)))
            else:
                pages = walker.walk(spec, {**params, parent.via: parent_id})
            for page in pages:
                yield parent_id, page


def _unique(specs: list[StreamSpec]) -> list[StreamSpec]:
    return list({s.name: s for s in specs}.values())


def _has_children(count: Any) -> bool:
    """A parent's counter says it has children (an absent counter: maybe, so ask)."""
    return count is None or (isinstance(count, int) and count > 0)


def verify_replica(
    client: PipedriveClient,
    destination: Destination,
    streams: Sequence[str] = (),
    options: VerifyOptions | None = None,
    *,
    on_plan: Callable[[VerifyPlan], None] | None = None,
    on_result: Callable[[StreamResult], None] | None = None,
) -> VerifyReport:
    """Audit ``destination`` against the account ``client`` reaches; see :class:`Verifier`."""
    verifier = Verifier(client, destination, streams, options, on_result=on_result)
    plan = verifier.plan()
    if on_plan is not None:
        on_plan(plan)
    return verifier.run(plan)
