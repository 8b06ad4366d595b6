"""Sync state: one versioned JSON document per stream, committed with the rows it covers.

A stream's state says where the next run starts and what the last runs did:

- ``bookmark``: the highest cursor value (``update_time``) whose rows are committed. The
  next incremental run asks for ``updated_since=bookmark`` (inclusive; the merge by primary
  key makes the overlap harmless). It only moves forward, and never past the ``signpost``,
  the instant the sync that produced it started: rows changed while a sync runs are
  picked up by the next one instead of being skipped (Meltano #179/#516).
- ``backfill``: the position of a running first sync (or full refresh), split into
  time-window partitions on the cursor that fetchers work through in parallel. Each
  partition remembers its API page cursor and the last cursor value committed, so a
  killed run resumes where each partition stopped.
- ``last_reconciled_at``: when deletes were last reconciled by an id scan.
- ``last_run``: the counts of the last finished run, for ``pdsync state`` and reports.

Timestamps are UTC instants normalised to ``YYYY-MM-DDTHH:MM:SSZ``; Pipedrive's v1 form
(``YYYY-MM-DD HH:MM:SS``) is accepted too. Sub-second parts are floored: with an
inclusive boundary, flooring can only fetch a row again, never skip one.
"""

from __future__ import annotations

import itertools
import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timezone
from typing import Any

from pdsync.errors import StateError

__all__ = [
    "STATE_VERSION",
    "Backfill",
    "Partition",
    "RunStats",
    "StreamState",
    "SyncState",
    "format_instant",
    "parse_instant",
]

STATE_VERSION = 1

_INSTANT_FORMAT = "%Y-%m-%dT%H:%M:%SZ"


def parse_instant(value: str) -> datetime:
    """Parse an ISO 8601 / Pipedrive timestamp into an aware UTC datetime (seconds floored)."""
    text = value.strip()
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        parsed = datetime.fromisoformat(text)
    except ValueError:
        raise StateError(
            f"Not a timestamp: {value!r}.",
            hint="Bookmarks are UTC instants like 2024-05-01T12:00:00Z.",
        ) from None
    if parsed.tzinfo is None:  # Pipedrive's v1 timestamps are UTC without an offset
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).replace(microsecond=0)


# YYYY-MM-DDTHH:MM:SSZ with every field in range (a day past its month's end aside).
_CANONICAL = re.compile(
    r"[1-9]\d{3}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])T([01]\d|2[0-3]):[0-5]\d:[0-5]\dZ",
    re.ASCII,
)


def format_instant(value: datetime | str) -> str:
    """The canonical text form of an instant: ``YYYY-MM-DDTHH:MM:SSZ``."""
    if type(value) is str and _CANONICAL.fullmatch(value):
        # Already canonical (every v2 record's update_time): one regex match instead of a
        # parse and a format, on every record of every ordered walk.
        return value
    instant = parse_instant(value) if isinstance(value, str) else value
    if instant.tzinfo is None:
        instant = instant.replace(tzinfo=timezone.utc)
    return instant.astimezone(timezone.utc).strftime(_INSTANT_FORMAT)


def _max_instant(a: str | None, b: str | None) -> str | None:
    if a is None or b is None:
        return a if b is None else b
    return a if parse_instant(a) >= parse_instant(b) else b


def _min_instant(a: str, b: str) -> str:
    return a if parse_instant(a) <= parse_instant(b) else b


@dataclass(frozen=True)
class Partition:
    """One time window ``[start, end)`` on the cursor of a backfill, fetched independently."""

    start: str
    end: str
    next_page: str | None = None  # the API's page cursor to continue from, if still valid
    last_seen: str | None = None  # highest cursor value committed inside this window
    rows: int = 0
    done: bool = False

    def resume_from(self) -> str:
        """Where a resumed fetch restarts when the page cursor is gone (inclusive)."""
        return self.last_seen or self.start

    def advanced(self, *, seen: str | None, rows: int, next_page: str | None) -> Partition:
        """The partition after one more committed page (``next_page=None`` closes it)."""
        return replace(
            self,
            last_seen=_max_instant(self.last_seen, format_instant(seen) if seen else None),
            rows=self.rows + rows,
            next_page=next_page,
            done=next_page is None,
        )


@dataclass(frozen=True)
class Backfill:
    """A first sync or full refresh in progress, as partitions of ``[start, signpost)``."""

    signpost: str  # the instant the backfill began: its data covers everything before it
    partitions: tuple[Partition, ...]
    # The table was empty when this backfill began: once done, every row in it was read
    # by this backfill, so it stands for an id reconciliation as of ``signpost`` (a run
    # resumed after a kill then needs no id scan to learn what it read already).
    fresh: bool = False

    @classmethod
    def plan(cls, start: str, signpost: str, parts: int = 1) -> Backfill:
        """Split ``[start, signpost)`` into ``parts`` equal windows (at least one)."""
        lo, hi = parse_instant(start), parse_instant(signpost)
        if hi <= lo:
            return cls(format_instant(hi), (Partition(format_instant(lo), format_instant(hi)),))
        count = max(1, parts)
        step = (hi - lo) / count
        edges = [format_instant(lo + step * i) for i in range(count)] + [format_instant(hi)]
        # Windows shorter than a second collapse after flooring; drop the empty ones.
        windows = tuple(Partition(a, b) for a, b in itertools.pairwise(edges) if a != b)
        return cls(format_instant(hi), windows)

    @property
    def done(self) -> bool:
        return all(p.done for p in self.partitions)

    @property
    def pending(self) -> tuple[int, ...]:
        """Indexes of the partitions still to fetch."""
        return tuple(i for i, p in enumerate(self.partitions) if not p.done)

    def with_partition(self, index: int, partition: Partition) -> Backfill:
        parts = list(self.partitions)
        parts[index] = partition
        return replace(self, partitions=tuple(parts))


