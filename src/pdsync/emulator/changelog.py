"""Field changelogs and child (follower, participant) logs of deals, persons and organizations.

The seeded history of a generated record is derived from the record itself, so it always
agrees with it: a deal was created in the first stage of its pipeline and moved one stage
at a time, the last move at its ``stage_change_time``; a closed deal changed ``status`` at
its ``won_time``/``lost_time``; every record's last change is at its ``update_time``.
Changes made through the API are recorded by a store write hook (old → new, user, time =
the record's new ``update_time``) and appended to that history.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any
from weakref import WeakKeyDictionary

from pdsync.emulator.dataset import record_rng

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
LOGGED = ("deal", "person", "organization", "product")
# Attributes the API sets itself (times, derived links): not changes a user made.
UNLOGGED = frozenset({"update_time", "add_time", "stage_change_time", "close_time", "won_time",
                      "lost_time", "archive_time", "marked_as_done_time", "id"})  # fmt: skip
APP_AGENT = "Mozilla/5.0 (Macintosh; Intel Mac OS X 10_15_7) AppleWebKit/537.36 Chrome/126.0"
API_AGENT = "pipedrive-api-client"
OVERLAY_IDS = 10**12  # ids of recorded changes start here, above every derived id


def change(
    cid: int, item_id: Any, key: str, old: Any, new: Any, user: int, when: float, source: str
) -> Record:
    return {"id": cid, "item_id": item_id, "field_key": key, "old_value": old, "new_value": new,
            "actor_user_id": user, "time": when, "change_source": source,
            "change_source_user_agent": APP_AGENT if source == "app" else API_AGENT,
            "is_bulk_update_flag": False}  # fmt: skip


class ChangeLog:
    """Seeded + recorded changes; recorded ones held in memory (API writes only, few)."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self.lock = threading.Lock()
        # (id, field, old, new, user, time) per change: tuples, a third of a dict's memory
        # (a scripted mutation of 100,000 records records 100,000 changes).
        self.recorded: dict[tuple[str, Any], list[tuple[Any, ...]]] = {}
        self.children: dict[tuple[str, str, Any], list[Record]] = {}
        self.next_id = OVERLAY_IDS

    # -- recording (store write hook) ------------------------------------------

    def on_write(
        self, action: str, entity: str, current: Record | None, previous: Record | None, user: int
    ) -> None:
        if entity not in LOGGED or previous is None:
            return  # creations are the start of a record's history, not a change
        after = current if current is not None else {**previous, "is_deleted": True}
        when = after.get("update_time") if current is not None else self.store.latest_change()
        rows = []
        for key in sorted(set(previous) | set(after)):
            if key in UNLOGGED:
                continue
            old, new = previous.get(key), after.get(key)
            if key == "custom_fields":
                olds, news = old or {}, new or {}
                rows += [(k, olds.get(k), news.get(k)) for k in sorted(set(olds) | set(news))
                         if olds.get(k) != news.get(k)]  # fmt: skip
            elif old != new:
                rows.append((key, old, new))
        with self.lock:
            log = self.recorded.setdefault((entity, previous["id"]), [])
            for key, old, new in rows:
                self.next_id += 1
                log.append((self.next_id, key, old, new, user, float(when or 0.0)))

    def on_child(
        self, kind: str, entity: str, parent_id: Any, action: str, person_or_user: int, user: int
    ) -> None:
        """A follower or participant added/removed through the API."""
        key = "person_id" if kind == "participant" else "follower_user_id"
        row = {"action": action, "actor_user_id": user, key: person_or_user,
               "time": self.store.now()}  # fmt: skip
        with self.lock:
            self.children.setdefault((kind, entity, parent_id), []).append(row)

    # -- reading ---------------------------------------------------------------

    def changes(self, entity: str, record_id: Any) -> list[Record]:
        """Every field change of a record, oldest first."""
        seeded = self._seeded(entity, record_id)
        with self.lock:
            rows = list(self.recorded.get((entity, record_id), ()))
        recorded = [change(cid, record_id, key, old, new, user, when, "api")
                    for cid, key, old, new, user, when in rows]  # fmt: skip
        return sorted(seeded + recorded, key=lambda c: (c["time"], c["id"]))

    def child_log(self, kind: str, entity: str, parent_id: Any) -> list[Record]:
        """Follower/participant additions and removals, oldest first."""
        seeded: list[Record] = []
        base = self._base(entity, parent_id)
        if base is not None:
            if kind == "follower":
                owner = base.get("owner_id") or 1
                seeded.append({"action": "added", "actor_user_id": owner,
                               "follower_user_id": owner, "time": base["add_time"]})  # fmt: skip
            elif kind == "participant" and base.get("person_id"):
                seeded.append({"action": "added", "actor_user_id": base["owner_id"],
                               "person_id": base["person_id"], "time": base["add_time"]})  # fmt: skip
        with self.lock:
            return seeded + list(self.children.get((kind, entity, parent_id), ()))

    def _base(self, entity: str, record_id: Any) -> Record | None:
        """The record as generated (before any API write), or None if it was created by one."""
        if not isinstance(record_id, int) or not 1 <= record_id <= self.store.counts.of(entity):
            return None
        return self.store.generator.make(entity, record_id, custom=False)

    def _seeded(self, entity: str, record_id: Any) -> list[Record]:
        base = self._base(entity, record_id)
        if base is None:
            return []
        i = int(record_id)
        out: list[Record] = []

        def add(key: str, old: Any, new: Any, when: float, user: int | None = None) -> None:
            source = "app" if len(out) % 3 else "api"
            out.append(change(i * 64 + len(out), i, key, old, new, user or base["owner_id"],
                              when, source))  # fmt: skip

        if entity == "deal":
            self._deal_history(base, add)
        elif base["update_time"] > base["add_time"]:
            # Persons, organizations and products: the owner was reassigned at update_time.
            users = self.store.counts.user
            old_owner = 1 + (base["owner_id"] + i) % users
            if old_owner == base["owner_id"]:
                old_owner = 1 + base["owner_id"] % users
            if old_owner != base["owner_id"]:
                add("owner_id", old_owner, base["owner_id"], base["update_time"])
        return out

    def _deal_history(self, deal: Record, add: Any) -> None:
        path = stage_path(self.store, deal)
        start, moved = deal["add_time"], deal["stage_change_time"]
        steps = len(path) - 1
        for n in range(1, steps + 1):
            when = start + (moved - start) * n / steps
            add("stage_id", path[n - 1], path[n], when)
        closed = deal.get("won_time") or deal.get("lost_time")
        if closed:
            add("status", "open", deal["status"], closed)
            if deal.get("lost_reason"):
                add("lost_reason", None, deal["lost_reason"], closed)
        elif deal["update_time"] > moved:
            rng = record_rng(self.store.seed, "deal-history", deal["id"])
            old = round(deal["value"] * rng.uniform(0.5, 0.95), -1)
            add("value", old if old != deal["value"] else deal["value"] + 100, deal["value"],
                deal["update_time"])  # fmt: skip
        if deal.get("is_archived"):
            add("is_archived", False, True, deal["update_time"])


