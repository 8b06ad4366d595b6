"""``next_activity_id`` and ``last_activity_id`` of deals, persons and organizations.

The next activity is the parent's undone activity due first (overdue ones included),
the last one its done activity due last; ties go to the lower id. Generated activities
are found through an index of each parent's activity indexes, built once per parent
entity in two passes over the parent of every generated activity (compact arrays: a
4-byte offset per parent and a 4-byte index per activity); written activities (the
overlay) are grouped per request, so writes are always reflected.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
ParentOf = Callable[[int], "int | None"]
PARENT_KEY = {"deal": "deal_id", "person": "person_id", "organization": "org_id"}


class ActivityLinks:
    def __init__(self, store: Store, parent_of: Callable[[str], ParentOf]) -> None:
        self.store = store
        self.parent_of = parent_of  # entity -> parent of generated activity i
        self._index: dict[str, tuple[array[int], array[int]]] = {}
        self._lock = threading.Lock()

    def for_page(self, entity: str) -> Callable[[Record], tuple[Any, Any]]:
        """A function giving ``(next_activity_id, last_activity_id)`` of a record."""
        store, key = self.store, PARENT_KEY[entity]
        offsets, indexes = self._built(entity)
        table = store.table("activity")
        deleted = store.columns.get("activity").is_deleted
        written: dict[Any, list[Record]] = {}
        for rec in list(table.overlay.values()):
            if not rec.get("is_deleted") and rec.get(key) is not None:
                written.setdefault(rec[key], []).append(rec)

        def links(record: Record) -> tuple[Any, Any]:
            rid = record["id"]
            found = list(written.get(rid, ()))
            if isinstance(rid, int) and 0 < rid < len(offsets) - 1:
                for j in range(offsets[rid], offsets[rid + 1]):
                    i = indexes[j]
                    if i not in table.overlay and not deleted(i):
                        found.append(store.generator.make("activity", i, False))
            return _next_and_last(found)

        return links

    def _built(self, entity: str) -> tuple[array[int], array[int]]:
        with self._lock:
            if entity not in self._index:
                self._index[entity] = self._build(entity)
            return self._index[entity]

    def _build(self, entity: str) -> tuple[array[int], array[int]]:
        """Compressed rows: the activities of parent p are ``indexes[offsets[p]:offsets[p+1]]``."""
        parents = self.store.counts.of(entity)
        n = self.store.table("activity").base_count
        parent_of = self.parent_of(entity)
        offsets = array("I", bytes(4 * (parents + 2)))
        for i in range(1, n + 1):
            p = parent_of(i)
            if p and p <= parents:
                offsets[p + 1] += 1
        for p in range(1, parents + 2):
            offsets[p] += offsets[p - 1]
        indexes = array("I", bytes(4 * offsets[parents + 1]))
        filled = array("I", offsets)
        for i in range(1, n + 1):
            p = parent_of(i)
            if p and p <= parents:
                indexes[filled[p]] = i
                filled[p] += 1
        return offsets, indexes


def _next_and_last(activities: list[Record]) -> tuple[Any, Any]:
    def due(a: Record) -> tuple[str, str]:
        return (a.get("due_date") or "", a.get("due_time") or "")

    undone = [a for a in activities if not a.get("done")]
    done = [a for a in activities if a.get("done")]
    upcoming = min(undone, key=lambda a: (due(a) == ("", ""), due(a), a["id"]), default=None)
    latest = max(done, key=lambda a: (due(a), -a["id"]), default=None)
    return (upcoming["id"] if upcoming else None, latest["id"] if latest else None)
