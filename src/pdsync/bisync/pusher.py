"""The push half of a cycle: local changes of one stream → push's planner, journal, applier.

Each record's change becomes one input row for push (columns are the replica's readable
names, which push resolves), numbered by its last change-log sequence number, so the
journal recognises it after a crash: a write already done is not sent again, a create
left halfway is read back first. After the write lands, the change log entries are
cleared and a created record's local id is replaced by Pipedrive's (and foreign keys in
the other tables follow) in one transaction with the replica.
"""

from __future__ import annotations

import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsync.bisync import capture
from pdsync.bisync.changes import MAINTAINED, LocalChange, changed_columns
from pdsync.bisync.conflicts import Conflict, Policy, decide, record, winner
from pdsync.bisync.db import ReplicaDb
from pdsync.catalog.fields import FieldMapping
from pdsync.destinations.identifiers import quote
from pdsync.push.api import PushClient, get_record, is_deleted
from pdsync.push.apply import Applier
from pdsync.push.convert import ConvertOptions, RowConverter
from pdsync.push.engine import load_fields
from pdsync.push.fields import FieldDef
from pdsync.push.inputs import InputRow
from pdsync.push.journal import Journal
from pdsync.push.match import Key, Matcher
from pdsync.push.objects import ObjectSpec
from pdsync.push.payload import current_value
from pdsync.push.plan import PlanItem
from pdsync.push.planner import Planner
from pdsync.push.relations import RelationLookups
from pdsync.push.values import RowError
from pdsync.schema import DELETED_AT

# The column other tables use to point at a record of each stream.
FOREIGN_KEYS = {
    "organizations": "org_id",
    "persons": "person_id",
    "deals": "deal_id",
    "products": "product_id",
    "leads": "lead_id",
    "activities": "activity_id",
}
_COMPANIONS = ("_currency", "_until")
_IDS_PER_READ = 100  # the most ids a v2 list takes


@dataclass
class Outcome:
    """What one record's change came to, for the report."""

    change: LocalChange
    item: PlanItem | None = None
    conflicts: list[Conflict] = field(default_factory=list)
    error: str | None = None  # kept in the change log until fixed
    dropped: str | None = None  # settled without a write (e.g. the record is gone)
    new_id: Any = None


class KnownRecords(Matcher):
    """Matches by id from records already read for the conflict check (no second GET)."""

    def __init__(self, client: PushClient, spec: ObjectSpec, fields: Any) -> None:
        super().__init__(client, spec, fields, Key("id", None), None)
        self.known: dict[str, dict[str, Any] | None] = {}

    def find(self, raw: Any, canonical: Any) -> list[dict[str, Any]]:
        key = str(raw)
        if key in self.known:
            found = self.known[key]
            return [found] if found is not None else []
        return super().find(raw, canonical)


