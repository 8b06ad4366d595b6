"""Taking a snapshot: read the account through sync, store only what changed.

The account is read by :class:`pdsync.sync.engine.SyncEngine` into the store's cache
replica (every stream of the catalog, children included, deletes reconciled on every
run), so a snapshot costs what a sync costs: the first one a full read, later ones the
changes since the previous one plus the id scans that find deletes. In an encrypted
store the cache is a temporary file removed afterwards (it would hold the account in
clear), so every encrypted snapshot is a full read.

Each stream is then compared with the newest snapshot: unchanged streams reuse its
segments; changed ones add one delta segment (rows put, keys removed). When a stream's
deltas grow past half its size, or past :data:`MAX_DELTAS`, a fresh base is written.
"""

from __future__ import annotations

import contextlib
import dataclasses
import tempfile
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.backup.state import (
    FIELDS_STREAM,
    Rows,
    State,
    apply_segment,
    encode_segment,
    fingerprint,
    read_replica,
)
from pdsync.backup.store import Manifest, Store, StreamEntry
from pdsync.catalog.registry import CATALOG
from pdsync.destinations import open_destination
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.report import SyncReport
from pdsync.sync.run import default_streams, incremental_capable

MAX_DELTAS = 30
BASE_ROWS = 5_000  # rows per base segment: big enough to compress well, small to rewrite

# Links that restore re-creates; read per parent, so a bare sync leaves them out.
RESTORED_CHILDREN = (
    "deal_followers", "deal_participants", "person_followers", "organization_followers",
    "product_followers", "organization_relationships",
)  # fmt: skip
# What a default sync reads, plus those links. The other opt-in streams (a request per
# deal for flow, changelogs, ...) would make a snapshot cost many times a sync, and
# restore needs none of them.
ALL_STREAMS: tuple[str, ...] = (
    *default_streams(),
    *(s for s in RESTORED_CHILDREN if s not in default_streams()),
)
# Children read one request per parent (followers, participants, ...).
PER_PARENT_STREAMS = frozenset(
    s.name for s in CATALOG.values() if s.parent is not None and not s.parent.is_batch
)


@dataclass
class Capture:
    state: State
    report: SyncReport


def read_account(
    client: PipedriveClient,
    store: Store,
    streams: Sequence[str] = ALL_STREAMS,
    *,
    full: bool = False,
    full_children: bool = False,
) -> Capture:
    """The account now, through a sync of the store's cache replica.

    Children read per parent (followers, participants) are read incrementally only for
    parents whose update time moved, and adding a follower or participant does not move
    it: ``full_children`` re-reads them for every parent that has any (one request
    each), ``full`` re-reads everything (what a first snapshot costs).
    """
    with _cache_file(store) as cache:
        selections = select_streams(
            incremental_capable(), requested=list(streams), full_refresh=full
        )
        if full_children:
            selections = [
                dataclasses.replace(s, mode="full_refresh") if s.name in PER_PARENT_STREAMS else s
                for s in selections
            ]
        destination = open_destination(f"sqlite:///{cache}")
        try:
            engine = SyncEngine(
                client,
                destination,
                selections,
                SyncOptions(workers=2, reconcile_every=timedelta(0)),
            )
            report = engine.run()
        finally:
            destination.close()
        cache.chmod(0o600)
        return Capture(read_replica(cache, streams), report)


@contextlib.contextmanager
def _cache_file(store: Store) -> Iterator[Path]:
    if not store.sealer.encrypted:
        yield store.cache_path
        return
    with tempfile.TemporaryDirectory(prefix="pdsync-backup-") as tmp:
        yield Path(tmp) / "cache.sqlite"


def new_snapshot_id(store: Store, now: datetime) -> str:
    base = now.astimezone(timezone.utc).strftime("%Y%m%dT%H%M%SZ")
    taken = set(store.ids())
    if base not in taken:
        return base
    n = 2
    while f"{base}-{n}" in taken:
        n += 1
    return f"{base}-{n}"


def load_stream(store: Store, entry: StreamEntry) -> Rows:
    rows: Rows = {}
    for name in entry.segments:
        apply_segment(rows, store.get(name), name)
    return rows


def load_state(store: Store, manifest: Manifest, streams: Sequence[str] = ()) -> State:
    chosen = streams or sorted(manifest.streams)
    return {s: load_stream(store, manifest.streams[s]) for s in chosen if s in manifest.streams}


def create_snapshot(
    client: PipedriveClient,
    store: Store,
    *,
    account: str,
    label: str = "",
    with_files: bool = False,
    full: bool = False,
    now: Callable[[], datetime] = lambda: datetime.now(timezone.utc),
) -> tuple[Manifest, SyncReport]:
    capture = read_account(client, store, full=full)
    ids = store.ids()
    previous = store.load(ids[-1]) if ids else None
    manifest = Manifest(
        new_snapshot_id(store, now()),
        now().astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"),
        label,
        account,
    )
    for stream in (*ALL_STREAMS, FIELDS_STREAM):
        rows = capture.state.get(stream)
        if rows is None:
            continue
        before = previous.streams.get(stream) if previous else None
        manifest.streams[stream] = _stream_entry(store, rows, before)
    manifest.skipped = {s.stream: s.skipped for s in capture.report.streams if s.skipped}
    if with_files:
        from pdsync.backup.files import store_files

        old = previous.files if previous else {}
        manifest.files = store_files(client, store, capture.state.get("files", {}), old)
    store.save(manifest)
    return manifest, capture.report


def _stream_entry(store: Store, rows: Rows, before: StreamEntry | None) -> StreamEntry:
    if before is None:
        return _base(store, rows)
    old = load_stream(store, before)
    puts = {k: r for k, r in rows.items() if k not in old or fingerprint(old[k]) != fingerprint(r)}
    gone = [k for k in old if k not in rows]
    changed = len(puts) + len(gone)
    if changed == 0:
        return StreamEntry(len(rows), list(before.segments), before.delta_rows)
    delta_rows = before.delta_rows + changed
    if len(before.segments) >= MAX_DELTAS or delta_rows * 2 > max(len(rows), 1):
        return _base(store, rows)
    name = store.put(encode_segment(puts, gone))
    return StreamEntry(len(rows), [*before.segments, name], delta_rows)


def _base(store: Store, rows: Rows) -> StreamEntry:
    keys = list(rows)
    segments = []
    for start in range(0, max(len(keys), 1), BASE_ROWS):
        chunk = {k: rows[k] for k in keys[start : start + BASE_ROWS]}
        segments.append(store.put(encode_segment(chunk)))
    return StreamEntry(len(rows), segments, 0)


def summary(manifest: Manifest, store: Store) -> dict[str, Any]:
    """What ``backup list`` shows of one snapshot (field mappings are not records)."""
    streams = sorted(manifest.streams.items())
    records = {n: e.records for n, e in streams if n != FIELDS_STREAM}
    return {
        "id": manifest.id,
        "created": manifest.created,
        "label": manifest.label,
        "records": records,
        "total_records": sum(records.values()),
        "bytes": store.size_of(manifest.objects()),
        "files": len(manifest.files),
    }
