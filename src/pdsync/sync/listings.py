"""Full refreshes that are more than one plain listing: fan-outs and extended columns.

- **Fan-out** (``StreamSpec.fanout``): the same list read once per value set, e.g. mail
  threads per folder; a record listed under two values is kept once.
- **Extended columns** (``StreamSpec.extended``): a filter's ``conditions`` and a
  permission set's ``contents`` come only from the single-record endpoint, one call per
  record. They are fetched only for records that are new, whose listed values changed
  since the last sync (the row fingerprints the full refresh keeps in its state), or
  whose extended value is still empty; every other record keeps the value the replica
  holds. With ``extended_requests: false`` none is fetched: the columns stay, empty, and
  the sync says so; the stream then costs its list call alone.

The replica is read when the task is made (on the writer's thread, before any fetch);
the fetch thread only reads that snapshot.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.catalog.coerce import COERCERS
from pdsync.catalog.streams import StreamSpec
from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.errors import NotFoundError
from pdsync.schema import DELETED_AT
from pdsync.sync.context import StreamRun
from pdsync.sync.fetch import FetchTask
from pdsync.sync.items import ReplaceItem
from pdsync.sync.ledger import HASHES, fingerprint, key_text
from pdsync.sync.pipeline import Emit
from pdsync.sync.reader import list_params, walk

Record = dict[str, Any]


def needs_listing_task(spec: StreamSpec) -> bool:
    return bool(spec.fanout) or spec.extended is not None


def suppressed(runs: Iterable[StreamRun]) -> list[str]:
    """What ``extended_requests: false`` leaves empty, one sentence per stream."""
    return [
        f"{run.name}: extended requests off, {', '.join(run.spec.extended.columns)} left empty"
        for run in runs
        if run.spec.extended is not None and not run.selection.extended_requests
    ]


def listing_task(run: StreamRun, client: PipedriveClient, destination: Destination) -> FetchTask:
    """A full refresh of ``run``: every fan-out listing, extended columns filled."""
    spec = run.spec
    extended = ExtendedColumns(run, client, destination) if spec.extended else None

    def task(emit: Emit[Any]) -> None:
        seen: set[Any] = set()
        phase: Any = "begin"
        for extra in spec.fanout or ((),):
            for page in walk(client, spec, list_params(spec, dict(extra))):
                fresh = [r for r in page.records if _first_time(spec, r, seen)]
                rows = run.to_rows(fresh)
                if extended is not None:
                    rows = [extended.fill(row) for row in rows]
                emit(ReplaceItem(spec.name, rows, phase))
                phase = "rows"
        emit(ReplaceItem(spec.name, [], "commit"))

    return task


def _first_time(spec: StreamSpec, record: Mapping[str, Any], seen: set[Any]) -> bool:
    key = tuple(record.get(k) for k in spec.primary_key)
    if key in seen:
        return False
    seen.add(key)
    return True


class ExtendedColumns:
    """Fills a stream's extended columns, calling the single-record endpoint only when needed."""

    def __init__(self, run: StreamRun, client: PipedriveClient, destination: Destination) -> None:
        assert run.spec.extended is not None
        self.run = run
        self.client = client
        self.path = run.spec.extended.path
        self.columns = run.spec.extended.columns
        self.enabled = run.selection.extended_requests
        stored = run.state.extra.get(HASHES)
        self.fingerprints: dict[str, str] = dict(stored) if isinstance(stored, dict) else {}
        self.previous = previous_values(destination, run) if self.enabled else {}
        types = {c.name: c.type for c in run.spec.columns}
        self.coercers = {name: COERCERS[types[name]] for name in self.columns}
        self.calls = 0  # single-record calls made

    def fill(self, row: Record) -> Record:
        if not self.enabled:
            return {**row, **dict.fromkeys(self.columns)}
        key = key_text(self.run.key_of(row))
        old = self.previous.get(key)
        if old is not None and all(v is not None for v in old.values()):
            kept = {**row, **old}
            if self.fingerprints.get(key) == fingerprint(kept):
                return kept
        return {**row, **self._fetch(row)}

    def _fetch(self, row: Record) -> Record:
        record_id = self.run.key_of(row)
        self.calls += 1
        try:
            body = self.client.get(
                self.path.replace("{id}", str(record_id)), version=self.run.spec.version
            )
        except NotFoundError:  # deleted between the list and this call: the next sync drops it
            return dict.fromkeys(self.columns)
        # The spec shows permissionSets/{id} without the `data` envelope; accept both.
        data = body.get("data")
        record: Mapping[str, Any] = data if isinstance(data, Mapping) else body
        return {name: self.coercers[name](record.get(name)) for name in self.columns}


def previous_values(destination: Destination, run: StreamRun) -> dict[str, Record]:
    """Extended values the replica holds, per primary key (JSON columns decoded)."""
    spec = run.spec
    assert spec.extended is not None
    columns = spec.extended.columns
    json_columns = {c.name for c in spec.columns if c.type == "json"}
    pk = spec.primary_key
    names = ", ".join(quote(c) for c in (*pk, *columns))
    sql = f"SELECT {names} FROM {quote(run.schema.name)} WHERE {quote(DELETED_AT)} IS NULL"
    out: dict[str, Record] = {}
    for values in destination.query(sql):
        key = values[0] if len(pk) == 1 else tuple(values[: len(pk)])
        extended = dict(zip(columns, values[len(pk) :], strict=True))
        for name in columns:
            value = extended[name]
            if name in json_columns and isinstance(value, str):
                extended[name] = json.loads(value)
        out[key_text(key)] = extended
    return out
