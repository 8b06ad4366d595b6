"""Which streams an audit checks, how each is listed, and what it will cost, before it starts.

An audit lists ids, so it costs about one full listing per stream. The estimate reads
the replica (it should mirror the account): ``ceil(rows / page limit)`` calls per list
(500; v1 files 100), one call for an unpaginated list, and for children one call per
100 parents (deal products) or one call per parent that has children (followers,
participants), counted from the parent's counter column when the replica keeps it.
Tokens are calls × the endpoint's ``x-token-cost`` from the official specs.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pdsync.api.costs import token_cost
from pdsync.catalog.registry import CATALOG, STREAMS, get_stream
from pdsync.catalog.streams import StreamSpec
from pdsync.destinations.base import Destination
from pdsync.errors import ConfigError
from pdsync.sync.context import CHILD_COUNTS
from pdsync.verify.replica import parents_with_children, row_count

DEFAULT_MAX_CHILD_REQUESTS = 1000


@dataclass(frozen=True)
class StreamEstimate:
    stream: str
    table: str
    requests: int
    tokens: int
    basis: str  # how the estimate was made, in words
    skip: str | None = None  # why the stream will not be checked


@dataclass(frozen=True)
class VerifyPlan:
    streams: tuple[StreamEstimate, ...]
    sample: int | None = None

    @property
    def requests(self) -> int:
        return sum(s.requests for s in self.streams if s.skip is None)

    @property
    def tokens(self) -> int:
        return sum(s.tokens for s in self.streams if s.skip is None)

    def describe(self) -> str:
        what = f"{self.sample} random page(s) per stream" if self.sample else "every id"
        return (
            f"Verify lists {what} of {len(self.streams)} stream(s): about "
            f"{self.requests:,} requests, ~{self.tokens:,} tokens (estimated from the replica)."
        )


def listing_params(spec: StreamSpec) -> dict[str, Any]:
    """The fixed params of one listing that also covers the stream's deleted pass.

    Deals: ``status=open,won,lost`` and the pass ``status=deleted`` become one listing,
    ``status=open,won,lost,deleted`` (the API takes several statuses), so deleted deals
    cost no second walk.
    """
    params: dict[str, Any] = dict(spec.params)
    if spec.delete_strategy == "status_deleted":
        for extra in spec.passes:
            for key, value in extra.params:
                params[key] = f"{params[key]},{value}" if key in params else value
    return params


def select_specs(
    destination: Destination, streams: Sequence[str], tables: Mapping[str, str]
) -> list[StreamSpec]:
    """The named streams (catalog order), or every stream the replica has a table for."""
    if streams:
        named = {get_stream(name).name for name in streams}
        return [s for s in STREAMS if s.name in named]
    present = set(destination.tables())
    chosen = [s for s in STREAMS if tables.get(s.name, s.name) in present]
    if not chosen:
        raise ConfigError(
            f"The replica at {destination.url} holds no pdsync stream tables.",
            hint="Run `pdsync sync` first, or point --target at the replica to audit.",
        )
    return chosen


def pages_for(rows: int, spec: StreamSpec) -> int:
    if spec.pagination == "none":
        return 1
    return max(1, math.ceil(rows / spec.page_limit))


def estimate(
    destination: Destination,
    specs: Sequence[StreamSpec],
    tables: Mapping[str, str],
    *,
    sample: int | None = None,
    max_child_requests: int = DEFAULT_MAX_CHILD_REQUESTS,
) -> VerifyPlan:
    selected = {s.name for s in specs}
    out = []
    for spec in specs:
        table = tables.get(spec.name, spec.name)
        if spec.parent is None:
            rows = row_count(destination, table) or 0
            calls = pages_for(rows, spec)
            if sample:
                calls = min(calls, sample)
            basis = f"{rows:,} replica rows, {spec.page_limit} per page"
            out.append(_estimate(spec, table, calls, basis))
            continue
        out.append(_child_estimate(destination, spec, tables, selected, sample, max_child_requests))
    return VerifyPlan(tuple(out), sample)


def _child_estimate(
    destination: Destination,
    spec: StreamSpec,
    tables: Mapping[str, str],
    selected: set[str],
    sample: int | None,
    max_child_requests: int,
) -> StreamEstimate:
    parent = spec.parent
    assert parent is not None
    table = tables.get(spec.name, spec.name)
    parent_spec = CATALOG[parent.stream]
    parent_table = tables.get(parent.stream, parent.stream)
    parent_rows = row_count(destination, parent_table) or 0
    parents = parents_with_children(destination, parent_table, CHILD_COUNTS.get(spec.name)) or 0
    if sample:
        share = min(1.0, sample * parent_spec.page_limit / max(1, parent_rows))
        parents = math.ceil(parents * share)
    calls = math.ceil(parents / parent.batch_size)
    basis = f"{parents:,} parents with children, {parent.batch_size} per call"
    extra_calls = 0
    if parent.stream not in selected:
        extra_calls = pages_for(parent_rows, parent_spec)
        if sample:
            extra_calls = min(extra_calls, sample)
        basis += f", plus {extra_calls:,} call(s) listing {parent.stream}"
    skip = None
    if not parent.is_batch and calls > max_child_requests:
        skip = (
            f"would cost ~{calls:,} requests (one per {parent.stream[:-1]} with children); "
            f"raise --max-child-requests to {calls:,} to check it"
        )
    parent_cost = extra_calls * token_cost("GET", parent_spec.path, parent_spec.version)
    est = _estimate(spec, table, calls, basis, skip)
    return StreamEstimate(
        est.stream, table, calls + extra_calls, est.tokens + parent_cost, basis, skip
    )


def _estimate(
    spec: StreamSpec, table: str, calls: int, basis: str, skip: str | None = None
) -> StreamEstimate:
    cost = token_cost("GET", spec.path, spec.version)
    return StreamEstimate(spec.name, table, calls, calls * cost, basis, skip)
