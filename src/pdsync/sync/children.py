"""Children without N+1 (DESIGN decision 5): deal products, participants, followers.

A child stream is read only for the parents that changed since its own bookmark,
and the *replica's parent table is the work list*: once the parent's read is
committed, the writer lists ``id, update_time`` (and the parent's counter, e.g.
``products_count``) of the parents with ``update_time >= child bookmark``, in
``(update_time, id)`` order, and cuts that list into chunks fetched in parallel:

- batch endpoints take a chunk per call (``/api/v2/deals/products?deal_ids=`` takes 100);
- per-parent endpoints (followers, participants) are called only for parents whose
  counter says they have children (``include_fields=followers_count`` …); a parent
  whose counter is 0 costs no call at all.

A chunk's rows *replace* the children of its parents: child rows of those parents
that the API no longer lists are marked deleted in the same transaction. The child
bookmark advances to the highest parent ``update_time`` of the contiguous prefix of
committed chunks, so a killed run resumes at the first chunk not committed; once every
chunk is committed it moves to the parent's bookmark (the parent table is complete up
to there), so the next run reads the children of the parents changed after it only.

Children start once the parent is *finished* (its deletes included), so the children
of a parent deleted in Pipedrive are marked deleted too (:func:`orphaned_children`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.destinations.base import Destination
from pdsync.destinations.identifiers import quote
from pdsync.schema import DELETED_AT
from pdsync.sync.context import CHILD_COUNTS, StreamRun
from pdsync.sync.fetch import FetchTask
from pdsync.sync.history import child_records, read_cost
from pdsync.sync.items import ChildItem, WorkItem
from pdsync.sync.pipeline import Emit
from pdsync.sync.reader import list_params, walk
from pdsync.sync.state import format_instant

PER_PARENT_CHUNK = 25  # parents per fetch task for per-parent endpoints


@dataclass(frozen=True)
class ParentRef:
    id: Any
    cursor: str | None
    count: int | None  # the parent's counter of these children; None if unknown


@dataclass
class ChunkProgress:
    """Writer-side tracking of which chunks are committed, to advance the bookmark safely."""

    cursors: list[str | None]
    done: set[int]
    next_index: int = 0

    def complete(self, index: int) -> str | None:
        """Record chunk ``index``; the cursor the bookmark may advance to (None: not yet)."""
        self.done.add(index)
        advanced: str | None = None
        while self.next_index in self.done:
            advanced = self.cursors[self.next_index] or advanced
            self.next_index += 1
        return advanced


def list_parents(destination: Destination, child: StreamRun, parent: StreamRun) -> list[ParentRef]:
    """Parents whose children need reading: changed since the child's bookmark, live.

    The parent's cursor, or (parents read whole, e.g. mail threads, projects) the
    column the child declares moves with its children (``Parent.changed_by``).
    """
    link = child.spec.parent
    assert link is not None
    pk = parent.spec.primary_key[0]
    cursor = parent.spec.cursor
    if cursor is None and link.changed_by in parent.schema.column_names:
        cursor = link.changed_by
    counter = CHILD_COUNTS.get(child.name)
    has_counter = counter is not None and counter in parent.schema.column_names
    select = [quote(pk), quote(cursor) if cursor else "NULL"]
    select.append(quote(counter) if has_counter and counter else "NULL")
    sql = f"SELECT {', '.join(select)} FROM {quote(parent.schema.name)} WHERE {quote(DELETED_AT)} IS NULL"
    bookmark = child.state.bookmark
    if bookmark and cursor and link.changed_only and not child.full_refresh:
        sql += f" AND {quote(cursor)} >= '{format_instant(bookmark)}'"
    if cursor:
        sql += f" ORDER BY {quote(cursor)}, {quote(pk)}"
    return [ParentRef(r[0], r[1], r[2]) for r in destination.query(sql)]


def first_read_notice(child: StreamRun, parents: Sequence[ParentRef]) -> str | None:
    """The cost of a first (or full-refresh) per-parent read, said before its calls start."""
    link = child.spec.parent
    first = child.state.bookmark is None
    if link is None or not link.changed_only or not (first or child.full_refresh):
        return None
    wanted = [p for p in parents if p.count is None or p.count > 0]
    if not wanted:
        return None
    return read_cost(child.spec, wanted).message(first=first)


def parent_complete_until(parent: StreamRun) -> str | None:
    """Up to when the parent's table is complete, once its read of this run finished.

    An incremental parent: its bookmark. A parent read whole (projects, mail threads):
    this run's signpost, since the whole list was read after it; without that, the
    child's bookmark would stop at the newest parent and re-read it on every sync.
    """
    if parent.spec.incremental is not None:
        return parent.state.bookmark
    return parent.signpost if parent.finished and parent.skipped is None else None


def chunk_parents(child: StreamRun, parents: Sequence[ParentRef]) -> list[list[ParentRef]]:
    """Parents in order, cut so that each chunk holds ``size`` parents that cost a call.

    Parents whose counter is 0 ride along for free (no call; their old children, if
    any, are marked deleted with the chunk), so every batch call carries a full 100.
    """
    parent = child.spec.parent
    assert parent is not None
    size = parent.batch_size if parent.is_batch else PER_PARENT_CHUNK
    chunks: list[list[ParentRef]] = []
    current: list[ParentRef] = []
    wanted = 0
    for ref in parents:
        current.append(ref)
        wanted += ref.count is None or ref.count > 0
        if wanted == size:
            chunks.append(current)
            current, wanted = [], 0
    if current:
        chunks.append(current)
    return chunks


def child_task(
    run: StreamRun, client: PipedriveClient, index: int, chunk: list[ParentRef]
) -> FetchTask:
    """Fetch the children of one chunk of parents; emit them as one replace-by-parent item."""
    spec = run.spec
    parent = spec.parent
    assert parent is not None

    def task(emit: Emit[WorkItem]) -> None:
        wanted = [p for p in chunk if p.count is None or p.count > 0]
        rows: list[dict[str, Any]] = []
        requests = 0
        if parent.is_batch and wanted:
            ids = ",".join(str(p.id) for p in wanted)
            for page in walk(client, spec, list_params(spec, {parent.via: ids})):
                rows.extend(run.to_rows(page.records))
                requests += 1
        elif wanted:
            for ref in wanted:
                path, params = _per_parent_call(run, ref.id)
                records: list[dict[str, Any]] = []
                for page in walk(client, spec, params, path=path):
                    records.extend(page.records)
                    requests += 1
                rows.extend(run.to_rows(child_records(spec, records, ref.id), parent_id=ref.id))
        cursors = [p.cursor for p in chunk if p.cursor]
        emit(
            ChildItem(
                spec.name,
                rows,
                [p.id for p in chunk],
                index,
                format_instant(max(cursors)) if cursors else None,
                requests,
            )
        )

    return task


def _per_parent_call(run: StreamRun, parent_id: Any) -> tuple[str, dict[str, Any]]:
    parent = run.spec.parent
    assert parent is not None
    if parent.via == "path":
        return run.spec.path.replace("{id}", str(parent_id)), list_params(run.spec)
    return run.spec.path, list_params(run.spec, {parent.via: parent_id})


def existing_children(
    destination: Destination, run: StreamRun, parent_ids: Sequence[Any]
) -> list[Any]:
    """Primary keys of live child rows that belong to ``parent_ids``."""
    parent = run.spec.parent
    if parent is None or parent.key_column is None or not parent_ids:
        return []
    pk = run.spec.primary_key
    literals = ", ".join(id_literal(i) for i in parent_ids)
    sql = (
        f"SELECT {', '.join(quote(k) for k in pk)} FROM {quote(run.schema.name)} "
        f"WHERE {quote(parent.key_column)} IN ({literals}) AND {quote(DELETED_AT)} IS NULL"
    )
    rows = destination.query(sql)
    return [r[0] if len(pk) == 1 else tuple(r) for r in rows]


def orphaned_children(destination: Destination, run: StreamRun, parent: StreamRun) -> list[Any]:
    """Primary keys of live child rows whose parent is marked deleted in the replica.

    A deleted parent's children are gone with it in Pipedrive, but no child endpoint
    lists them any more: they are marked deleted here, at the start of every child read.
    """
    spec = run.spec.parent
    if spec is None or spec.key_column is None:
        return []
    pk = run.spec.primary_key
    parent_pk = parent.spec.primary_key[0]
    sql = (
        f"SELECT {', '.join(quote(k) for k in pk)} FROM {quote(run.schema.name)} "
        f"WHERE {quote(DELETED_AT)} IS NULL AND {quote(spec.key_column)} IN "
        f"(SELECT {quote(parent_pk)} FROM {quote(parent.schema.name)} "
        f"WHERE {quote(DELETED_AT)} IS NOT NULL)"
    )
    rows = destination.query(sql)
    return [r[0] if len(pk) == 1 else tuple(r) for r in rows]


def id_literal(value: Any) -> str:
    """A parent id as an SQL literal (ids come from our own replica: ints or UUID text)."""
    if isinstance(value, bool) or not isinstance(value, (int, str)):
        raise TypeError(f"unexpected parent id {value!r}")
    if isinstance(value, int):
        return str(value)
    return "'" + value.replace("'", "''") + "'"
