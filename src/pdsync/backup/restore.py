"""``pdsync restore``: put deleted records back and changed ones back as they were.

The account is read once (the same sync as a snapshot) and compared with the snapshot.
Then, stage by stage in dependency order — custom fields and options, organizations,
persons, products, deals, leads, activities, notes, deal products, participants,
followers — two pushes run through push's plan → journal → apply:

- *re-create*: every record of the snapshot missing from the account, as an insert
  (links: an upsert, so a follower Pipedrive added by itself is not added twice). Each
  new id goes into the id map, and every later row is rewired through it before it is
  planned, so a note points at the re-created deal, a deal at the re-created person.
- *revert*: every record whose compared fields differ, as an update by id of exactly
  those fields (links: the attachment's values, product prices included).

Journals live in the store (``restores/<snapshot>/``), one per stage and kind, with
rows numbered in key order; a restore killed halfway resumes where it stopped (a create
whose answer was lost is read back, never sent twice) and a second run plans only
skips. Rows push cannot write are reported with push's message, never dropped.
Into another account everything is created (see :mod:`pdsync.backup.migrate`).
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.backup.align import align
from pdsync.backup.capture import load_state, read_account
from pdsync.backup.diff import diff_stream, remap
from pdsync.backup.mappings import snapshot_mappings, write_mappings
from pdsync.backup.migrate import SHARED_REFERENCES, UNMATCHED, field_keys, shared_maps
from pdsync.backup.outcome import (
    NOT_RESTORED,
    STAGES,
    OnItem,
    RestoreOptions,
    RestoreResult,
    Unrestorable,
    load_id_map,
    report_not_restored,
    restore_folder,
    save_id_map,
)
from pdsync.backup.references import references
from pdsync.backup.restore_fields import FIELD_PATHS, plan_fields, restore_fields
from pdsync.backup.rows import push_row, unwritable
from pdsync.backup.state import Key, State
from pdsync.backup.store import Store
from pdsync.catalog.fields import FieldMapping
from pdsync.catalog.registry import CATALOG
from pdsync.errors import ConfigError
from pdsync.push import Journal, PlanItem, PushOptions, get_object, load_fields, run_push
from pdsync.push.fields import FieldSet
from pdsync.push.inputs import InputRow

__all__ = [
    "NOT_RESTORED",
    "STAGES",
    "RestoreOptions",
    "RestoreResult",
    "Unrestorable",
    "load_id_map",
    "restore_folder",
    "run_restore",
]


_COMPANIONS = ("_currency", "_until")


def run_restore(
    client: PipedriveClient,
    store: Store,
    snapshot_id: str,
    options: RestoreOptions,
    *,
    on_item: OnItem = lambda stream, item: None,
) -> RestoreResult:
    chosen = _chosen_stages(options.streams)
    manifest = store.load(snapshot_id)
    snapshot = load_state(store, manifest)
    folder = restore_folder(store, snapshot_id)
    if options.into:
        folder = folder / f"into-{options.into}"  # journals, id map and cache of the target
    folder.mkdir(parents=True, exist_ok=True, mode=0o700)
    reader = Store(folder, store.sealer) if options.into else store
    # Followers and participants are re-read for every parent: a link added or removed
    # does not move its parent's update time, so an incremental read could miss it.
    live = align(snapshot, read_account(client, reader, full_children=True).state)
    result = RestoreResult(dry_run=options.dry_run, ids=load_id_map(folder))
    unmatched: dict[str, set[Any]] = {}
    if options.into:
        shared, unmatched = shared_maps(snapshot, live)
        result.ids.update(shared)
        for stream, ids in field_keys(snapshot, live).items():
            result.ids.setdefault(stream, {}).update(ids)
        for stream, why in UNMATCHED.items():
            for key in sorted(unmatched[stream], key=_order):
                result.unrestorable.append(Unrestorable(stream, key, why))
    for stream in FIELD_PATHS:
        if chosen and not _uses_fields(stream, chosen):
            continue
        items = plan_fields(stream, snapshot.get(stream, {}), live.get(stream, {}))
        with Journal(folder / f"{stream}.journal", dry_run=options.dry_run) as journal:
            for item in restore_fields(
                client,
                stream,
                items,
                journal,
                dry_run=options.dry_run,
                on_item=functools.partial(on_item, stream),
            ):
                result.add(stream, item)
                if item.action == "create" and item.status == "done":
                    result.ids.setdefault(stream, {})[item.key] = item.record_id
                if item.status == "failed":
                    result.unrestorable.append(Unrestorable(stream, item.key, item.message))
    mappings = snapshot_mappings(snapshot, result.ids)
    replica = write_mappings(folder / "fields.sqlite", mappings)
    run = _Run(client, snapshot, live, folder, options, result, on_item, mappings, replica)
    run.unmatched = unmatched
    if options.deleted:
        for stream in chosen or STAGES:
            _recreate(run, stream)
            if not options.dry_run:
                save_id_map(folder, result.ids)
    if options.changed or options.deleted:
        # Deleted records' references to each other are set here, after every create.
        for stream in chosen or STAGES:
            _revert(run, stream)
    if not options.into:
        report_not_restored(snapshot, live, options, result)
    return result


def _uses_fields(field_stream: str, chosen: Sequence[str]) -> bool:
    entity = field_stream[: -len("_fields")]
    return any(s.startswith(entity) or (entity == "deal" and s == "leads") for s in chosen)


def _chosen_stages(streams: Sequence[str]) -> list[str]:
    unknown = [s for s in streams if s not in STAGES]
    if unknown:
        raise ConfigError(
            f"pdsync cannot restore {', '.join(unknown)}.",
            hint=f"Restorable streams: {', '.join(STAGES)}.",
        )
    return [s for s in STAGES if s in streams]


@dataclass
class _Run:
    """What every stage of one restore reads: both states, the journals' folder, options."""

    client: PipedriveClient
    snapshot: State
    live: State
    folder: Path
    options: RestoreOptions
    result: RestoreResult
    on_item: OnItem
    mappings: list[FieldMapping] = field(default_factory=list)
    replica: str | None = None  # push reads the snapshot's column names from it
    # stream -> old key -> columns left out when it was re-created (set by the revert)
    dropped: dict[str, dict[Key, set[str]]] = field(default_factory=dict)
    unmatched: dict[str, set[Any]] = field(default_factory=dict)  # users… not in the target

    @property
    def cross(self) -> bool:
        return bool(self.options.into)

    def references(self, stream: str) -> dict[str, str]:
        refs = references(stream, self.snapshot)
        return {**refs, **SHARED_REFERENCES.get(stream, {})} if self.cross else refs

    def fields(self, stream: str) -> FieldSet:
        spec = get_object(stream)
        entity = spec.fields_entity
        previous = [m for m in self.mappings if m.entity == entity]
        return load_fields(self.client, spec, previous)

    def gone(self, stream: str) -> list[Key]:
        """Snapshot records missing from the account (a set that reruns do not change)."""
        saved, now = self.snapshot.get(stream, {}), self.live.get(stream, {})
        return [k for k in sorted(saved, key=_order) if self.cross or k not in now]


