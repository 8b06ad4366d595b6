"""Records that move to the archive: a live row must not stay live and unarchived.

Pipedrive's ``/deals`` and ``/leads`` no longer list archived records; they are
listed by ``/deals/archived`` and ``/leads/archived`` (the ``archived_deals`` and
``archived_leads`` streams). Archiving a deal changes its ``update_time``, but the
next incremental read of ``/deals`` never sees it, so without help the replica would
keep it in ``deals`` as a live, unarchived row for ever.

The choice here is to *mark* it: when an archived record arrives whose id is a
live, unarchived row of the main table, the archived record (``is_archived = true``,
``archive_time``, its latest values) is merged into the main table too, before the
archive stream's page and bookmark are committed (a crash between the two writes
replays the page: the merge is idempotent). Rows stay in ``deals``, so foreign keys
(activities, deal products) still resolve; ``WHERE NOT is_archived`` gives the deals
``/deals`` lists. A deal taken out of the archive comes back through ``/deals`` with
``is_archived = false``.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import replace
from typing import Any

from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT, TableSchema
from pdsync.sync.children import id_literal
from pdsync.sync.context import StreamRun

# Archive stream -> the main stream whose rows it marks.
ARCHIVE_OF: dict[str, str] = {"archived_deals": "deals", "archived_leads": "leads"}
ARCHIVED_FLAG = "is_archived"


def moved_rows(
    destination: Destination, archive: StreamRun, main: StreamRun, rows: Sequence[dict[str, Any]]
) -> list[dict[str, Any]]:
    """The archived rows that are still live and unarchived rows of the main table."""
    if not rows or ARCHIVED_FLAG not in main.schema.column_names:
        return []
    keys = {archive.key_of(r) for r in rows}
    pk = main.spec.primary_key[0]
    flag = quote(ARCHIVED_FLAG)
    literals = ", ".join(id_literal(k) for k in sorted(keys, key=str))
    sql = (
        f"SELECT {quote(pk)} FROM {quote(main.schema.name)} WHERE {quote(pk)} IN ({literals}) "
        f"AND {quote(DELETED_AT)} IS NULL AND ({flag} IS NULL OR NOT {flag})"
    )
    live = {r[0] for r in destination.query(sql)}
    return [r for r in rows if archive.key_of(r) in live]


def shared_schema(main: StreamRun, archive: StreamRun) -> TableSchema:
    """The main table restricted to the columns the archived rows carry (counters excluded)."""
    carried = set(archive.schema.column_names)
    return replace(main.schema, columns=tuple(c for c in main.schema.columns if c.name in carried))
