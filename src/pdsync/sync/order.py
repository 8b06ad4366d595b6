"""Order is never trusted blindly: the checks behind every walk that moves by the records' cursor.

A walk that asks a list sorted by ``update_time`` ascending moves its bookmark (or its
keyset, or a backfill window's edge) to the newest ``update_time`` it has read. That is
only sound if the server did sort: a list that comes by id instead makes every page
after the first skip records, and nothing else would notice. So each page is checked as
it arrives, at no cost in requests: its cursor values must never go down, and the first
must not come before the previous page's last (pages meet without gaps) nor before the
walk's lower bound. A walk whose check fails is read again from its start with a listing
that cannot skip (:func:`stable_params`), its records filtered to the walk's time range
on our side (:class:`CursorRange`).

A page that happens to look sorted cannot show that the server ignored the sort; the
checks catch an unsorted list on its first page with more than a handful of records.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from pdsync.catalog.streams import StreamSpec
from pdsync.sync.state import format_instant

# The order a fallback listing asks for: v1 notes and leads document ``sort=id ASC``
# (unique, so edits never move a record); v2 lists are ordered by id when not told otherwise.
STABLE_V1_SORT = ("sort", "id ASC")


def cursor_values(records: Iterable[Mapping[str, Any]], field: str | None) -> list[str]:
    """The canonical cursor values of the records that have one, in page order."""
    if field is None:
        return []
    return [format_instant(v) for r in records if isinstance(v := r.get(field), str) and v]


class OrderCheck:
    """Follows a walk page by page; :meth:`admits` says whether a page keeps the order."""

    def __init__(self, floor: str | None) -> None:
        self.boundary = floor  # no record may come before this (canonical instant)

    def admits(self, values: Sequence[str]) -> bool:
        """True (and the boundary moves to the page's last value) when the page is in order."""
        previous = self.boundary
        for value in values:
            if previous is not None and value < previous:
                return False
            previous = value
        self.boundary = previous
        return True


def asks_cursor_order(spec: StreamSpec, params: Mapping[str, Any]) -> bool:
    """Whether these params ask the list sorted by the stream's cursor."""
    inc = spec.incremental
    return inc is not None and all(params.get(k) == v for k, v in inc.sort)


def stable_params(spec: StreamSpec, params: Mapping[str, Any]) -> dict[str, Any]:
    """The same filter without the cursor sort, in an order that edits do not change."""
    inc = spec.incremental
    sort_keys = {k for k, _ in inc.sort} if inc is not None else set()
    stable = {k: v for k, v in params.items() if k not in sort_keys}
    if spec.version == "v1" and "sort" in sort_keys:
        stable[STABLE_V1_SORT[0]] = STABLE_V1_SORT[1]
    return stable


@dataclass(frozen=True)
class CursorRange:
    """``[since, until)`` on the cursor, as asked of the server, checked on our side."""

    field: str | None
    since: str | None
    until: str | None

    @classmethod
    def of(cls, spec: StreamSpec, params: Mapping[str, Any]) -> CursorRange:
        inc = spec.incremental
        if inc is None:
            return cls(None, None, None)
        since = params.get(inc.since_param)
        until = params.get(inc.until_param) if inc.until_param else None
        return cls(
            inc.cursor_field,
            format_instant(since) if isinstance(since, str) else None,
            format_instant(until) if isinstance(until, str) else None,
        )

    def keep(self, records: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
        """The records inside the range (a record without a cursor value is kept)."""
        if self.field is None or (self.since is None and self.until is None):
            return list(records)
        out = []
        for record in records:
            raw = record.get(self.field)
            if isinstance(raw, str) and raw:
                value = format_instant(raw)
                if (self.since is not None and value < self.since) or (
                    self.until is not None and value >= self.until
                ):
                    continue
            out.append(record)
        return out