def stage_path(store: Store, deal: Record) -> list[int]:
    """Stages a generated deal went through: from the first stage of its pipeline to its
    stage (or, for a deal in the first stage, from the second stage back)."""
    stages = sorted(
        (s for s in store.static["stage"].values() if s["pipeline_id"] == deal["pipeline_id"]),
        key=lambda s: s["order_nr"],
    )
    ids = [s["id"] for s in stages]
    if deal["stage_id"] not in ids:
        return [deal["stage_id"]]
    k = ids.index(deal["stage_id"])
    if k == 0:
        return ids[1::-1] if len(ids) > 1 else ids[:1]
    return ids[: k + 1]


def install(store: Store) -> ChangeLog:
    """The store's change log, created and hooked to its writes on first call."""
    log = _LOGS.get(store)
    if log is None:
        log = _LOGS[store] = ChangeLog(store)
        store.write_hooks.append(log.on_write)
    return log


def notify_child(
    store: Store, kind: str, entity: str, parent_id: Any, action: str, who: int, user: int
) -> None:
    """Record that a follower/participant was added or removed (no-op without a change log)."""
    log = _LOGS.get(store)
    if log is not None:
        log.on_child(kind, entity, parent_id, action, who, user)


_LOGS: WeakKeyDictionary[Store, ChangeLog] = WeakKeyDictionary()
