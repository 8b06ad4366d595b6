"""The canonical store: generated records plus an overlay of writes, and the change feed.

Records of big entities are derived from ``(seed, entity, index)`` until written;
a write puts the whole record in the overlay. Small tables live in the overlay from
the start. Every committed write is published to listeners as a
:class:`~pdsync.emulator.changes.ChangeEvent` rendered by ``event_renderer``.
"""

from __future__ import annotations

import copy
import threading
import time
from collections.abc import Callable, Iterator
from typing import Any

from pdsync.emulator import query
from pdsync.emulator.changes import Action, ChangeEvent, ChangeListener
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.dataset import DERIVED, REFERENCE_TIME, ColumnBuilder, Counts
from pdsync.emulator.fields import FieldDef, OptionIds, generate_fields
from pdsync.emulator.projects_records import ProjectData
from pdsync.emulator.records import Generator, lead_index
from pdsync.emulator.relations import Relations
from pdsync.emulator.static import build_static

Record = dict[str, Any]
EventRenderer = Callable[[str, Record], Record]
# (action, entity, current, previous, user_id) of every write, raw (before rendering):
# how changelogs and flows learn what the API changed.
WriteHook = Callable[[str, str, "Record | None", "Record | None", int], None]
# Entities whose deletion is an ``active_flag`` (v1-native) rather than ``is_deleted``.
V1_NATIVE = ("note", "file", "filter", "activity_type", "user", "goal")
# Webhook nouns for internal entity names.
WEBHOOK_NOUN = {"organization": "organization", "activity_type": "activityType"}


class Table:
    """One entity: ``base_count`` derived records, then the overlay (index -> record)."""

    def __init__(self, entity: str, base_count: int, records: dict[int, Record] | None = None):
        self.entity = entity
        self.base_count = base_count
        self.overlay: dict[int, Record] = records or {}
        self.next_index = max([base_count, *self.overlay]) + 1

    def __len__(self) -> int:
        return self.base_count + sum(1 for i in self.overlay if i > self.base_count)