def _recreate(run: _Run, stream: str) -> None:
    """Insert the records the account lost; map their new ids.

    References to records of this stage or a later one that are themselves gone are
    left out here (their new ids are not known yet, and a rerun must plan the very same
    rows to recognise them in the journal); the revert pass sets them afterwards.
    """
    spec = get_object(stream)
    saved = run.snapshot.get(stream, {})
    gone = [k for k in run.gone(stream) if _picked(k, run.options.ids)]
    if not gone:
        return
    fields = run.fields(stream)
    refs = run.references(stream)
    later = set(STAGES[STAGES.index(stream) :])
    unknown = {t: set(run.gone(t)) for t in set(refs.values()) if t in later}
    ids = run.result.ids
    rows = []
    dropped = run.dropped.setdefault(stream, {})
    for key in gone:
        row = dict(saved[key])
        for column, target in refs.items():
            if row.get(column) in unknown.get(target, ()):
                row[column] = None
        if stream == "activities":
            row = _without_unknown_participants(row, unknown.get("persons", set()))
        dropped[key] = {c for c in row if row[c] != saved[key].get(c)}  # set by the revert
        for column, target in refs.items():  # what the target lacks: left out for good
            if row.get(column) in run.unmatched.get(target, ()) or _foreign(
                run, target, row.get(column)
            ):
                row[column] = None
        rows.append(push_row(stream, row, fields, refs, ids))
    mode = "upsert" if spec.link is not None else "insert"
    journal = run.folder / f"{stream}-recreate.journal"
    if run.options.dry_run and spec.link is not None:
        items = _dry_run_links(run, stream, mode, [saved[k] for k in gone], rows, journal)
    else:
        items = _push(run, stream, mode, rows, journal)
    own = ids.setdefault(stream, {})
    surrogate = CATALOG[stream].primary_key == ("id",)  # followers are keyed by their pair
    for key, item in zip(gone, items, strict=True):
        _record(run.result, stream, key, item, run.on_item)
        # A skip carries the id an earlier run created (or the link already there).
        if item.record_id is not None and item.action in ("create", "skip") and surrogate:
            own[key] = item.record_id
    _report_unwritable(run, stream, fields, [saved[k] for k in gone])


def _dry_run_links(
    run: _Run,
    stream: str,
    mode: str,
    saved: list[Mapping[str, Any]],
    rows: list[dict[str, Any]],
    journal: Path,
) -> list[PlanItem]:
    """A dry run re-creates no parent, so a link to one cannot be planned against the API:
    it is shown as a create that follows its parent; the other links are planned."""
    gone = {t: set(run.gone(t)) for t in set(run.references(stream).values()) if t in STAGES}
    refs = run.references(stream)
    waits = [any(row.get(c) in gone.get(t, ()) for c, t in refs.items()) for row in saved]
    planned = iter(
        _push(run, stream, mode, [r for r, w in zip(rows, waits, strict=True) if not w], journal)
    )
    return [
        PlanItem(n, "create", body=row, message="after its re-created parent")
        if wait
        else next(planned)
        for n, (row, wait) in enumerate(zip(rows, waits, strict=True), start=1)
    ]


