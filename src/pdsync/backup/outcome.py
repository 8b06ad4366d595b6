"""What a restore was asked to do and what came of it: options, counts, what was not
restored and why, the id map (old id → new id) kept beside its journals."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from pdsync.backup.diff import diff_stream, remap
from pdsync.backup.references import IdMap
from pdsync.backup.restore_fields import FIELD_PATHS
from pdsync.backup.state import FIELDS_STREAM, Key, State
from pdsync.backup.store import Store, write_private
from pdsync.push.plan import PlanItem

# Streams a restore does not write, and why (reported when they differ).
NOT_RESTORED = {
    "users": "users are invited by an admin in Pipedrive, not created through the API",
    "archived_deals": "archived deals cannot be edited; un-archive them in Pipedrive first",
    "archived_leads": "archived leads are restored by un-archiving them in Pipedrive",
    "files": "file contents are not re-uploaded by pdsync yet (their metadata is kept)",
    "pipelines": "pipelines and stages are not re-created (create them, then restore)",
    "stages": "pipelines and stages are not re-created (create them, then restore)",
    "activity_fields": "activity fields are read-only through the API",
    "note_fields": "note fields are read-only through the API",
}
_OTHER = "pdsync does not restore this kind of record yet; recreate it in Pipedrive"
# What a restore writes, in dependency order: records (parents before children), then links.
RECORD_STAGES = ("organizations", "persons", "products", "deals", "leads", "activities", "notes")
LINK_STAGES = (
    "deal_products",
    "deal_participants",
    "deal_followers",
    "person_followers",
    "organization_followers",
    "product_followers",
)
STAGES = RECORD_STAGES + LINK_STAGES
# Not reported as "not restored": the stages, the custom fields restore_fields writes.
RESTORED = frozenset({*STAGES, *FIELD_PATHS, FIELDS_STREAM})


@dataclass(frozen=True)
class RestoreOptions:
    streams: Sequence[str] = ()  # empty: every stage
    ids: frozenset[str] = frozenset()  # old ids to restore (empty: all)
    deleted: bool = True
    changed: bool = True
    dry_run: bool = False
    into: str = ""  # another account's name: create everything there (see migrate.py)


@dataclass
class Unrestorable:
    stream: str
    key: Any
    reason: str


@dataclass
class RestoreResult:
    counts: dict[str, dict[str, int]] = field(default_factory=dict)  # stream -> action -> n
    unrestorable: list[Unrestorable] = field(default_factory=list)
    ids: IdMap = field(default_factory=dict)
    dry_run: bool = False

    def add(self, stream: str, item: PlanItem) -> None:
        counts = self.counts.setdefault(stream, {})
        outcome: str = item.action if item.status != "failed" else "failed"
        if item.action == "skip" and item.status == "done":
            outcome = "done before"  # applied by an earlier run of the same restore
        counts[outcome] = counts.get(outcome, 0) + 1


OnItem = Callable[[str, PlanItem], None]


def restore_folder(store: Store, snapshot_id: str) -> Path:
    return store.folder / "restores" / snapshot_id


def load_id_map(folder: Path) -> IdMap:
    path = folder / "idmap.json"
    if not path.exists():
        return {}
    data = json.loads(path.read_text(encoding="utf-8"))
    return {s: {_key(old): new for old, new in pairs} for s, pairs in data.items()}


def _key(value: Any) -> Key:
    return tuple(value) if isinstance(value, list) else value


def save_id_map(folder: Path, ids: IdMap) -> None:
    data = {s: [[old, new] for old, new in m.items()] for s, m in ids.items() if m}
    write_private(folder / "idmap.json", json.dumps(data).encode())


def report_not_restored(
    snapshot: State, live: State, options: RestoreOptions, result: RestoreResult
) -> None:
    """List every record of a stream restore does not write that differs (never silently)."""
    if options.streams:
        return
    for stream in sorted(set(snapshot) - RESTORED):
        reason = NOT_RESTORED.get(stream, _OTHER)
        saved, now = snapshot.get(stream, {}), live.get(stream, {})
        missing = [k for k in saved if k not in now] if options.deleted else []
        changed: list[Key] = []
        if options.changed and saved and now:
            mapped = remap(stream, {k: saved[k] for k in saved if k in now}, snapshot, result.ids)
            current = {k: now[k] for k in mapped if k in now}
            changed = list(diff_stream(stream, mapped, current, all_old_columns=True).changed)
        for key in missing:
            result.unrestorable.append(Unrestorable(stream, key, f"deleted: {reason}"))
        for key in changed:
            result.unrestorable.append(Unrestorable(stream, key, f"changed: {reason}"))
