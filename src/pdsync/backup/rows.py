"""A snapshot row → the row push writes: readable columns, references rewired.

Push reads the replica's own column names (custom fields by name, enum/set by label,
``budget`` + ``budget_currency``), so a snapshot row is nearly push input already. What
changes here: references point at re-created records; one column per field (the
replica keeps companions such as ``priority_id`` or address parts beside the field);
prices drop their product id (the API sets it); an activity's person is written as its
primary participant (v2 reads ``person_id`` but sets it from ``participants``); a v1
note's ``add_time`` is sent in v1's format; empty values are left out (push never clears
a field, see docs/backup.md). A set field whose options the account does not list (deal
labels on some accounts) cannot be checked by push, so it is left out and reported.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from pdsync.backup.diff import compared_columns
from pdsync.backup.references import IdMap, rewire
from pdsync.push.fields import FieldSet

_COMPANIONS = ("_currency", "_until")


def _empty(value: Any) -> bool:
    return value is None or value == "" or value == [] or value == {}


def _prices(value: Any) -> Any:
    if not isinstance(value, list):
        return value
    return [
        {k: v for k, v in price.items() if k != "product_id"} if isinstance(price, dict) else price
        for price in value
    ]


def _activity_participants(source: Mapping[str, Any]) -> Any:
    listed = source.get("participants")  # rewired with the rest of the row
    if isinstance(listed, list) and listed:
        return [
            {"person_id": p.get("person_id"), "primary": bool(p.get("primary"))}
            for p in listed
            if isinstance(p, dict)
        ]
    person = source.get("person_id")
    return [{"person_id": person, "primary": True}] if person is not None else None


def _v1_time(value: Any) -> Any:
    if isinstance(value, str) and value.endswith("Z") and "T" in value:
        return value[:-1].replace("T", " ")
    return value


def unwritable(fields: FieldSet, column: str) -> bool:
    """A column push cannot write as the account describes it (see the module doc)."""
    try:
        target = fields.resolve(column)
    except LookupError:
        return True
    return target is not None and target.field_type == "set" and not target.options


def push_row(
    stream: str,
    row: Mapping[str, Any],
    fields: FieldSet,
    refs: Mapping[str, str],
    ids: IdMap,
    *,
    only: Iterable[str] | None = None,
    with_id: bool = False,
) -> dict[str, Any]:
    """The push input row of a snapshot row (``only``: just these columns, for reverts)."""
    source = rewire(row, refs, ids)
    # Only what a restore writes (as diff compares it): never times, counters or other
    # values Pipedrive sets itself. Sending those would also defeat the read-back that
    # tells whether a create whose answer was lost landed (the record would not match).
    allowed = set(compared_columns(stream, source))
    wanted = set(only) & allowed if only is not None else allowed
    chosen: dict[str, str] = {}  # field code -> column
    for column, value in source.items():
        if column == "id" or _empty(value) or column.endswith(_COMPANIONS):
            continue
        if wanted is not None and column not in wanted:
            continue
        if stream == "activities" and column == "person_id":
            column = "participants"  # see _activity_participants
        elif unwritable(fields, column):
            continue
        try:
            target = fields.resolve(column)
        except LookupError:
            continue
        if target is None:
            continue
        best = chosen.get(target.code)
        better = best is None or column == target.replica_column or len(column) < len(best)
        if better and best != target.replica_column:
            chosen[target.code] = column
    out: dict[str, Any] = {}
    if with_id:
        out["id"] = source["id"]
    for column in chosen.values():
        value = source.get(column)
        if column == "prices":
            value = _prices(value)
        elif column == "participants" and stream == "activities":
            value = _activity_participants(source)
        elif column == "add_time" and stream == "notes":
            value = _v1_time(value)
        if _empty(value):
            continue
        out[column] = value
        for suffix in _COMPANIONS:
            companion = source.get(column + suffix)
            if not _empty(companion):
                out[column + suffix] = companion
        # A lead's replica keeps the value's currency in ``currency``; push takes the
        # companion ``value_currency`` (Pipedrive refuses a lead value without one).
        lead_value = stream in ("leads", "archived_leads") and column == "value"
        if lead_value and not _empty(source.get("currency")):
            out.setdefault("value_currency", source["currency"])
    return out