def _foreign(run: _Run, target: str, value: Any) -> bool:
    """Into another account, a reference to a record the snapshot lacks would name
    whatever the target has under that id."""
    return run.cross and target in STAGES and value not in run.snapshot.get(target, {})


def _without_unknown_participants(row: dict[str, Any], unknown: set[Any]) -> dict[str, Any]:
    listed = row.get("participants")
    if isinstance(listed, list):
        row["participants"] = [
            p for p in listed if not (isinstance(p, dict) and p.get("person_id") in unknown)
        ]
    if row.get("person_id") in unknown:
        row["person_id"] = None
    return row


def _revert(run: _Run, stream: str) -> None:
    """Update the records whose compared fields differ from the snapshot's (by id).

    Records re-created by this restore are compared with what was sent for them (the
    references left out then are the differences), the others with the account.
    """
    spec = get_object(stream)
    saved, now = run.snapshot.get(stream, {}), run.live.get(stream, {})
    ids = run.result.ids
    kept = {} if run.cross else {k: saved[k] for k in saved if k in now}
    mapped = remap(stream, kept, run.snapshot, ids)
    current = {k: now[k] for k in mapped if k in now}
    sources = {k: kept[k] for k in mapped if k in kept}
    for old, left_out in run.dropped.get(stream, {}).items():
        new_id = ids.get(stream, {}).get(old)
        if not left_out or new_id is None:
            continue
        row = {**saved[old], "id": new_id}
        moved = remap(stream, {old: saved[old]}, run.snapshot, ids)
        for key, target in moved.items():
            mapped[key] = target
            current[key] = {**target, **dict.fromkeys(left_out)}
            sources[key] = row
    changes = diff_stream(stream, mapped, current, all_old_columns=True).changed
    keys = [k for k in sorted(changes, key=_order) if _picked(k, run.options.ids)]
    if not run.options.changed:  # only the references between re-created records
        restored = set(ids.get(stream, {}).values())
        keys = [k for k in keys if k in restored]
    if not keys:
        return
    fields = run.fields(stream)
    refs = run.references(stream)
    link = spec.link
    rows = []
    for key in keys:
        columns = {c.field for c in changes[key]}
        columns |= {c[: -len(s)] for c in columns for s in _COMPANIONS if c.endswith(s)}
        if link is not None:
            columns |= {link.parent, link.target, _parent_column(stream)}
        rows.append(
            push_row(stream, sources[key], fields, refs, ids, only=columns, with_id=link is None)
        )
    mode = "upsert" if link is not None else "update"
    journal = run.folder / f"{stream}-revert.journal"
    items = _push(run, stream, mode, rows, journal)
    for key, item in zip(keys, items, strict=True):
        _record(run.result, stream, key, item, run.on_item)


def _report_unwritable(
    run: _Run, stream: str, fields: Any, rows: Sequence[Mapping[str, Any]]
) -> None:
    columns = sorted({c for r in rows for c, v in r.items() if v not in (None, [], "")})
    for column in columns:
        if unwritable(fields, column):
            run.result.unrestorable.append(
                Unrestorable(
                    stream,
                    f"field {column}",
                    "the account lists no options for this field, so its values cannot be "
                    "checked and are left out",
                )
            )


def _parent_column(stream: str) -> str:
    return {"organization_followers": "organization_id"}.get(stream, "")


def _order(key: Key) -> tuple[int, str]:
    return (0, f"{key:020d}") if isinstance(key, int) else (1, str(key))


def _picked(key: Key, wanted: frozenset[str]) -> bool:
    if not wanted:
        return True
    parts = key if isinstance(key, tuple) else (key,)
    return any(str(p) in wanted for p in parts)


def _push(
    run: _Run, stream: str, mode: str, rows: list[dict[str, Any]], journal_path: Path
) -> list[PlanItem]:
    if not rows:
        return []
    inputs = (InputRow(n, row) for n, row in enumerate(rows, start=1))
    dry_run = run.options.dry_run
    push_options = PushOptions(stream, mode, dry_run=dry_run, yes=True, replica=run.replica)
    planned: dict[int, PlanItem] = {}

    def keep(item: PlanItem) -> None:
        planned[item.row] = item

    with Journal(journal_path, dry_run=dry_run) as journal:
        run_push(run.client, inputs, push_options, journal, on_plan=keep)
        # A row an earlier run applied is planned as a skip, but kept in the journal as
        # what it was (create, update): report it as done before, not done now.
        return [planned[i.row] if planned[i.row].action == "skip" else i for i in journal.items()]


def _record(result: RestoreResult, stream: str, key: Key, item: PlanItem, on_item: OnItem) -> None:
    result.add(stream, item)
    on_item(stream, item)
    if item.action == "error" or item.status == "failed":
        result.unrestorable.append(Unrestorable(stream, key, item.message))
