"""Canonical field values ↔ API bodies and records; the field-by-field diff.

v2 objects take custom fields in a ``custom_fields`` object, v1 objects (leads, notes)
flat at the root with ``<key>_currency`` / ``<key>_until`` companions. Reading a
record back goes the other way, so that an update can compare like with like and send
only the fields that change.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from pdsync.catalog.fieldvalues import scatter_v1
from pdsync.push.fields import FieldSet
from pdsync.push.objects import ObjectSpec


@dataclass(frozen=True)
class Change:
    code: str
    name: str
    old: Any
    new: Any


def api_body(spec: ObjectSpec, fields: FieldSet, values: Mapping[str, Any]) -> dict[str, Any]:
    """The JSON body of a create or update for ``values`` (field code → canonical value)."""
    custom = {f.code for f in fields.fields if f.is_custom}
    body: dict[str, Any] = {}
    nested: dict[str, Any] = {}
    for code, value in values.items():
        if code not in custom:
            body[code] = value
        elif spec.custom_fields_nested:
            nested[code] = value
        else:
            body.update(scatter_v1(code, value))
    if nested:
        body["custom_fields"] = nested
    return body


def current_value(spec: ObjectSpec, fields: FieldSet, record: Mapping[str, Any], code: str) -> Any:
    """The record's value of field ``code`` in the canonical shape the converter produces."""
    target = fields.by_code(code)
    custom = target is not None and target.is_custom
    if custom and spec.custom_fields_nested:
        raw = (record.get("custom_fields") or {}).get(code)
    else:
        raw = record.get(code)
    if custom and not spec.custom_fields_nested and target is not None:
        raw = _unflatten(record, code, target.field_type)
    return _canonical(raw, target.field_type if target else "")


def _unflatten(record: Mapping[str, Any], code: str, field_type: str) -> Any:
    raw = record.get(code)
    if field_type == "monetary":
        return {"value": raw, "currency": record.get(f"{code}_currency")}
    if field_type in ("daterange", "timerange"):
        return {"value": raw, "until": record.get(f"{code}_until")}
    if field_type == "set" and isinstance(raw, str):
        return [part for part in raw.split(",") if part]
    return raw


def _canonical(raw: Any, field_type: str) -> Any:
    if isinstance(raw, dict) and field_type in ("user", "org", "people", "deal", "enum"):
        return raw.get("value", raw.get("id"))  # v1 expands relations into objects
    if field_type == "set" and isinstance(raw, list):
        return [item.get("id") if isinstance(item, dict) else item for item in raw]
    if field_type == "set" and isinstance(raw, str):
        return [part for part in raw.split(",") if part]
    return raw


def same(new: Any, old: Any) -> bool:
    """True when sending ``new`` would not change a field whose value is ``old``."""
    if new is None or new == "":
        return old is None or old == "" or old == []
    if isinstance(old, dict) and not isinstance(new, dict) and ("value" in old or "id" in old):
        old = old.get("value", old.get("id"))  # v1 expands relations into objects
    if isinstance(new, bool) or isinstance(old, bool):
        return bool(new) == bool(old) and old is not None
    if isinstance(new, (int, float)):
        return _same_number(new, old)
    if isinstance(new, list):
        return _same_list(new, old)
    if isinstance(new, dict):
        if not isinstance(old, dict):
            return False
        return all(same(value, old.get(key)) for key, value in new.items() if value is not None)
    if isinstance(new, str):
        return _same_text(new, old)
    return bool(new == old)


def _same_number(new: float, old: Any) -> bool:
    try:
        return old is not None and abs(float(old) - float(new)) < 1e-9
    except (TypeError, ValueError):
        return False


def _same_text(new: str, old: Any) -> bool:
    if isinstance(old, (int, float)) and not isinstance(old, bool):
        return _same_number(float(new), old) if _is_number(new) else False
    if not isinstance(old, str):
        return False
    if len(new) == 10 and new[4:5] == "-" and old[:10] == new:
        return True  # a date against a timestamp of that day
    return new.strip() == old.strip()


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def _same_list(new: list[Any], old: Any) -> bool:
    if not isinstance(old, list):
        return False
    if new and isinstance(new[0], dict) and "value" in new[0]:
        return not missing_entries(new, old)
    return sorted(map(str, new)) == sorted(map(str, old))


def _is_contacts(value: Any) -> bool:
    """Emails/phones (``{value, primary, label}`` lists), not other lists of objects."""
    return (
        isinstance(value, list)
        and bool(value)
        and isinstance(value[0], dict)
        and "value" in value[0]
    )


def missing_entries(new: list[dict[str, Any]], old: list[Any]) -> list[dict[str, Any]]:
    """Emails/phones in ``new`` that the record does not have yet (case-insensitive)."""
    have = {str(o.get("value", "")).strip().lower() for o in old if isinstance(o, dict)}
    return [n for n in new if str(n.get("value", "")).strip().lower() not in have]


def diff(
    spec: ObjectSpec, fields: FieldSet, values: Mapping[str, Any], record: Mapping[str, Any]
) -> tuple[dict[str, Any], list[Change]]:
    """The values that differ from ``record`` (ready for :func:`api_body`) and the changes.

    Emails and phones are added to the record's list, never removed: a row naming one
    address of a person who has two does not delete the other.
    """
    names = {f.code: f.name for f in fields.fields}
    changed: dict[str, Any] = {}
    changes: list[Change] = []
    for code, new in values.items():
        old = current_value(spec, fields, record, code)
        if same(new, old):
            continue
        if _is_contacts(new) and isinstance(old, list):
            new = [*old, *missing_entries(new, old)]
        changed[code] = new
        changes.append(Change(code, names.get(code, code), old, new))
    return changed, changes
