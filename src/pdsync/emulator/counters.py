"""``include_fields`` counters of v2 deals, persons and organizations.

Clients (pdsync's sync engine among them) read ``products_count``, ``followers_count`` …
to fetch children only for the parents that have some, so the counts must agree with
the child lists. Counts of generated children come from arithmetic on their indexes
(see ``person_of``/``file_parent``) and the compact columns, built once per
(child, parent key) into an array; written children (the overlay) are applied per
request, so a count always reflects writes.
"""

from __future__ import annotations

import threading
from array import array
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

from pdsync.emulator.activity_links import ActivityLinks
from pdsync.emulator.records import file_parent, person_of

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
# Parent key of each child entity, per parent entity.
PARENT_KEYS = {
    "deal": {"activity": "deal_id", "note": "deal_id", "file": "deal_id"},
    "person": {"activity": "person_id", "note": "person_id", "file": "person_id",
               "deal": "person_id"},
    "organization": {"activity": "org_id", "note": "org_id", "file": "org_id",
                     "person": "org_id", "deal": "org_id"},
}  # fmt: skip
CHILD_OF_COUNTER = {"activities_count": "activity", "notes_count": "note", "files_count": "file",
                    "people_count": "person"}  # fmt: skip
RELATION_COUNTERS = {"followers_count": "follower", "products_count": "deal_product",
                     "participants_count": "participant"}  # fmt: skip
DEAL_STATUS_COUNTERS = {"open_deals_count": "open", "won_deals_count": "won",
                        "lost_deals_count": "lost", "closed_deals_count": "closed"}  # fmt: skip
ACTIVITY_STATUS_COUNTERS = {"done_activities_count": "done", "undone_activities_count": "undone"}


def supported(entity: str) -> frozenset[str]:
    names = {"followers_count", "activities_count", "notes_count", "files_count",
             *ACTIVITY_STATUS_COUNTERS}  # fmt: skip
    if entity == "deal":
        names |= {"products_count", "participants_count"}
    else:
        names |= set(DEAL_STATUS_COUNTERS)
    if entity == "organization":
        names.add("people_count")
    return frozenset(names)


