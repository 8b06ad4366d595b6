"""One bisync cycle: capture → push local changes → pull Pipedrive's → report.

Order matters. Local changes are pushed first, each decided field by field against the
record as Pipedrive has it now (so a conflict is judged on fresh data); then the
incremental sync pulls everything that changed in Pipedrive since its bookmark, which
includes the writes just made, so every record touched on either side ends with
Pipedrive's merged state in the replica. The sync's writes are not captured, so the
next cycle starts from an empty change log; with no user activity it sends nothing.
"""

from __future__ import annotations

import hashlib
import os
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path
from typing import Any

from pdsync.bisync import capture
from pdsync.bisync.changes import LocalChange, collapse
from pdsync.bisync.conflicts import Policy, ensure_table, parse_policies
from pdsync.bisync.db import ReplicaDb
from pdsync.bisync.preview import pull_preview
from pdsync.bisync.pusher import Outcome, StreamPusher
from pdsync.destinations.identifiers import quote
from pdsync.destinations.sqlite_ddl import META_TABLE
from pdsync.errors import ConfigError, DestinationError
from pdsync.push.objects import get_object
from pdsync.push.plan import render_item
from pdsync.sync.report import SyncReport
from pdsync.sync.run import ClientFactory, SyncRequest, run_sync

# Creates run parents first, so a deal created with a new person points at its real id.
STREAMS = ("organizations", "persons", "products", "deals", "leads", "activities", "notes")
MASS_DELETE_COUNT = 50
MASS_DELETE_SHARE = 0.10  # ... or this share of a table, once more than 10 are deleted


@dataclass(frozen=True)
class BisyncRequest:
    streams: Sequence[str] = ()
    target: str = "sqlite:///pipedrive.db"
    conflict: str | None = None  # "newest-wins" or "deals=manual,pipedrive-wins"
    dry_run: bool = False
    allow_mass_delete: bool = False
    reconcile_every: timedelta | None = timedelta(hours=24)


@dataclass
class CycleReport:
    outcomes: list[Outcome] = field(default_factory=list)
    pull: SyncReport | None = None
    dry_run: bool = False
    pull_plan: list[str] = field(default_factory=list)  # a dry run's look at Pipedrive

    @property
    def pushed(self) -> int:
        return sum(1 for o in self.outcomes if o.item and o.item.writes and not o.error)

    @property
    def errors(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.error]

    def lines(self) -> list[str]:
        out = []
        for o in self.outcomes:
            c = o.change
            what: str = o.item.action if o.item else "nothing to send"
            if o.new_id is not None:
                what += f" (local id {c.record_id} → {o.new_id})"
            out.append(f"{c.table} #{c.record_id}: {c.op} → {what}")
            if o.item is not None and o.item.action in ("create", "update"):
                out += ["  " + line for line in render_item(o.item, c.table).splitlines()[1:]]
            out += [f"  {conflict.line()}" for conflict in o.conflicts]
            if o.error:
                out.append(f"  error: {o.error}")
            if o.dropped:
                out.append(f"  {o.dropped}")
        verb = "would push" if self.dry_run else "pushed"
        conflicts = sum(len(o.conflicts) for o in self.outcomes)
        out.append(
            f"Database → Pipedrive: {len(self.outcomes)} changed records, {verb} "
            f"{self.pushed if not self.dry_run else _planned(self.outcomes)}, "
            f"{conflicts} conflicts, {len(self.errors)} errors."
        )
        if self.pull_plan:
            out.append("Pipedrive → database (the sync would read):")
            out += self.pull_plan
        if self.pull is not None:
            totals = self.pull.to_dict()["totals"]
            out.append(
                f"Pipedrive → database: {totals['inserted']} inserted, {totals['updated']} "
                f"updated, {totals['deleted']} deleted ({self.pull.requests} requests)."
            )
        return out


def _planned(outcomes: list[Outcome]) -> int:
    return sum(1 for o in outcomes if o.item and o.item.writes)


