"""Validation of v2 ``custom_fields`` write values against the account's field definitions."""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from pdsync.emulator.fields import ADDRESS_PARTS, FieldDef
from pdsync.emulator.resources.common import ApiProblem
from pdsync.emulator.resources.input_types import BadValue, convert

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

_STRING_TYPES = ("varchar", "varchar_auto", "text", "phone")
_REF_TYPES = {"user": "user", "org": "organization", "people": "person"}
_CLOCK = re.compile(r"([01]\d|2[0-3]):[0-5]\d(:[0-5]\d)?")


def check_custom_fields(store: Store, entity: str, values: Any) -> dict[str, Any]:
    """Validated values keyed by field code; ``null`` clears. 400 names the offending field_code."""
    if values is None:
        return {}
    if not isinstance(values, dict):
        raise ApiProblem(400, "The 'custom_fields' field must be of type object")
    by_key = {f.key: f for f in store.fields[entity] if f.is_custom and not f.is_deleted}
    clean: dict[str, Any] = {}
    for key, value in values.items():
        fdef = by_key.get(key)
        if fdef is None:
            raise ApiProblem(400, f"Custom field '{key}' does not exist")
        clean[key] = None if value is None else _check(store, fdef, value)
    return clean


def _bad(fdef: FieldDef, expected: str) -> ApiProblem:
    return ApiProblem(
        400, f"Invalid value for custom field '{fdef.key}' ({fdef.field_type}): expected {expected}"
    )


def _number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)


def _check(store: Store, fdef: FieldDef, value: Any) -> Any:
    t = fdef.field_type
    if t in _STRING_TYPES:
        if not isinstance(value, str):
            raise _bad(fdef, "a string")
        return value
    if t == "double":
        if not _number(value):
            raise _bad(fdef, "a number")
        return value
    if t == "date":
        return _converted(fdef, "date", value, "a date YYYY-MM-DD")
    if t in ("enum", "set"):
        return _check_options(fdef, value)
    if t in _REF_TYPES:
        if not isinstance(value, int) or isinstance(value, bool):
            raise _bad(fdef, "an integer id")
        return value
    return _check_object(fdef, value)


def _converted(fdef: FieldDef, kind: str, value: Any, expected: str) -> Any:
    try:
        return convert(kind, value)
    except BadValue:
        raise _bad(fdef, expected) from None


def _option(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _check_options(fdef: FieldDef, value: Any) -> Any:
    ids = {o["id"] for o in fdef.options or []}
    if fdef.field_type == "enum":
        if not _option(value) or value not in ids:
            raise _bad(fdef, "one of the option ids")
        return value
    if not isinstance(value, list) or any(not _option(v) or v not in ids for v in value):
        raise _bad(fdef, "an array of option ids")
    return sorted(set(value))


def _clock(fdef: FieldDef, value: Any) -> Any:
    if value is None or (isinstance(value, str) and _CLOCK.fullmatch(value)):
        return value
    raise _bad(fdef, "times as HH:MM or HH:MM:SS")


def _check_object(fdef: FieldDef, value: Any) -> Any:
    t = fdef.field_type
    if not isinstance(value, dict) or "value" not in value:
        raise _bad(fdef, "an object with 'value'")
    if t == "monetary":
        currency = value.get("currency") or "EUR"
        if not _number(value["value"]) or not isinstance(currency, str):
            raise _bad(fdef, "{value: number, currency: string}")
        return {"value": value["value"], "currency": currency}
    if t == "daterange":
        dates = [_converted(fdef, "date", value.get(k), "{value: date, until: date}")
                 for k in ("value", "until")]  # fmt: skip
        return {"value": dates[0], "until": dates[1]}
    if t in ("time", "timerange"):
        zone_id, zone_name = value.get("timezone_id"), value.get("timezone_name")
        if not (zone_id is None or _option(zone_id)) or not isinstance(
            zone_name, (str, type(None))
        ):
            raise _bad(fdef, "timezone_id as an integer and timezone_name as a string")
        out = {"value": _clock(fdef, value["value"]), "timezone_id": zone_id,
               "timezone_name": zone_name}  # fmt: skip
        if t == "timerange":
            out["until"] = _clock(fdef, value.get("until"))
        return out
    # address: only value is required; omitted parts become null.
    parts = {p: value.get(p) for p in ("value", *ADDRESS_PARTS)}
    if not all(isinstance(v, (str, type(None))) for v in parts.values()):
        raise _bad(fdef, "an address with string parts")
    return parts


def flat_v1_custom_fields(store: Store, entity: str, data: dict[str, Any]) -> dict[str, Any]:
    """v1's flat custom values (``<key>``, ``<key>_currency``, ``<key>_until``, address parts)
    → validated v2 values. Leads use this with ``entity="deal"``: they have no fields of their own
    (fact sheet §6). v1 is lenient, so option ids may come as text and sets as ``"1,2"``."""
    values: dict[str, Any] = {}
    for fdef in store.fields[entity]:
        if fdef.is_custom and not fdef.is_deleted and fdef.key in data:
            values[fdef.key] = _from_flat(fdef, data)
    return check_custom_fields(store, entity, values)


def _from_flat(fdef: FieldDef, data: dict[str, Any]) -> Any:
    key, t = fdef.key, fdef.field_type
    value = data[key]
    if value is None:
        return None
    if t == "monetary":
        return {"value": value, "currency": data.get(f"{key}_currency")}
    if t in ("daterange", "timerange"):
        return {"value": value, "until": data.get(f"{key}_until")}
    if t == "time":
        return {"value": value}
    if t == "address":
        return {"value": value, **{p: data.get(f"{key}_{p}") for p in ADDRESS_PARTS}}
    if t == "enum":
        return _option_id(value)
    if t == "set":
        items = value.split(",") if isinstance(value, str) else value
        return [_option_id(v) for v in items] if isinstance(items, list) else items
    return value


def _option_id(value: Any) -> Any:
    text = str(value).strip()
    return int(text) if text.isdigit() else value
