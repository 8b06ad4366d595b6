"""Forget old snapshots: keep the newest N, and the newest of each of the last N days.

A manifest names every object its snapshot needs (a base and deltas alike), so a
snapshot never depends on another one's manifest: pruning deletes the manifests not
kept, then only the objects that no kept manifest names. Every kept snapshot still
reads in full, whatever was pruned before it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from pdsync.backup.store import Store
from pdsync.errors import ConfigError


@dataclass
class PruneResult:
    kept: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    objects_removed: int = 0
    bytes_freed: int = 0


def chosen_to_keep(ids: list[str], keep_last: int, keep_daily: int) -> set[str]:
    """Ids to keep (ids are ``YYYYMMDDTHHMMSSZ[-n]``, so they sort by time)."""
    newest_first = sorted(ids, reverse=True)
    keep = set(newest_first[:keep_last])
    days: list[str] = []
    for snapshot_id in newest_first:
        day = snapshot_id[:8]
        if day not in days:
            days.append(day)
            if len(days) <= keep_daily:
                keep.add(snapshot_id)
    return keep


def prune(store: Store, keep_last: int, keep_daily: int, *, dry_run: bool = False) -> PruneResult:
    if keep_last < 1 and keep_daily < 1:
        raise ConfigError(
            "Pruning with nothing to keep would delete every snapshot.",
            hint="Pass --keep-last 1 or more (and/or --keep-daily).",
        )
    ids = store.ids()
    keep = chosen_to_keep(ids, keep_last, keep_daily)
    result = PruneResult(
        kept=[i for i in ids if i in keep], removed=[i for i in ids if i not in keep]
    )
    needed: set[str] = set()
    for snapshot_id in result.kept:
        needed |= store.load(snapshot_id).objects()  # verifies every kept manifest first
    if dry_run:
        return result
    for snapshot_id in result.removed:
        store.delete_manifest(snapshot_id)
    for name in list(store.object_names()):
        if name not in needed:
            result.bytes_freed += store.delete_object(name)
            result.objects_removed += 1
    return result
