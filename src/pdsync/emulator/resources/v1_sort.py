"""Which fields each v1 list sorts by, and how ``sort=`` is applied to its scan.

Supported fields are the spec's: notes and files name theirs, leads list an enum, and
the legacy deal/person/organization lists take "first-level field keys" — the keys of
the v1 object, custom field keys included (activities and products, whose legacy
lists are called the same way by old clients, are treated alike). The ``ignore_sort``
quirk (:mod:`pdsync.emulator.config`) serves every v1 list in its default order
whatever ``sort`` says, to test clients against a server that does not honour it.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Any

from pdsync.emulator.query import COLUMN_SORTS, ListSpec
from pdsync.emulator.render_v1 import V1Renderer, flat_custom, flatten_refs
from pdsync.emulator.resources.common import ApiProblem
from pdsync.emulator.sorting import Getter, SortError, SortField, parse_sort, plain_value

if TYPE_CHECKING:
    from pdsync.emulator.http import Request
    from pdsync.emulator.store import Store

NOTE_SORTS = ("id", "user_id", "deal_id", "person_id", "org_id", "content", "add_time",
              "update_time")  # fmt: skip
LEAD_SORTS = ("id", "title", "owner_id", "creator_id", "was_seen", "expected_close_date",
              "next_activity_id", "add_time", "update_time")  # fmt: skip
FILE_SORTS = ("id", "update_time")
Record = dict[str, Any]


def apply_sort(
    store: Store,
    req: Request,
    ls: ListSpec,
    allowed: Collection[str],
    what: str,
    columns: Collection[str] = COLUMN_SORTS,
) -> None:
    """Order ``ls`` by the request's ``sort`` (fields of the canonical record). ``columns``
    are the fields whose stored order is the API's (a lead's ``id`` is a UUID, so leads
    leave ``id`` out); one of them alone keeps the fast column scan."""
    fields = requested_sort(store, req, allowed, what)
    if len(fields) == 1 and fields[0].name in columns:
        ls.order_by(fields)
    else:
        ls.order_by(fields, plain_value)


def requested_sort(
    store: Store, req: Request, allowed: Collection[str], what: str
) -> tuple[SortField, ...]:
    """The fields of the request's ``sort``; ``()`` when absent or ignored (quirk)."""
    raw = req.arg("sort")
    if not raw or "ignore_sort" in store.config.quirks:
        return ()
    try:
        return parse_sort(raw, allowed, what)
    except SortError as exc:
        raise ApiProblem(400, str(exc)) from None


def legacy_sort(store: Store, req: Request, ls: ListSpec, entity: str) -> None:
    """``sort`` on a legacy v1 list: any first-level key of the v1 object."""
    if not req.arg("sort") or "ignore_sort" in store.config.quirks:
        return
    renderer = V1Renderer(store)
    sample = store.get(entity, 1)
    allowed = set(COLUMN_SORTS) | (set(renderer.render(entity, sample)) if sample else set())
    fields = requested_sort(store, req, allowed, f"{entity} records")
    if len(fields) == 1 and fields[0].name in COLUMN_SORTS:
        ls.order_by(fields)
    else:
        names = {f.name for f in fields}
        ls.order_by(fields, _v1_getter(renderer, entity, names))
        # Only custom field keys need the records' custom field values to sort.
        custom = {f.key for f in store.fields.get(entity, []) if f.is_custom}
        ls.sort_reads_custom = bool(names & custom)


# v1 keys read straight from the canonical record: renamed ones, and derived flags.
_RENAMED: dict[str, dict[str, str]] = {
    "deal": {"user_id": "owner_id", "deleted": "is_deleted"},
    "activity": {"user_id": "owner_id", "created_by_user_id": "creator_user_id",
                 "busy_flag": "busy"},
    "product": {"selectable": "is_linkable"},
}  # fmt: skip
# Canonical keys whose v1 value has another shape: read from the rendering.
_RESHAPED = {"activity": frozenset({"location", "participants"}), "product": frozenset({"prices"})}


def _v1_getter(renderer: V1Renderer, entity: str, names: set[str]) -> Getter:
    """Reads sort fields as the v1 object shows them (nested refs as their ids). Most
    come from the canonical record (a sort over a whole account must not render every
    record); custom fields through their v1 flattening; the rest from the rendering,
    done once per record with only the sort fields' values kept."""
    renamed = _RENAMED.get(entity, {})
    reshaped = _RESHAPED.get(entity, frozenset())
    custom = {f.key: f for f in renderer.store.fields.get(entity, []) if f.is_custom}
    kept: dict[Any, Record] = {}

    def value(rec: Record, name: str) -> Any:
        if name in COLUMN_SORTS:
            return rec.get(name)
        if name == "active_flag":
            return not rec.get("is_deleted")
        if name in renamed:
            return rec.get(renamed[name])
        if name in rec and name not in reshaped:
            found = rec[name]
            return found.get("value") if isinstance(found, dict) else found
        if name in custom:
            return flat_custom([custom[name]], rec.get("custom_fields") or {}).get(name)
        cached = kept.get(rec["id"])
        if cached is None:
            v1 = flatten_refs(renderer.render(entity, rec))
            cached = kept[rec["id"]] = {n: v1.get(n) for n in names}
        return cached[name]

    return value