class Counters:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._arrays: dict[tuple[str, str], array[int]] = {}
        self._lock = threading.RLock()
        self._done: bytearray | None = None
        self.activity_links = ActivityLinks(store, lambda e: self._generated_parent(e, "activity"))

    def for_page(self, entity: str, names: frozenset[str]) -> Callable[[Record], Record]:
        """A function adding the asked counters to a record, with the overlay applied once."""
        adjust: dict[str, dict[Any, int]] = {}
        for name in names:
            child = _child_of(name)
            if child is not None and name not in adjust:
                adjust[name] = self._overlay_delta(entity, child, _status_of(name))

        def add(record: Record) -> Record:
            out = dict(record)
            for name in sorted(names):
                out[name] = self._count(entity, name, record, adjust.get(name, {}))
            return out

        return add

    def _count(self, entity: str, name: str, record: Record, delta: dict[Any, int]) -> int:
        if name in RELATION_COUNTERS:
            kind = RELATION_COUNTERS[name]
            return len(self.store.relations.children(kind, entity, record["id"]))
        child = _child_of(name) or "deal"
        base = self._generated_counts(entity, child, _status_of(name))
        rid = record["id"]
        generated = base[rid] if isinstance(rid, int) and rid < len(base) else 0
        return max(0, generated + delta.get(rid, 0))

    def _generated_counts(self, entity: str, child: str, status: str | None) -> array[int]:
        key = (f"{entity}:{child}", status or "")
        counts = self._arrays.get(key)
        if counts is None:
            with self._lock:
                counts = self._arrays.get(key)
                if counts is None:
                    counts = self._build(entity, child, status)
                    self._arrays[key] = counts
        return counts

    def _build(self, entity: str, child: str, status: str | None) -> array[int]:
        store = self.store
        counts = array("I", bytes(4 * (store.counts.of(entity) + 1)))
        parent_of = self._generated_parent(entity, child)
        alive = self._generated_alive(child, status)
        for i in range(1, store.table(child).base_count + 1):
            parent = parent_of(i)
            if parent and alive(i):
                counts[parent] += 1
        return counts

    def _generated_parent(self, entity: str, child: str) -> Callable[[int], int | None]:
        store, key = self.store, PARENT_KEYS[entity][child]
        if child == "file":
            return lambda i: (lambda kp: kp[1] if kp[0] == entity else None)(file_parent(store.counts, i))  # fmt: skip
        if key == "person_id" and child in ("activity", "note"):
            return lambda i: person_of(store.counts, child, i)
        if child == "activity" and key == "deal_id":
            deals = store.counts.deal
            return lambda i: (i + 1) // 2 if (i + 1) // 2 <= deals else None
        if child == "note" and key == "deal_id":
            deals = store.counts.deal
            return lambda i: min(i * 2, deals) or None
        column = store.columns.get(child).ints[key]
        return column.__getitem__

    def _generated_alive(self, child: str, status: str | None) -> Callable[[int], bool]:
        cols = self.store.columns.get(child)
        if child == "activity" and status in ("done", "undone"):
            flags, done = self._done_flags(), status == "done"
            return lambda i: not cols.is_deleted(i) and bool(flags[i]) is done
        if child != "deal":
            return lambda i: not cols.is_deleted(i)
        codes = {"open": {0}, "won": {1}, "lost": {2}, "closed": {1, 2}}.get(status or "", {0, 1, 2})  # fmt: skip
        statuses = cols.ints["status"]
        return lambda i: not cols.is_deleted(i) and statuses[i] in codes

    def _done_flags(self) -> bytearray:
        """``done`` of every generated activity. It is drawn with the record, not kept in
        a column, so it is generated (without custom fields) once and kept: a byte each."""
        with self._lock:
            if self._done is None:
                make, n = self.store.generator.make, self.store.table("activity").base_count
                self._done = bytearray(n + 1)
                for i in range(1, n + 1):
                    self._done[i] = make("activity", i, False)["done"]
            return self._done

    def _overlay_delta(self, entity: str, child: str, status: str | None) -> dict[Any, int]:
        """Per parent: written children counted minus the generated versions they replace."""
        store = self.store
        key = PARENT_KEYS[entity][child]
        table = store.table(child)
        parent_of = self._generated_parent(entity, child)
        alive = self._generated_alive(child, status)
        delta: dict[Any, int] = {}
        for index, rec in list(table.overlay.items()):
            if index <= table.base_count and alive(index):
                old = parent_of(index)
                delta[old] = delta.get(old, 0) - 1
            if not store.is_deleted(child, rec) and _status_matches(rec, status):
                new = rec.get(key)
                delta[new] = delta.get(new, 0) + 1
        return delta


def _child_of(name: str) -> str | None:
    if name in ACTIVITY_STATUS_COUNTERS:
        return "activity"
    return CHILD_OF_COUNTER.get(name) or ("deal" if name in DEAL_STATUS_COUNTERS else None)


def _status_of(name: str) -> str | None:
    return DEAL_STATUS_COUNTERS.get(name) or ACTIVITY_STATUS_COUNTERS.get(name)


def _status_matches(rec: Record, status: str | None) -> bool:
    if status is None:
        return True
    if status in ("done", "undone"):
        return bool(rec.get("done")) is (status == "done")
    if status == "closed":
        return rec.get("status") in ("won", "lost")
    return rec.get("status") == status


# Every ``include_fields`` value the v2 spec lists; those not counted here come from
# :mod:`pdsync.emulator.include_values`.
_MAIL = ("email_messages_count", "last_incoming_mail_time", "last_outgoing_mail_time",
         "smart_bcc_email")  # fmt: skip
_ACTIVITY = ("next_activity_id", "last_activity_id", "activities_count", "done_activities_count",
             "undone_activities_count", "files_count", "notes_count", "followers_count")  # fmt: skip
_CONTACT_DEALS = ("open_deals_count", "related_open_deals_count", "closed_deals_count",
                  "related_closed_deals_count", "won_deals_count", "related_won_deals_count",
                  "lost_deals_count", "related_lost_deals_count")  # fmt: skip
INCLUDE_FIELDS: dict[str, frozenset[str]] = {
    "deal": frozenset((*_ACTIVITY, *_MAIL, "first_won_time", "products_count",
                       "participants_count", "source_lead_id")),
    "person": frozenset((*_ACTIVITY, *_MAIL, *_CONTACT_DEALS, "participant_open_deals_count",
                         "participant_closed_deals_count", "marketing_status", "doi_status")),
    "organization": frozenset((*_ACTIVITY, *_CONTACT_DEALS, "email_messages_count",
                               "people_count", "smart_bcc_email")),
    "activity": frozenset({"attendees"}),
}  # fmt: skip
