"""One stream's run: what the fetchers read (spec, table, row conversion) and what the writer tracks.

Fetch threads only read the immutable part (``spec``, ``selection``, ``schema``,
``signpost``, :meth:`StreamRun.to_rows`). Everything that changes during the run
(``state``, the counters, ids seen by a full read) is touched by the writer
thread alone, so no lock is needed.
"""

from __future__ import annotations

import re
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from pdsync.catalog.fields import FieldCatalog, FieldMapping
from pdsync.catalog.streams import StreamSpec
from pdsync.destinations.base import FieldRecord
from pdsync.progress import StreamTotals
from pdsync.schema import Column, TableSchema
from pdsync.sync.normalize import Normalizer
from pdsync.sync.replication import StreamSelection
from pdsync.sync.state import StreamState

_HASH_KEY = re.compile(r"[0-9a-f]{40}")

# Parent counters (v2 `include_fields`) that tell whether a parent has children at all,
# so per-parent and batch child reads skip the parents that have none.
CHILD_COUNTS: dict[str, str] = {
    "deal_products": "products_count",
    "deal_participants": "participants_count",
    "deal_followers": "followers_count",
    "person_followers": "followers_count",
    "organization_followers": "followers_count",
}


@dataclass
class Counters:
    rows: int = 0
    pages: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0  # rows read again with the same values (full reads only)
    deleted: int = 0
    requests: int = 0

    def totals(self, waited: float = 0.0) -> StreamTotals:
        return StreamTotals(
            rows=self.rows,
            pages=self.pages,
            inserted=self.inserted,
            updated=self.updated,
            deleted=self.deleted,
            rate_limit_wait=waited,
        )


@dataclass
class StreamRun:
    spec: StreamSpec
    selection: StreamSelection
    schema: TableSchema  # the effective table schema (after ensure_table)
    state: StreamState
    signpost: str  # when this sync started: no bookmark goes past it
    fields: FieldCatalog | None = None
    count_columns: tuple[str, ...] = ()  # parent counters kept as columns for child reads
    counters: Counters = field(default_factory=Counters)
    seen_ids: set[Any] | None = None  # ids of a complete read started in this run
    started: float = field(default_factory=time.monotonic)
    finished: bool = False
    skipped: str | None = None  # why the API refused this stream, if it did

    def __post_init__(self) -> None:
        self._normalizer = Normalizer(self.spec, self.fields)

    @property
    def name(self) -> str:
        return self.spec.name

    @property
    def full_refresh(self) -> bool:
        return self.selection.mode == "full_refresh"

    def to_rows(
        self, records: Iterable[Mapping[str, Any]], parent_id: Any = None
    ) -> list[dict[str, Any]]:
        """API records → table rows (typed, custom fields by name, parent counters kept)."""
        records = records if isinstance(records, list) else list(records)
        rows = self._normalizer.rows(records, parent_id)
        for counter in self.count_columns:
            for row, record in zip(rows, records, strict=True):
                row[counter] = record.get(counter)
        return rows

    @property
    def text_repairs(self) -> dict[str, int]:
        """Column -> values whose text was not valid Unicode and was repaired (U+FFFD)."""
        return dict(self._normalizer.repairs)

    def key_of(self, row: Mapping[str, Any]) -> Any:
        """The primary key of a row: a value, or a tuple for composite keys."""
        pk = self.spec.primary_key
        return row[pk[0]] if len(pk) == 1 else tuple(row[k] for k in pk)


def count_columns(names: Iterable[str]) -> tuple[Column, ...]:
    return tuple(
        Column(name, "integer", f"include_fields={name}", "Pipedrive's counter, read with the row")
        for name in names
    )


def to_field_records(catalog: FieldCatalog) -> list[FieldRecord]:
    """A catalog's mappings as rows of ``_pdsync_fields``."""
    return [
        FieldRecord(
            entity=m.entity,
            key=m.key,
            name=m.name,
            field_type=m.field_type,
            column=m.column,
            options={str(k): v for k, v in m.options.items()},
            first_seen=m.first_seen,
            deleted=m.deleted,
        )
        for m in catalog.mappings()
    ]


def from_field_records(records: Iterable[FieldRecord]) -> list[FieldMapping]:
    """Previous custom-field mappings read back from ``_pdsync_fields``.

    System fields are rebuilt from the API every run; only custom fields (hash keys,
    or a column that differs from the key) carry frozen decisions worth reading back.
    """
    out = []
    for r in records:
        if not (_HASH_KEY.fullmatch(r.key) or r.column != r.key):
            continue
        options = r.options if isinstance(r.options, dict) else {}
        out.append(
            FieldMapping(
                entity=r.entity,
                key=r.key,
                name=r.name,
                field_type=r.field_type,
                column=r.column,
                options={int(k): str(v) for k, v in options.items()},
                first_seen=r.first_seen,
                deleted=r.deleted,
            )
        )
    return out
