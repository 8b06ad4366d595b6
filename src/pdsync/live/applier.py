"""Journaled deliveries → the replica, newest version wins.

Each round takes the oldest pending deliveries, groups them by stream and, per
record, keeps only what is newer than what the replica already has:

1. a create/change that happened before the last catch-up's signpost is *superseded*:
   that catch-up read the record after it (deletes are never skipped this way:
   most streams' catch-ups cannot see deletes);
2. a delivery older than the newest one already applied to the same record
   (``meta.timestamp``, in ms) is superseded, so a late, repeated or reordered
   delivery never brings an older version back, nor a deleted record;
3. a create/change whose ``update_time`` is older than the replica row's is superseded
   (``update_time`` is compared only with ``update_time``: Pipedrive's record times and
   event times need not come from one clock).

What remains becomes rows through the catalog and normalisation sync uses, written
with ``merge`` (only the columns the delivery carries), and deletes are marked
(``_pdsync_deleted_at``, never a stub row). Deliveries are settled in the journal
after the replica commit; a crash in between applies them again, which changes
nothing (the same versions, checked the same way). A write the replica refuses
leaves its deliveries pending for the next round.
"""

from __future__ import annotations

import json
import logging
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, replace
from typing import Any

from pdsync.destinations.base import Batch, Destination
from pdsync.errors import PdsyncError
from pdsync.live.journal import Entry, Journal, now_ms
from pdsync.live.objects import STREAM_OF
from pdsync.live.payload import api_record, custom_keys
from pdsync.live.replica import carried_columns, current_versions
from pdsync.live.status import Status
from pdsync.schema import DELETED_AT
from pdsync.sync.context import StreamRun
from pdsync.sync.state import format_instant, parse_instant

log = logging.getLogger(__name__)
IS_DELETED = "is_deleted"

Outcome = tuple[str, str | None]  # (applied | superseded | failed, note)


@dataclass
class _Change:
    entry: Entry
    key: Any
    row: dict[str, Any] | None = None  # None: a delete
    columns: tuple[str, ...] = ()
    last_state: dict[str, Any] | None = None  # a delete's ``previous``, as a row


@dataclass
class RoundResult:
    outcomes: dict[int, Outcome] = field(default_factory=dict)
    unknown_fields: set[str] = field(default_factory=set)  # custom keys the replica lacks
    write_failed: bool = False  # some deliveries stay pending: the replica refused a write

    @property
    def applied(self) -> int:
        return sum(1 for status, _ in self.outcomes.values() if status == "applied")


