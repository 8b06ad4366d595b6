"""Shared pieces of the projects family's routes: id-ordered scans, paging and renderers.

Projects, tasks, boards, phases and templates are listed in id order (the specs give these
lists no sort parameter), resumed after the last id of a page. A :class:`Filter` checks a
generated record against the compact columns (so only returned records are generated)
and a written one against its fields; both must agree.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import islice
from typing import TYPE_CHECKING, Any

from pdsync.emulator import render_v2
from pdsync.emulator.http import Request
from pdsync.emulator.render_v1 import flat_custom
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    count_records,
    decode_cursor,
    encode_cursor,
    not_found,
)
from pdsync.emulator.timefmt import v1_time, v2_time

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

# Keys of the canonical records that the API does not show.
_PROJECT_INTERNAL = ("is_archived", "is_deleted", "template_id")
_V1_PROJECT_KEYS = ("id", "title", "board_id", "phase_id", "description", "status", "owner_id",
                    "start_date", "end_date", "deal_ids", "health_status")  # fmt: skip
_V1_TASK_KEYS = ("id", "title", "project_id", "description", "parent_task_id", "assignee_ids",
                 "due_date", "creator_id")  # fmt: skip
TIMES = ("add_time", "update_time", "status_change_time", "archive_time", "marked_as_done_time")


@dataclass(frozen=True)
class Filter:
    """One list filter: on a generated record's columns (by index) and on a written record."""

    column: Callable[[int], bool]
    record: Callable[[Record], bool]


def scan(
    store: Store, entity: str, after: int, filters: list[Filter], ids: Iterable[int] | None = None
) -> Iterator[Record]:
    """Records of ``entity`` with an id above ``after`` that pass every filter, in id order.
    ``ids``: the only generated ids that can match (written records are always checked)."""
    table = store.table(entity)
    overlay = table.overlay
    candidates: Iterable[int]
    if ids is None:
        written = sorted(i for i in overlay if i > table.base_count and i > after)
        candidates = _chain(range(after + 1, table.base_count + 1), written)
    else:
        candidates = sorted({i for i in ids if i > after} | {i for i in overlay if i > after})
    for i in candidates:
        record = overlay.get(i)
        if record is not None:
            if all(f.record(record) for f in filters):
                yield record
        elif i <= table.base_count and all(f.column(i) for f in filters):
            yield store.generator.make(entity, i)


def _chain(first: Iterable[int], second: Iterable[int]) -> Iterator[int]:
    yield from first
    yield from second


def after_arg(req: Request) -> int:
    """The last id of the previous page, from the opaque cursor (0 on the first page)."""
    cursor = decode_cursor(req)
    if cursor is None:
        return 0
    if not isinstance(cursor[1], int) or cursor[1] < 0:
        raise ApiProblem(400, "Invalid cursor")
    return cursor[1]


def page(rows: Iterator[Record], limit: int, req: Request) -> tuple[list[Record], str | None]:
    """The first ``limit`` rows, and the cursor of the next page (None on the last page)."""
    taken = list(islice(rows, limit + 1))
    cursor = None
    if len(taken) > limit:
        taken = taken[:limit]
        cursor = encode_cursor((taken[-1]["id"], taken[-1]["id"]))
    count_records(req, len(taken))
    return taken, cursor


def path_id(req: Request, name: str = "id") -> int:
    """A numeric path id; anything else cannot name a record (404, as for unknown ids)."""
    raw = req.path_params.get(name, "")
    if not raw.isdigit():
        raise not_found()
    return int(raw)


def existing(store: Store, entity: str, record_id: int, label: str, live: bool = True) -> Record:
    """The record, or 404 naming what was not found (deleted ones count as gone if ``live``)."""
    record = store.get(entity, record_id)
    if record is None or (live and record.get("is_deleted")):
        raise not_found(label)
    return record


# -- renderers ---------------------------------------------------------------------------


def project_v2(store: Store, rec: Record) -> Record:
    out = render_v2.render("project", rec, store.fields["project"])
    for key in _PROJECT_INTERNAL:
        out.pop(key, None)
    if rec.get("is_deleted"):
        out["status"] = "deleted"
    out.setdefault("custom_fields", {})
    return out


def project_v1(store: Store, rec: Record) -> Record:
    out = {k: rec.get(k) for k in _V1_PROJECT_KEYS}
    out["status"] = "deleted" if rec.get("is_deleted") else rec["status"]
    org_ids, person_ids = rec.get("org_ids") or [], rec.get("person_ids") or []
    out.update(
        org_id=org_ids[0] if org_ids else None,
        person_id=person_ids[0] if person_ids else None,
        labels=list(rec.get("label_ids") or []),
    )
    out.update({k: v1_time(rec.get(k)) for k in TIMES[:4]})
    out.update(flat_custom(store.fields["project"], rec.get("custom_fields") or {}))
    return out


def task_v2(rec: Record) -> Record:
    out = {k: v for k, v in rec.items() if k != "is_deleted"}
    for key in ("add_time", "update_time", "marked_as_done_time"):
        out[key] = v2_time(rec.get(key))
    return out


def task_v1(rec: Record) -> Record:
    out = {k: rec.get(k) for k in _V1_TASK_KEYS}
    assignees = rec.get("assignee_ids") or []
    out.update(assignee_id=assignees[0] if assignees else None, done=1 if rec["is_done"] else 0)
    for key in ("add_time", "update_time", "marked_as_done_time"):
        out[key] = v1_time(rec.get(key))
    return out


def small_v2(rec: Record, keys: tuple[str, ...]) -> Record:
    """Boards, phases, templates: the listed keys, with v2 times."""
    out = {k: rec.get(k) for k in keys}
    out.update(add_time=v2_time(rec["add_time"]), update_time=v2_time(rec["update_time"]))
    return out


def small_v1(rec: Record, keys: tuple[str, ...]) -> Record:
    out = {k: rec.get(k) for k in keys}
    out.update(add_time=v1_time(rec["add_time"]), update_time=v1_time(rec["update_time"]))
    return out


def user_exists(store: Store, user_id: Any) -> bool:
    user = store.get("user", user_id) if isinstance(user_id, int) else None
    return user is not None and user.get("active_flag", True) is not False