class Store:
    def __init__(self, config: EmulatorConfig, clock: Callable[[], float] = time.time) -> None:
        self.config = config
        self.seed = config.seed
        self.clock = clock
        self.counts = Counts.for_deals(config.deals)
        self.lock = threading.RLock()
        self.option_ids = OptionIds(1000)
        self.fields: dict[str, list[FieldDef]] = generate_fields(self.seed, self.option_ids)
        static = build_static(self.seed, self.counts)
        stages: dict[int, list[int]] = {}
        for stage in static["stage"].values():
            stages.setdefault(stage["pipeline_id"], []).append(stage["id"])
        self.columns = ColumnBuilder(self.seed, self.counts, stages)
        self.generator = Generator(self.seed, self.counts, self.columns, self.fields)
        self.tables: dict[str, Table] = {e: Table(e, self.counts.of(e)) for e in DERIVED}
        self.static: dict[str, dict[Any, Record]] = static
        for name in ("user", "pipeline", "stage", "activity_type", "filter", "currency"):
            self.tables[name] = Table(name, 0, dict(static[name]))
        self.projects = ProjectData(self)  # projects, tasks, boards, phases, templates
        self.relations = Relations(self)
        self.lead_ids: dict[str, int] = {}
        self.file_contents: dict[int, bytes] = {}  # uploaded files (small, in memory)
        self.listeners: list[ChangeListener] = []
        self.write_hooks: list[WriteHook] = []
        self.event_renderer: EventRenderer | None = None
        self._last_write = REFERENCE_TIME

    # -- reading -------------------------------------------------------------

    def now(self) -> float:
        """Write time: the wall clock, but always after the generated history and the last write."""
        with self.lock:
            # A microsecond keeps writes strictly ordered without running ahead of the wall
            # clock in a burst (a millisecond per write put 1,000 quick writes a second in
            # the future, past a client's "now", so its sync rightly left them for the next).
            self._last_write = max(self.clock(), self._last_write + 0.000001)
            return self._last_write

    def latest_change(self) -> float:
        """The account's present: the end of the generated history, or the last write."""
        with self.lock:
            return self._last_write

    def table(self, entity: str) -> Table:
        return self.tables[entity]

    def index_of(self, entity: str, record_id: Any) -> int | None:
        if entity == "lead":
            key = str(record_id)
            return self.lead_ids.get(key) or lead_index(self.seed, key)
        try:
            return int(record_id)
        except (TypeError, ValueError):
            return None

    def get(self, entity: str, record_id: Any, custom: bool = True) -> Record | None:
        """The record, deleted ones included, or None if the id never existed.

        ``custom=False``: a generated record comes without ``custom_fields`` (much cheaper;
        see :meth:`Generator.make`); a written one is returned whole."""
        index = self.index_of(entity, record_id)
        if index is None:
            return None
        table = self.tables[entity]
        found = table.overlay.get(index)
        if found is not None:
            return found
        if 1 <= index <= table.base_count:
            return self.generator.make(entity, index, custom)
        return None

    def scan(self, entity: str, spec: query.ListSpec, skip: int = 0) -> Iterator[Record]:
        """Records matching ``spec`` in its order, after its cursor, past ``skip`` matches."""
        return query.scan(self, entity, spec, skip)

    def fields_v2(self, entity: str) -> list[dict[str, Any]]:
        from pdsync.emulator.render_fields import field_v2

        return [field_v2(f) for f in self.fields[entity] if not f.is_deleted]

    # -- writing -------------------------------------------------------------

    def add_listener(self, listener: ChangeListener) -> None:
        self.listeners.append(listener)

    def create(self, entity: str, data: Record, user_id: int = 1) -> Record:
        with self.lock:
            table = self.tables[entity]
            index = table.next_index
            table.next_index += 1
            now = self.now()
            # Pipedrive takes an explicit add_time on create (imports keep the original
            # creation time); the write checks have already stored it as epoch seconds.
            given = data.get("add_time")
            added = given if isinstance(given, (int, float)) and given <= now else now
            record = {"id": data.get("id", index), **data, "add_time": added, "update_time": now}
            if entity == "lead":
                self.lead_ids[record["id"]] = index
            table.overlay[index] = record
            self._publish("create", entity, record, None, user_id)
            return record

    def update(
        self,
        entity: str,
        record_id: Any,
        changes: Record,
        user_id: int = 1,
        extra: Record | None = None,
    ) -> Record:
        with self.lock:
            previous = self._require(entity, record_id)
            record = copy.deepcopy(previous)
            record.update(changes)
            record["update_time"] = self.now()
            self._put(entity, record_id, record)
            self._publish("change", entity, record, previous, user_id, extra)
            return record

    def delete(
        self, entity: str, record_id: Any, user_id: int = 1, extra: Record | None = None
    ) -> Record:
        """Soft delete: the record stays readable, marked deleted, ``update_time`` = delete time."""
        with self.lock:
            previous = self._require(entity, record_id)
            record = copy.deepcopy(previous)
            if entity in V1_NATIVE:
                record["active_flag"] = False
            else:
                record["is_deleted"] = True
            record["update_time"] = self.now()
            self._put(entity, record_id, record)
            self._publish("delete", entity, None, previous, user_id, extra)
            return record

    def merge(self, entity: str, loser_id: int, winner_id: int, user_id: int = 1) -> Record:
        """Merge ``loser`` into ``winner``: loser deleted (merged_to_id), winner changed."""
        with self.lock:
            winner = self._require(entity, winner_id)
            loser = self._require(entity, loser_id)
            self.delete(entity, loser_id, user_id, {"merged_to_id": winner_id})
            # The winner keeps its values; empty ones are filled from the loser.
            filled = {k: v for k, v in loser.items() if winner.get(k) in (None, [], "") and v}
            self.relations.move_children(entity, loser_id, winner_id)
            return self.update(entity, winner_id, filled, user_id, {"merged_from_id": loser_id})

    def is_deleted(self, entity: str, record: Record) -> bool:
        if entity in V1_NATIVE:
            return record.get("active_flag") is False
        return bool(record.get("is_deleted"))

    def _require(self, entity: str, record_id: Any) -> Record:
        record = self.get(entity, record_id)
        if record is None:
            raise KeyError(record_id)
        return record

    def _put(self, entity: str, record_id: Any, record: Record) -> None:
        index = self.index_of(entity, record_id)
        assert index is not None
        self.tables[entity].overlay[index] = record

    def _publish(
        self,
        action: Action,
        entity: str,
        current: Record | None,
        previous: Record | None,
        user_id: int,
        extra: Record | None = None,
    ) -> None:
        for hook in self.write_hooks:
            hook(action, entity, current, previous, user_id)
        if not self.listeners:
            return
        render = self.event_renderer or (lambda _e, r: r)
        record = current if current is not None else previous
        assert record is not None
        event = ChangeEvent(
            action=action,
            entity=WEBHOOK_NOUN.get(entity, entity),
            entity_id=record["id"],
            current=render(entity, current) if current is not None else None,
            previous=render(entity, previous) if previous is not None else None,
            user_id=user_id,
            extra_meta=dict(extra or {}),
        )
        for listener in list(self.listeners):
            listener(event)
