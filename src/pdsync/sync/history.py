"""History streams (per-parent reads): keys for id-less items, and the cost said up front.

Changelog items carry no id. Their key is a digest of the parent id and the item's
content, with an ordinal for items identical in every field (two equal changes in the
same second), so re-reading a parent's history finds the same keys and the merge
changes nothing, while a new change gets a new key.

A per-parent stream's first read costs one call per parent (a 20,000-deal account
with deal flow on: 20,000 calls, 800,000 tokens). :func:`first_read_cost` states it
before the calls start; the daily-budget stop that exists then ends the run cleanly,
every committed chunk kept, and the next run resumes at the first parent not read.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pdsync.catalog.columns import HASH_SOURCE, ITEM_SOURCE
from pdsync.catalog.streams import StreamSpec


def content_key(parent_id: Any, record: Mapping[str, Any], ordinal: int = 0) -> str:
    """A stable key for an id-less item: parent id + canonical content (+ ordinal)."""
    canonical = json.dumps(
        [parent_id, record, ordinal], sort_keys=True, separators=(",", ":"), default=str
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:32]


def with_content_keys(records: Iterable[Mapping[str, Any]], parent_id: Any) -> list[dict[str, Any]]:
    """The records, each with its content key under ``$hash`` (the column source)."""
    seen: dict[str, int] = {}
    out = []
    for record in records:
        base = content_key(parent_id, record)
        ordinal = seen.get(base, 0)
        seen[base] = ordinal + 1
        key = base if ordinal == 0 else content_key(parent_id, record, ordinal)
        out.append({**record, HASH_SOURCE: key})
    return out


def child_records(spec: StreamSpec, records: Iterable[Any], parent_id: Any) -> list[dict[str, Any]]:
    """One parent's list as records the normaliser reads.

    Plain values (permitted users: user ids) become ``{"$item": value}``; streams keyed
    by content get their ``$hash`` key, computed over the whole list (duplicates count).
    """
    wrapped = [r if isinstance(r, dict) else {ITEM_SOURCE: r} for r in records]
    if any(c.source == HASH_SOURCE for c in spec.columns):
        return with_content_keys(wrapped, parent_id)
    return wrapped


@dataclass(frozen=True)
class ReadCost:
    stream: str
    parents: int  # parents to read
    calls: int  # at least one call each (batch endpoints: one per batch)
    tokens: int | None

    def message(self, *, first: bool) -> str:
        what = "first read" if first else "read"
        tokens = f" and {self.tokens:,} tokens" if self.tokens is not None else ""
        return (
            f"{self.stream}: {what} of {self.parents:,} parents costs about "
            f"{self.calls:,} requests{tokens}. A stop for the daily token budget keeps the parents "
            f"already read; the next run resumes with the rest."
        )


def read_cost(spec: StreamSpec, parents: Sequence[Any] | int) -> ReadCost:
    """What reading the children of ``parents`` costs at least (one page each)."""
    count = parents if isinstance(parents, int) else len(parents)
    link = spec.parent
    assert link is not None, f"{spec.name} is not read per parent"
    calls = -(-count // link.batch_size) if link.is_batch else count
    cost = spec.token_cost
    return ReadCost(spec.name, count, calls, calls * cost if cost is not None else None)
