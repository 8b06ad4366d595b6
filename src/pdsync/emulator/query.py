"""Filtered, sorted, resumable scans over a table of derived records plus overlay.

Filters are checked against the compact columns before a record is generated, and
``id``/``add_time``/``update_time`` orders come from a sorted permutation built once
per column. The overlay (written records) is merged in by the same key, so a cursor
``(key, index)`` stays valid while other records are written. Other orders (v1's
``sort=a ASC, b DESC``, fields read through a getter) sort the matching records whole.
"""

from __future__ import annotations

import heapq
from array import array
from bisect import bisect_right
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import DEAL_STATUSES, Columns
from pdsync.emulator.sorting import Getter, SortField, plain_value, sort_records

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
Key = tuple[Any, int]
COLUMN_SORTS = ("id", "add_time", "update_time")


@dataclass
class ListSpec:
    equals: dict[str, frozenset[Any]] = field(default_factory=dict)
    updated_since: float | None = None
    updated_until: float | None = None
    sort_by: str = "id"
    descending: bool = False
    after: Key | None = None
    predicate: Callable[[Record], bool] | None = None
    # Further sort fields after ``sort_by`` and how a sort field is read (v1 ``sort``);
    # offset-paged lists only: ``after`` cursors are keyed by ``sort_by`` alone.
    then_by: tuple[SortField, ...] = ()
    sort_value: Getter | None = None
    sort_reads_custom: bool = False  # whether sorting reads custom field values

    def order_by(self, fields: tuple[SortField, ...], value: Getter | None = None) -> None:
        """Sort by ``fields`` (the first one becomes ``sort_by``); ``()`` keeps the order."""
        if fields:
            self.sort_by, self.descending = fields[0].name, fields[0].descending
            self.then_by, self.sort_value = fields[1:], value

    @property
    def by_column(self) -> bool:
        """Whether the order comes from a sorted column (no record generated to sort)."""
        return self.sort_by in COLUMN_SORTS and not self.then_by and self.sort_value is None


def record_matches(spec: ListSpec, rec: Record) -> bool:
    upd = rec.get("update_time") or 0.0
    if spec.updated_since is not None and upd < spec.updated_since:
        return False
    if spec.updated_until is not None and upd >= spec.updated_until:
        return False
    for name, allowed in spec.equals.items():
        if rec.get(name) not in allowed:
            return False
    return spec.predicate is None or spec.predicate(rec)


def sort_key(spec: ListSpec, rec: Record, index: int) -> Key:
    value = index if spec.sort_by == "id" else rec.get(spec.sort_by)
    if value is None:
        value = "" if spec.sort_by not in COLUMN_SORTS else 0.0
    return (value, index)


def scan(store: Store, entity: str, spec: ListSpec, skip: int = 0) -> Iterator[Record]:
    """Matching records in order; the first ``skip`` matches are passed over without being
    generated when no record-level predicate needs them (v1 offset paging)."""
    table = store.table(entity)
    if spec.then_by or spec.sort_value is not None:
        yield from _sorted_whole(store, entity, spec, skip)
        return
    if table.base_count == 0 or not spec.by_column:
        yield from islice(_materialised(store, entity, spec), skip, None)
        return
    cols = store.columns.get(entity)
    overlay = table.overlay
    over_keys = sorted(
        (sort_key(spec, rec, i) for i, rec in overlay.items() if record_matches(spec, rec)),
        reverse=spec.descending,
    )
    if spec.after is not None:
        over_keys = [k for k in over_keys if _beyond(k, spec.after, spec.descending)]
    base = _base_keys(store, entity, cols, spec)
    for _, index in heapq.merge(base, over_keys, reverse=spec.descending):
        if skip and spec.predicate is None:
            skip -= 1
            continue
        rec = overlay.get(index)
        if rec is None:
            rec = store.generator.make(entity, index)
            if spec.predicate is not None and not spec.predicate(rec):
                continue
        if skip:
            skip -= 1
            continue
        yield rec


def _beyond(key: Key, after: Key, descending: bool) -> bool:
    return key < after if descending else key > after


def _materialised(store: Store, entity: str, spec: ListSpec) -> Iterator[Record]:
    table = store.table(entity)
    keyed = []
    for i in range(1, table.base_count + 1):
        if i not in table.overlay:
            rec = store.generator.make(entity, i)
            if record_matches(spec, rec):
                keyed.append((sort_key(spec, rec, i), rec))
    keyed.extend(
        (sort_key(spec, rec, i), rec)
        for i, rec in table.overlay.items()
        if record_matches(spec, rec)
    )
    keyed.sort(key=lambda pair: pair[0], reverse=spec.descending)
    for key, rec in keyed:
        if spec.after is None or _beyond(key, spec.after, spec.descending):
            yield rec