def check_streams(names: Sequence[str]) -> list[str]:
    unknown = [n for n in names if n not in STREAMS]
    if unknown:
        raise ConfigError(
            f"bisync cannot sync {', '.join(unknown)} both ways.",
            hint=f"Two-way streams: {', '.join(STREAMS)}.",
        )
    chosen = set(names) or set(STREAMS)
    return [s for s in STREAMS if s in chosen]  # parents first


def journal_dir(db: ReplicaDb) -> Path:
    """Push journals next to a SQLite replica, else in pdsync's state folder."""
    if db.dialect == "sqlite" and db.path != ":memory:":
        return Path(db.path + ".bisync")
    state = Path(os.environ.get("XDG_STATE_HOME") or Path.home() / ".local" / "state")
    digest = hashlib.sha256(db.path.encode()).hexdigest()[:16]
    return state / "pdsync" / "bisync" / digest


def run_cycle(
    request: BisyncRequest,
    *,
    client_factory: ClientFactory,
    on_line: Callable[[str], None] = lambda _: None,
) -> CycleReport:
    streams = check_streams(request.streams)
    default, per_stream = parse_policies(request.conflict)
    report = CycleReport(dry_run=request.dry_run)
    with ReplicaDb(request.target, create=not request.dry_run) as db:
        present = db.tables()
        if present and META_TABLE not in present:
            raise DestinationError(
                f"{db.url} holds tables but is not a pdsync replica (no {META_TABLE}).",
                hint="bisync installs triggers only on a replica `pdsync sync` made: "
                "point --target at one, or at a new database.",
            )
        tables = [s for s in streams if s in present]
        if tables and not request.dry_run:
            capture.install(db, tables)
            ensure_table(db)
        changes = collapse(capture.pending(db, tables))
        _brake(db, changes, request.allow_mass_delete)
        if changes:
            folder = journal_dir(db)
            if not request.dry_run:  # a dry run reads journals that exist, makes none
                folder.mkdir(parents=True, exist_ok=True)
            client = client_factory(None, lambda seconds, reason: None)
            with client:
                for stream in streams:
                    # Read again per stream: creates of the streams before rewrote the
                    # local ids these changes may point at.
                    mine = collapse(capture.pending(db, [stream])) if stream in tables else []
                    if mine:
                        policy: Policy = per_stream.get(stream, default)
                        report.outcomes += _push_stream(
                            client, db, stream, mine, folder, policy, request.dry_run
                        )
        if request.dry_run:
            if tables:
                with client_factory(None, lambda seconds, reason: None) as client:
                    report.pull_plan = pull_preview(client, request.target, streams)
            on_line("Dry run: nothing was written to Pipedrive or the database.")
            return report
        report.pull = run_sync(
            SyncRequest(
                streams=streams, target=request.target, reconcile_every=request.reconcile_every
            ),
            client_factory=client_factory,
        )
        capture.install(db, [s for s in streams if s in db.tables()])  # new tables/columns
        ensure_table(db)
    return report


def _push_stream(
    client: Any,
    db: ReplicaDb,
    stream: str,
    changes: list[LocalChange],
    folder: Path,
    policy: Policy,
    dry_run: bool,
) -> list[Outcome]:
    pusher = StreamPusher(client, get_object(stream), db, folder, policy, dry_run=dry_run)
    try:
        pusher.prefetch(changes)
        return [pusher.push(change) for change in changes]
    finally:
        pusher.close()


def _brake(db: ReplicaDb, changes: list[LocalChange], allowed: bool) -> None:
    """Stop before a cycle deletes more than 50 records, or over 10 % of a table, in Pipedrive."""
    if allowed:
        return
    deletes: dict[str, int] = {}
    for change in changes:
        if change.op == "delete":
            deletes[change.table] = deletes.get(change.table, 0) + 1
    for table, count in deletes.items():
        total = int(db.scalar(f"SELECT count(*) FROM {quote(table)}") or 0) + count
        if count > MASS_DELETE_COUNT or (count > 10 and count > MASS_DELETE_SHARE * total):
            raise ConfigError(
                f"This cycle would delete {count} of {total} {table} in Pipedrive; "
                "nothing was written.",
                hint="If these local DELETEs are meant, run again with --allow-mass-delete.",
            )