class StreamPusher:
    def __init__(
        self,
        client: PushClient,
        spec: ObjectSpec,
        db: ReplicaDb,
        journal_dir: Path | None,
        policy: Policy,
        *,
        dry_run: bool = False,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client, self.spec, self.db, self.policy = client, spec, db, policy
        self.table = spec.replica_table or spec.name
        self.dry_run, self.clock = dry_run, clock
        self.fields = load_fields(client, spec, _stored_mappings(db, spec.fields_entity))
        lookups = RelationLookups(client, dry_run=dry_run)
        self.converter = RowConverter(spec, self.fields, lookups, ConvertOptions())
        self.matcher = KnownRecords(client, spec, self.fields)
        self.journals: dict[str, Journal] = {}
        self.planners: dict[str, Planner] = {}
        for mode in ("insert", "update", "delete"):
            path = journal_dir / f"{spec.name}-{mode}.journal" if journal_dir else None
            journal = Journal(path, dry_run=dry_run)
            journal.bind(object=spec.name, mode=mode, key="" if mode == "insert" else "id")
            self.journals[mode] = journal
            key = None if mode == "insert" else Key("id", None)
            matcher = None if mode == "insert" else self.matcher
            self.planners[mode] = Planner(
                client, spec, self.fields, self.converter, mode, journal, key, matcher
            )
        self.applier = {m: Applier(client, spec, j, clock) for m, j in self.journals.items()}

    def prefetch(self, changes: list[LocalChange]) -> None:
        """Read the records behind updates and deletes 100 at a time (v2 ``ids``), so
        a cycle of many changes spends its requests on writes, not on one read each.
        A record the list leaves out is read alone later (it may be hidden or gone)."""
        if self.spec.version != "v2":
            return
        wanted = [c.record_id for c in changes if c.op in ("update", "delete")]
        wanted = [i for i in wanted if i.isdigit()]
        for start in range(0, len(wanted), _IDS_PER_READ):
            chunk = wanted[start : start + _IDS_PER_READ]
            params = {"ids": ",".join(chunk), "limit": _IDS_PER_READ}
            answer = self.client.request("GET", self.spec.path, version="v2", params=params)
            for found in answer.get("data") or []:
                if isinstance(found, dict) and not is_deleted(found):
                    self.matcher.known[str(found.get("id"))] = found

    def close(self) -> None:
        for journal in self.journals.values():
            journal.close()

    # -- one record -----------------------------------------------------------------------

    def push(self, change: LocalChange) -> Outcome:
        if change.op == "gone":
            return self._finish(Outcome(change))
        if change.op == "delete":
            return self._send(
                Outcome(change), "delete", {"id": record_id_of(self.spec, change.record_id)}
            )
        change.current = self.db.row(self.table, record_id_of(self.spec, change.record_id))
        if change.current is None:
            return self._finish(Outcome(change))  # deleted again; its delete is logged
        if change.op == "insert":
            return self._send(Outcome(change), "insert", self._insert_values(change.current))
        return self._update(change)

    def _insert_values(self, row: dict[str, Any]) -> dict[str, Any]:
        values: dict[str, Any] = {}
        codes: set[str] = set()
        for column, cell in row.items():
            if cell is None or column in MAINTAINED or column.startswith("_pdsync_"):
                continue
            if _companion_of(column, row) is not None:
                values[column] = cell
                continue
            target = self._field(column)
            if target is not None and target.code not in codes:
                codes.add(target.code)
                values[column] = cell
        return values

    def _update(self, change: LocalChange) -> Outcome:
        outcome = Outcome(change)
        # The user's row from the log, not the table: a pull may have overwritten the
        # table's row since (an edit made while a cycle ran) and the edit must survive.
        local_row = change.latest if change.latest is not None else change.current
        assert local_row is not None
        change.changed = changed_columns(change.base or {}, local_row)
        record_id = record_id_of(self.spec, change.record_id)
        columns, refused = self._writable(change.changed, local_row)
        if not columns and not refused:
            return self._finish(outcome)
        if str(record_id) in self.matcher.known:
            remote = self.matcher.known[str(record_id)]
        else:
            remote = get_record(self.client, self.spec, record_id)
            self.matcher.known[str(record_id)] = remote
        if remote is None:
            outcome.dropped = "deleted in Pipedrive: the local edit is dropped"
            return self._finish(outcome)
        send: dict[str, Any] = {"id": record_id}
        for column, target in columns.items():
            cells = self._cells(column, local_row)
            if cells[column] is None:
                refused.append(column)  # push never clears a field
                continue
            local = self._canonical(cells, target)
            base = self._canonical(self._cells(column, change.base or {}), target)
            theirs = current_value(self.spec, self.fields, remote, target.code)
            verdict = decide(local, base, theirs)
            if verdict == "conflict":
                side = winner(self.policy, change.changed_at, remote.get("update_time"))
                outcome.conflicts.append(
                    Conflict(
                        self.table,
                        change.record_id,
                        column,
                        cells[column],
                        theirs,
                        self.policy,
                        side,
                    )
                )
                verdict = "push" if side == "local" else "keep"
            if verdict == "push":
                send.update(cells)
        if refused:
            outcome.error = (
                f"column {', '.join(refused)}: read-only, or cleared (pdsync never clears a "
                "field in Pipedrive); revert the edit or set a value"
            )
        if len(send) == 1:
            return self._finish(outcome)
        return self._send(outcome, "update", send)

    def _writable(
        self, changed: list[str], row: dict[str, Any]
    ) -> tuple[dict[str, FieldDef], list[str]]:
        columns: dict[str, FieldDef] = {}
        refused: list[str] = []
        codes: set[str] = set()
        for column in changed:
            base = _companion_of(column, row) or column
            target = self._field(base)
            if target is None:
                refused.append(column)
            elif target.code not in codes:  # a label and its option id: one field
                codes.add(target.code)
                columns[base] = target
        return columns, refused

    def _field(self, column: str) -> FieldDef | None:
        try:
            return self.fields.resolve(column)
        except LookupError:
            return None

    def _cells(self, column: str, row: dict[str, Any]) -> dict[str, Any]:
        cells = {column: row.get(column)}
        for suffix in _COMPANIONS:
            if column + suffix in row:
                cells[column + suffix] = row.get(column + suffix)
        return cells

    def _canonical(self, cells: dict[str, Any], target: FieldDef) -> Any:
        try:
            return self.converter.convert(InputRow(0, cells)).values.get(target.code)
        except RowError:
            return next(iter(cells.values()))

    # -- writing --------------------------------------------------------------------------

    def _send(self, outcome: Outcome, mode: str, values: dict[str, Any]) -> Outcome:
        change = outcome.change
        item = self.planners[mode].plan(InputRow(change.last_seq, values))
        self.journals[mode].commit()
        outcome.item = item
        if item.action == "error":
            outcome.error = item.message
            return self._finish(outcome)
        if self.dry_run:
            return outcome
        if item.writes and item.status != "done":
            item = self.applier[mode].apply(item)
            outcome.item = item
            if item.status == "failed":
                outcome.error = item.message
                return self._finish(outcome)
        if mode == "insert":
            outcome.new_id = item.record_id
        return self._finish(outcome)

    def _finish(self, outcome: Outcome) -> Outcome:
        """Clear the record's change log entries (or note its error), in one transaction
        with the local id rewrite and the conflicts it produced."""
        if self.dry_run:
            return outcome
        change = outcome.change
        if outcome.error:
            capture.note_error(
                self.db, self.table, change.record_id, change.last_seq, outcome.error
            )
            return outcome
        now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime(self.clock()))
        with self.db.transaction():
            capture.clear(self.db, self.table, change.record_id, change.last_seq)
            for conflict in outcome.conflicts:
                record(self.db, conflict, now)
            if outcome.new_id is not None and str(outcome.new_id) != change.record_id:
                self._rewrite_id(change.record_id, outcome.new_id)
        return outcome

    def _rewrite_id(self, old: str, new: Any) -> None:
        old_id = record_id_of(self.spec, old)
        # A sync run between a crash and this rerun may have pulled the created record
        # in already: that row is the same record, so the local row replaces it.
        self.db.execute(f"DELETE FROM {quote(self.table)} WHERE id = ?", (new,))
        self.db.execute(f"UPDATE {quote(self.table)} SET id = ? WHERE id = ?", (new, old_id))
        if DELETED_AT in self.db.columns(self.table):
            # An id scan marks a local id Pipedrive does not know; it knows it now.
            self.db.execute(
                f"UPDATE {quote(self.table)} SET {DELETED_AT} = NULL WHERE id = ?", (new,)
            )
        capture.rename_record(self.db, self.table, old, str(new))
        column = FOREIGN_KEYS.get(self.spec.name)
        if column is None:
            return
        capture.rewrite_reference(self.db, column, old_id, new)
        for table in sorted(self.db.tables()):
            if table.startswith("_pdsync_") or column not in self.db.columns(table):
                continue
            self.db.execute(
                f"UPDATE {quote(table)} SET {quote(column)} = ? WHERE {quote(column)} = ?",
                (new, old_id),
            )


def record_id_of(spec: ObjectSpec, text: str) -> Any:
    if spec.id_type is int:
        try:
            return int(text)
        except ValueError:
            return text
    return text


def _companion_of(column: str, row: dict[str, Any]) -> str | None:
    for suffix in _COMPANIONS:
        if column.endswith(suffix) and column[: -len(suffix)] in row:
            return column[: -len(suffix)]
    return None


def _stored_mappings(db: ReplicaDb, entity: str | None) -> list[FieldMapping]:
    """The column names the sync froze in ``_pdsync_fields`` (a rename keeps them)."""
    if entity is None or "_pdsync_fields" not in db.tables():
        return []
    rows = db.rows("SELECT * FROM _pdsync_fields WHERE entity = ?", (entity,))
    mappings = []
    for row in rows:
        options = row.get("options_json") or {}
        mappings.append(
            FieldMapping.from_row(
                {
                    **row,
                    "column": row.get("column_name"),
                    "options": options,
                    # The replica's table has no is_custom; custom keys are 40-hex hashes.
                    "is_custom": re.fullmatch(r"[0-9a-f]{40}", str(row["key"])) is not None,
                }
            )
        )
    return mappings