class Applier:
    def __init__(
        self,
        destination: Destination,
        journal: Journal,
        runs: Mapping[str, StreamRun],
        status: Status,
        covered_until: Callable[[str], int],
    ) -> None:
        self.destination = destination
        self.journal = journal
        self.runs = runs
        self.status = status
        self.covered_until = covered_until  # stream -> ms before which catch-up has it all
        self._warned: set[str] = set()

    def round(self, limit: int = 1000) -> RoundResult:
        """Apply up to ``limit`` pending deliveries; what happened to each."""
        entries = self.journal.pending(limit)
        result = RoundResult()
        by_stream: dict[str, list[Entry]] = defaultdict(list)
        for entry in entries:
            stream = STREAM_OF.get(entry.entity)
            if stream is None or stream not in self.runs:
                result.outcomes[entry.seq] = ("failed", f"object {entry.entity!r} is not followed")
                continue
            by_stream[stream].append(entry)
        lags: list[float] = []
        for stream, items in by_stream.items():
            self._apply_stream(self.runs[stream], items, result)
            committed = now_ms()
            lags.extend(
                committed - e.event_ms
                for e in items
                if result.outcomes.get(e.seq, ("",))[0] == "applied"
            )
        self.journal.settle(result.outcomes)
        for status in ("applied", "superseded", "failed"):
            n = sum(1 for s, _ in result.outcomes.values() if s == status)
            if n:
                self.status.count(status, n)
        self.status.lags(lags)
        return result

    # ------------------------------------------------------------------ per stream

    def _apply_stream(self, run: StreamRun, entries: list[Entry], result: RoundResult) -> None:
        entries = sorted(entries, key=lambda e: (e.event_ms, e.seq))
        changes: list[_Change] = []
        for entry in entries:
            change = self._prepare(run, entry, result)
            if change is not None:
                changes.append(change)
        if not changes:
            return
        keys = list(dict.fromkeys(c.key for c in changes))
        newest = self.journal.last_applied(entries[0].entity, (str(k) for k in keys))
        replica = current_versions(self.destination, run, keys)
        covered = self.covered_until(run.name)
        latest: dict[Any, _Change] = {}
        for change in changes:  # oldest first: a later one replaces an earlier one
            reason = self._stale(change, newest, replica, covered)
            if reason is not None:
                result.outcomes[change.entry.seq] = ("superseded", reason)
                continue
            older = latest.get(change.key)
            if older is not None:
                result.outcomes[older.entry.seq] = ("superseded", "a newer delivery came with it")
            latest[change.key] = change
            newest[str(change.key)] = change.entry.event_ms
        try:
            self._write(run, list(latest.values()), replica)
        except PdsyncError as exc:
            # Left pending: the next round tries again (a locked or full database passes).
            log.error("%s: the replica write failed, will retry: %s", run.name, exc.message)
            result.write_failed = True
            return
        for change in latest.values():
            result.outcomes[change.entry.seq] = ("applied", None)

    def _prepare(self, run: StreamRun, entry: Entry, result: RoundResult) -> _Change | None:
        """A delivery as a row (or a delete), or None when it cannot be one (failed)."""
        try:
            doc = json.loads(entry.body)
            if entry.action == "delete":
                # A delete carries the record's last state in ``previous``: a record the
                # replica never had (its create came later, or before the replica existed)
                # still arrives whole and marked, as sync brings in deleted deals.
                previous = doc.get("previous")
                last = (
                    run.to_rows([api_record(run.spec, previous)])[0]
                    if isinstance(previous, dict) and previous.get("id") is not None
                    else None
                )
                return _Change(entry, _key_of(run, entry.entity_id), last_state=last)
            record = api_record(run.spec, doc["data"])
            row = run.to_rows([record])[0]
        except PdsyncError as exc:
            result.outcomes[entry.seq] = ("failed", exc.message)
            log.warning("%s delivery %s not applied: %s", run.name, entry.seq, exc.message)
            return None
        except (ValueError, KeyError, TypeError) as exc:
            result.outcomes[entry.seq] = ("failed", f"unreadable delivery ({type(exc).__name__})")
            log.warning("%s delivery %s is unreadable", run.name, entry.seq)
            return None
        self._notice_unknown_fields(run, record, result)
        return _Change(entry, run.key_of(row), row, carried_columns(run, record))

    def _notice_unknown_fields(
        self, run: StreamRun, record: Mapping[str, Any], result: RoundResult
    ) -> None:
        known = {m.key for m in run.fields.custom()} if run.fields is not None else set()
        unknown = custom_keys(run.spec, record) - known
        for key in unknown - self._warned:
            self._warned.add(key)
            log.warning(
                "%s: a delivery carries custom field %s, unknown to the replica "
                "(new or deleted in Pipedrive); a catch-up will refresh the fields",
                run.name,
                key[:8],
            )
        result.unknown_fields |= unknown

    @staticmethod
    def _stale(
        change: _Change,
        newest: Mapping[str, int],
        replica: Mapping[Any, tuple[str | None, str | None]],
        covered: int,
    ) -> str | None:
        """Why ``change`` must not be applied, or None if it is the newest version known."""
        event_ms = change.entry.event_ms
        is_delete = change.row is None
        if not is_delete and event_ms < covered:
            return "the catch-up after it read the record"
        applied = newest.get(str(change.key))
        if applied is not None and (applied > event_ms or (applied == event_ms and not is_delete)):
            return "a newer delivery of the record was applied"
        stamp, _ = replica.get(change.key, (None, None))
        update = change.row.get("update_time") if change.row else None
        if stamp is not None and update and parse_instant(str(update)) < parse_instant(stamp):
            return "the replica row is newer"
        return None

    def _write(
        self,
        run: StreamRun,
        changes: list[_Change],
        replica: Mapping[Any, tuple[str | None, str | None]],
    ) -> None:
        groups: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
        deletes: dict[str, list[Any]] = defaultdict(list)
        flag = IS_DELETED if IS_DELETED in run.schema.column_names else None
        pk = run.spec.primary_key[0]
        for change in changes:
            if change.row is None:
                mark = format_instant(_iso_from_ms(change.entry.event_ms))
                deletes[mark].append(change.key)
                if change.key not in replica and change.last_state is not None:
                    # Never a stub: the whole last state, marked deleted.
                    whole = {**change.last_state, **({flag: True} if flag else {})}
                    groups[tuple(c.name for c in run.schema.columns)].append(whole)
                elif flag is not None and change.key in replica:
                    # The row says it too, as a sync's read of a deleted deal does; it keeps
                    # its mark (never a stub: only rows the replica has).
                    marked = replica[change.key][1]
                    row = {pk: change.key, flag: True, DELETED_AT: format_instant(marked or mark)}
                    groups[(pk, flag, DELETED_AT)].append(row)
            else:
                groups[change.columns].append({c: change.row.get(c) for c in change.columns})
        for columns, rows in groups.items():
            chosen = set(columns)
            schema = replace(
                run.schema, columns=tuple(c for c in run.schema.columns if c.name in chosen)
            )
            self.destination.write_batch(Batch(stream=run.name, schema=schema, rows=rows))
        for mark, keys in deletes.items():
            self.destination.write_batch(
                Batch(stream=run.name, schema=run.schema, deleted_ids=keys, deleted_at=mark)
            )


def _key_of(run: StreamRun, entity_id: str) -> Any:
    column = run.schema.column(run.spec.primary_key[0])
    if column is not None and column.type == "integer":
        return int(entity_id)
    return entity_id


def _iso_from_ms(ms: int) -> str:
    from datetime import datetime, timezone

    return datetime.fromtimestamp(ms / 1000, tz=timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