@dataclass(frozen=True)
class RunStats:
    """What the last finished run of a stream did."""

    started_at: str
    finished_at: str
    inserted: int = 0
    updated: int = 0
    deleted: int = 0
    pages: int = 0


@dataclass(frozen=True)
class StreamState:
    """Everything pdsync remembers about one stream between runs."""

    stream: str
    cursor_field: str | None = None
    bookmark: str | None = None
    signpost: str | None = None
    backfill: Backfill | None = None
    last_reconciled_at: str | None = None
    last_run: RunStats | None = None
    extra: Mapping[str, Any] = field(default_factory=dict)  # stream-specific JSON values

    def advance(self, seen: str | None, signpost: str) -> StreamState:
        """Move the bookmark to ``seen``, capped at ``signpost``; it never moves backwards."""
        if seen is None:
            return self
        capped = _min_instant(format_instant(seen), format_instant(signpost))
        return replace(
            self,
            bookmark=_max_instant(self.bookmark, capped),
            signpost=format_instant(signpost),
        )

    def finish_backfill(self) -> StreamState:
        """Close a completed backfill: everything before its signpost is committed."""
        if self.backfill is None or not self.backfill.done:
            raise StateError(
                f"Stream {self.stream!r} has no completed backfill to close.",
                hint="This is a bug in the sync engine; please report it.",
            )
        closed = self.advance(self.backfill.signpost, self.backfill.signpost)
        if self.backfill.fresh:
            closed = replace(closed, last_reconciled_at=self.backfill.signpost)
        return replace(closed, backfill=None)

    def to_json(self) -> str:
        return json.dumps(_state_to_dict(self), sort_keys=True, separators=(",", ":"))

    @classmethod
    def from_json(cls, text: str) -> StreamState:
        try:
            data = json.loads(text)
        except ValueError:
            raise StateError("A stream's saved state is not valid JSON.") from None
        return _state_from_dict(data)


def _state_to_dict(state: StreamState) -> dict[str, Any]:
    backfill = state.backfill
    return {
        "version": STATE_VERSION,
        "stream": state.stream,
        "cursor_field": state.cursor_field,
        "bookmark": state.bookmark,
        "signpost": state.signpost,
        "backfill": None
        if backfill is None
        else {
            "signpost": backfill.signpost,
            "partitions": [vars(p) for p in backfill.partitions],
            "fresh": backfill.fresh,
        },
        "last_reconciled_at": state.last_reconciled_at,
        "last_run": None if state.last_run is None else vars(state.last_run),
        "extra": dict(state.extra),
    }


def _state_from_dict(data: Any) -> StreamState:
    if not isinstance(data, dict) or "stream" not in data:
        raise StateError("A stream's saved state has an unknown shape.")
    version = data.get("version")
    if not isinstance(version, int) or version > STATE_VERSION:
        raise StateError(
            f"State version {version!r} is newer than this pdsync understands ({STATE_VERSION}).",
            hint="Upgrade pdsync (pip install -U pdsync) to read this replica.",
        )
    try:
        raw_backfill = data.get("backfill")
        backfill = None
        if raw_backfill is not None:
            parts = tuple(Partition(**p) for p in raw_backfill["partitions"])
            backfill = Backfill(
                raw_backfill["signpost"], parts, bool(raw_backfill.get("fresh", False))
            )
        raw_run = data.get("last_run")
        return StreamState(
            stream=data["stream"],
            cursor_field=data.get("cursor_field"),
            bookmark=data.get("bookmark"),
            signpost=data.get("signpost"),
            backfill=backfill,
            last_reconciled_at=data.get("last_reconciled_at"),
            last_run=None if raw_run is None else RunStats(**raw_run),
            extra=dict(data.get("extra") or {}),
        )
    except (KeyError, TypeError) as exc:
        raise StateError(f"A stream's saved state is malformed ({exc}).") from None


@dataclass(frozen=True)
class SyncState:
    """The state of every stream of one replica, as read from the destination."""

    streams: Mapping[str, StreamState] = field(default_factory=dict)

    def get(self, stream: str) -> StreamState:
        """The stream's state, or a fresh one (no bookmark: first sync = full history)."""
        return self.streams.get(stream) or StreamState(stream)

    def updated(self, *states: StreamState) -> SyncState:
        merged = dict(self.streams)
        merged.update({s.stream: s for s in states})
        return SyncState(merged)
