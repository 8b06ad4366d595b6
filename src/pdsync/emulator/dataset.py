"""Deterministic account shape: how many of each object, and their compact columns.

A 1,000,000-deal account cannot be held as dicts, so only a few compact arrays are
kept per entity (``array`` of times and small ints): the attributes that lists filter
and sort on. Everything else about a record is derived on demand from
``(seed, entity, id)`` by :mod:`pdsync.emulator.records`. Columns are built lazily,
the first time an entity is listed, so start-up costs milliseconds at any size.
"""

from __future__ import annotations

import random
import threading
from array import array
from dataclasses import dataclass, field
from datetime import datetime, timezone

# Generated history ends here (fixed, so the dataset is reproducible); it spans
# four years before. Writes use the wall clock and are always newer (see store).
REFERENCE_TIME = datetime(2026, 10, 1, tzinfo=timezone.utc).timestamp()
HISTORY_SECONDS = 4 * 365 * 86400.0
START_TIME = REFERENCE_TIME - HISTORY_SECONDS

DEAL_STATUSES = ("open", "won", "lost")
# Entities whose records are derived from (seed, id) rather than stored.
DERIVED = ("deal", "person", "organization", "activity", "product", "note", "lead", "file")


@dataclass(frozen=True)
class Counts:
    """How many records of each derived entity, from the number of deals."""

    deal: int
    person: int
    organization: int
    activity: int
    note: int
    product: int
    lead: int
    user: int
    file: int

    @classmethod
    def for_deals(cls, deals: int) -> Counts:
        return cls(
            deal=deals,
            person=deals,
            organization=max(1, deals // 4) if deals else 0,
            activity=2 * deals,
            note=deals // 2,
            product=max(20, deals // 100),
            lead=deals // 10,
            user=max(5, min(deals // 2000, 200)),
            file=min(deals // 20, 5000),
        )

    def of(self, entity: str) -> int:
        value: int = getattr(self, entity)
        return value


def record_rng(seed: int, entity: str, record_id: int | str) -> random.Random:
    """The random stream of one record: independent of every other record."""
    return random.Random(f"{seed}:{entity}:{record_id}")


@dataclass
class Columns:
    """Compact per-id attributes of one derived entity (index 0 is unused)."""

    add_time: array[float]
    update_time: array[float]
    ints: dict[str, array[int]] = field(default_factory=dict)
    flags: bytearray = field(default_factory=bytearray)  # bit 0 deleted, bit 1 archived

    def is_deleted(self, i: int) -> bool:
        return bool(self.flags[i] & 1) if self.flags else False

    def is_archived(self, i: int) -> bool:
        return bool(self.flags[i] & 2) if self.flags else False


class ColumnBuilder:
    """Builds each entity's columns once, on first use, thread-safely."""

    def __init__(self, seed: int, counts: Counts, pipeline_stages: dict[int, list[int]]) -> None:
        self.seed = seed
        self.counts = counts
        self.stage_ids = [s for stages in pipeline_stages.values() for s in stages]
        self.pipeline_of_stage = {s: p for p, stages in pipeline_stages.items() for s in stages}
        self._cache: dict[str, Columns] = {}
        self._perms: dict[str, array[int]] = {}
        self._lock = threading.Lock()

    def get(self, entity: str) -> Columns:
        cols = self._cache.get(entity)
        if cols is None:
            with self._lock:
                cols = self._cache.get(entity)
                if cols is None:
                    cols = self._build(entity)
                    self._cache[entity] = cols
        return cols

    def permutation(self, entity: str, column: str) -> array[int]:
        """Base indexes sorted by ``(column, index)``, built once per column."""
        key = f"{entity}:{column}"
        perm = self._perms.get(key)
        if perm is None:
            cols = self.get(entity)
            values = cols.add_time if column == "add_time" else cols.update_time
            with self._lock:
                perm = self._perms.get(key)
                if perm is None:
                    order = sorted(range(1, len(values)), key=values.__getitem__)
                    perm = array("I", order)
                    self._perms[key] = perm
        return perm

    def _build(self, entity: str) -> Columns:
        n = self.counts.of(entity)
        rng = random.Random(f"{self.seed}:columns:{entity}")
        rand = rng.random
        step = HISTORY_SECONDS / max(n, 1)
        # ids grow with time, as in a real account; updates fall after creation,
        # most of them recently (squared uniform leans towards "now").
        add = array("d", [0.0])
        add.extend(START_TIME + step * (i + rand()) for i in range(n))
        upd = array("d", [0.0])
        upd.extend(t + (REFERENCE_TIME - t) * (1.0 - rand() ** 2) * rand() for t in add[1:])
        cols = Columns(add_time=add, update_time=upd)
        users = self.counts.user
        cols.ints["owner_id"] = array("H", [0])
        cols.ints["owner_id"].extend(1 + int(rand() * users) for _ in range(n))
        if entity == "deal":
            self._deal_columns(cols, rng, n)
        elif entity in ("person", "activity", "note"):
            orgs = max(self.counts.organization, 1)
            cols.ints["org_id"] = array("I", [0])
            cols.ints["org_id"].extend(1 + int(rand() * orgs) for _ in range(n))
        if entity in ("person", "organization", "product", "activity", "note"):
            # About 2% of these were deleted in the generated history.
            cols.flags = bytearray(1 if rand() < 0.02 else 0 for _ in range(n + 1))
        elif entity == "lead":
            cols.flags = bytearray(2 if rand() < 0.1 else 0 for _ in range(n + 1))
        return cols

    def _deal_columns(self, cols: Columns, rng: random.Random, n: int) -> None:
        rand = rng.random
        stages = self.stage_ids or [1]
        persons = max(self.counts.person, 1)
        status = array("B", [0])
        flags = bytearray(1)
        for _ in range(n):
            roll = rand()
            status.append(0 if roll < 0.55 else (1 if roll < 0.8 else 2))
            roll = rand()
            flags.append(1 if roll < 0.03 else (2 if roll < 0.08 else 0))
        cols.ints["status"] = status
        cols.flags = flags
        cols.ints["stage_id"] = array("H", [0])
        cols.ints["stage_id"].extend(stages[int(rand() * len(stages))] for _ in range(n))
        cols.ints["person_id"] = array("I", [0])
        cols.ints["person_id"].extend(1 + int(rand() * persons) for _ in range(n))
        orgs = max(self.counts.organization, 1)
        cols.ints["org_id"] = array("I", [0])
        cols.ints["org_id"].extend(1 + int(rand() * orgs) for _ in range(n))