def _sorted_whole(store: Store, entity: str, spec: ListSpec, skip: int) -> Iterator[Record]:
    """Every match sorted by its fields. Generated records are sorted without their custom
    field values unless the sort reads them (most of a record's cost); the records of the
    page are then generated whole."""
    table = store.table(entity)
    custom = spec.sort_reads_custom
    pairs = [(i, rec) for i, rec in table.overlay.items() if record_matches(spec, rec)]
    for i in range(1, table.base_count + 1):
        if i not in table.overlay:
            rec = store.generator.make(entity, i, custom)
            if record_matches(spec, rec):
                pairs.append((i, rec))
    fields = (SortField(spec.sort_by, spec.descending), *spec.then_by)
    sort_records(pairs, fields, spec.sort_value or plain_value)
    for i, rec in islice(pairs, skip, None):
        yield rec if custom or i in table.overlay else store.generator.make(entity, i)


def _base_keys(store: Store, entity: str, cols: Columns, spec: ListSpec) -> Iterator[Key]:
    overlay = store.table(entity).overlay
    check = _column_check(store, entity, cols, spec)
    for index in _base_order(store, entity, cols, spec):
        if index in overlay or not check(index):
            continue
        yield ((index if spec.sort_by == "id" else _column(cols, spec.sort_by)[index]), index)


def _column(cols: Columns, name: str) -> array[float]:
    return cols.add_time if name == "add_time" else cols.update_time


def _base_order(store: Store, entity: str, cols: Columns, spec: ListSpec) -> Iterator[int]:
    n = store.table(entity).base_count
    if spec.sort_by == "id":
        if spec.after is None:
            start = n if spec.descending else 1
        else:
            start = spec.after[1] + (-1 if spec.descending else 1)
        return iter(range(start, 0, -1)) if spec.descending else iter(range(start, n + 1))
    column = _column(cols, spec.sort_by)
    perm = store.columns.permutation(entity, spec.sort_by)

    def key(j: int) -> Key:
        return (column[j], j)

    if not spec.descending:
        if spec.after is not None:
            pos = bisect_right(perm, spec.after, key=key)
        elif spec.updated_since is not None and spec.sort_by == "update_time":
            pos = bisect_right(perm, (spec.updated_since, -1), key=key)
        else:
            pos = 0
        return (perm[j] for j in range(pos, len(perm)))
    end = bisect_right(perm, spec.after, key=key) - 1 if spec.after else len(perm) - 1
    if spec.after is not None:
        # bisect_right gives the first key > after; step back past keys == after.
        while end >= 0 and key(perm[end]) >= spec.after:
            end -= 1
    return (perm[j] for j in range(end, -1, -1))


def _column_check(
    store: Store, entity: str, cols: Columns, spec: ListSpec
) -> Callable[[int], bool]:
    checks: list[Callable[[int], bool]] = []
    upd = cols.update_time
    since, until = spec.updated_since, spec.updated_until
    if since is not None:
        checks.append(lambda i: upd[i] >= since)
    if until is not None:
        checks.append(lambda i: upd[i] < until)
    for name, allowed in spec.equals.items():
        checks.append(_field_check(store, entity, cols, name, allowed))
    if not checks:
        return lambda i: True
    if len(checks) == 1:
        return checks[0]
    return lambda i: all(c(i) for c in checks)


def _field_check(
    store: Store, entity: str, cols: Columns, name: str, allowed: frozenset[Any]
) -> Callable[[int], bool]:
    if name == "id" and entity != "lead":
        return lambda i: i in allowed
    if name == "is_deleted":
        return lambda i: cols.is_deleted(i) in allowed
    if name == "active_flag":
        return lambda i: (not cols.is_deleted(i)) in allowed
    if name == "is_archived":
        return lambda i: cols.is_archived(i) in allowed
    if name == "status" and "status" in cols.ints:
        codes = {DEAL_STATUSES.index(s) for s in allowed if s in DEAL_STATUSES}
        status = cols.ints["status"]
        return lambda i: status[i] in codes
    if name == "pipeline_id" and "stage_id" in cols.ints:
        stages = cols.ints["stage_id"]
        pipeline_of = store.columns.pipeline_of_stage
        return lambda i: pipeline_of.get(stages[i]) in allowed
    if name in cols.ints:
        column = cols.ints[name]
        return lambda i: column[i] in allowed
    # Not a column: generate the record (slow path, only for rare filters).
    return lambda i: store.generator.make(entity, i).get(name) in allowed
