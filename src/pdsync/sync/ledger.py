"""Honest counts for streams read in full: inserted, updated, unchanged, deleted.

A full refresh loads every row into a staging table, and a full read (no cursor)
merges every row again, so the destination's counts say "inserted" (against the
empty staging table) or "updated" (every key already there) for rows that did
not change at all. These streams are small (reference data, field definitions,
archived leads, file metadata), so the engine keeps a short fingerprint per row
in the stream's state, committed in the same transaction as the rows: the next
full read compares against it.

Without fingerprints (the first run after an upgrade), the live table's keys are
the baseline: rows with a known key count as updated.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

HASHES = "row_hashes"  # key in StreamState.extra: {primary key as text: fingerprint}


def fingerprint(row: Mapping[str, Any]) -> str:
    """A short digest of a row's values (64 bits: collisions are not a concern here).

    Empty values are left out, so a custom field added in Pipedrive (a new, empty
    column on every row) does not make every row look updated.
    """
    values = {k: v for k, v in row.items() if v is not None}
    text = json.dumps(values, sort_keys=True, default=str, separators=(",", ":"))
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def key_text(key: Any) -> str:
    """A primary key (value or tuple) as a JSON object key."""
    return json.dumps(list(key) if isinstance(key, tuple) else key, default=str)


@dataclass
class Tally:
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0


@dataclass
class RowLedger:
    """The previous full read's fingerprints, and this read's, as pages arrive."""

    previous: Mapping[str, str | None]  # None: the row existed, its fingerprint is unknown
    current: dict[str, str] = field(default_factory=dict)

    @classmethod
    def start(cls, stored: object, live_keys: Callable[[], Iterable[Any]]) -> RowLedger:
        """From the fingerprints stored in the state, else from the live table's keys."""
        if isinstance(stored, dict):
            return cls({str(k): str(v) for k, v in stored.items()})
        return cls(dict.fromkeys((key_text(k) for k in live_keys()), None))

    def count(self, rows: Sequence[Mapping[str, Any]], key_of: Callable[[Any], Any]) -> Tally:
        tally = Tally()
        for row in rows:
            key, digest = key_text(key_of(row)), fingerprint(row)
            if key in self.current:  # the same key twice in one read: count it once
                self.current[key] = digest
                continue
            self.current[key] = digest
            if key not in self.previous:
                tally.inserted += 1
            elif self.previous[key] == digest:
                tally.unchanged += 1
            else:
                tally.updated += 1
        return tally

    def gone(self) -> int:
        """Rows of the previous read that this read did not see."""
        return sum(1 for key in self.previous if key not in self.current)
