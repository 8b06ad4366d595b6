"""Compiled converters between one field's API value and its columns.

Built once per field and sync (options resolved, coercers picked), then called for
every record: ``read`` turns the value of ``custom_fields[key]`` into column values,
``write`` turns readable column values back into what the v2 API accepts.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from typing import Any

from pdsync.catalog.coerce import COERCERS, to_int
from pdsync.catalog.fieldtypes import Layout, Part
from pdsync.errors import SchemaError

Reader = Callable[[Any, dict[str, Any]], None]


def compile_reader(layout: Layout, base: str, options: Mapping[int, str]) -> Reader:
    """A function writing ``value``'s columns into a row dict."""
    if layout.kind == "enum":
        return _enum_reader(base, options)
    if layout.kind == "set":
        return _set_reader(base, options)
    if layout.kind == "object":
        return _object_reader(layout.parts, base)
    part = layout.parts[0]
    column = base + part.suffix
    if layout.kind == "unknown" or part.type == "json":

        def read_raw(value: Any, row: dict[str, Any]) -> None:
            row[column] = value

        return read_raw
    coerce = COERCERS[part.type]

    def read_scalar(value: Any, row: dict[str, Any]) -> None:
        if type(value) is dict:  # webhook / v1 wrappers: {"value": …} or {"id": …}
            value = value.get("value", value.get("id"))
        row[column] = coerce(value)

    return read_scalar


def _object_reader(parts: tuple[Part, ...], base: str) -> Reader:
    plan = [(base + p.suffix, p.subkey or "value", COERCERS[p.type]) for p in parts]
    first_column, _, first_coerce = plan[0]

    def read_object(value: Any, row: dict[str, Any]) -> None:
        if type(value) is dict:
            for column, subkey, coerce in plan:
                item = value.get(subkey)
                if item is None and subkey == "value":  # webhook ranges use "from"
                    item = value.get("from")
                row[column] = coerce(item)
            return
        for column, _, _ in plan:
            row[column] = None
        row[first_column] = first_coerce(value)

    return read_object


def _option_ids(value: Any) -> list[Any]:
    if value is None or value == "":
        return []
    if isinstance(value, str):  # v1: "12,15"
        return [to_int(item) for item in value.split(",") if item.strip()]
    if isinstance(value, dict):  # webhook v2: {"values": [{"id": 12}]}
        return _option_ids(value.get("values", []))
    if isinstance(value, list):
        return [to_int(item) for item in value]
    return [to_int(value)]


def _enum_reader(base: str, options: Mapping[int, str]) -> Reader:
    id_column = base + "_id"

    def read_enum(value: Any, row: dict[str, Any]) -> None:
        option = to_int(value)
        label = options.get(option) if option is not None else None
        if label is None and type(value) is dict:  # include_option_labels=true
            label = value.get("label")
        row[base] = label
        row[id_column] = option

    return read_enum


def _set_reader(base: str, options: Mapping[int, str]) -> Reader:
    ids_column = base + "_ids"

    def read_set(value: Any, row: dict[str, Any]) -> None:
        ids = _option_ids(value)
        row[base] = [options.get(i) for i in ids] if ids else None
        row[ids_column] = ids or None

    return read_set


def gather_v1(layout: Layout, key: str, record: Mapping[str, Any]) -> Any:
    """The v2-shaped value of a field found flat on a v1 record (``<key>_currency`` …)."""
    if layout.kind != "object":
        return record.get(key)
    value = {
        part.subkey or "value": record.get(key if part.suffix == "" else f"{key}{part.suffix}")
        for part in layout.parts
    }
    return value if any(v is not None for v in value.values()) else None


def scatter_v1(key: str, value: Any) -> dict[str, Any]:
    """A v2-shaped custom value as v1 writes it, flat on the record: the inverse of
    :func:`gather_v1` (``{value, currency}`` → ``key``, ``key_currency``; sets → ``"1,2"``)."""
    if isinstance(value, dict) and "currency" in value:
        return {key: value.get("value"), f"{key}_currency": value["currency"]}
    if isinstance(value, dict) and "until" in value:
        return {key: value.get("value"), f"{key}_until": value["until"]}
    if isinstance(value, dict) and "value" in value:
        return {key: value["value"]}
    if isinstance(value, list):
        return {key: ",".join(str(item) for item in value)}
    return {key: value}


def write_value(
    layout: Layout, base: str, options: Mapping[int, str], values: Mapping[str, Any]
) -> Any:
    """The v2 API value of a field from its readable columns present in ``values``."""
    if layout.kind == "enum":
        if base + "_id" in values:
            return to_int(values[base + "_id"])
        label = values[base]
        return None if label is None else option_id(options, label, base)
    if layout.kind == "set":
        if base + "_ids" in values:
            return _option_ids(values[base + "_ids"]) or None
        labels = values[base]
        return None if labels is None else option_ids(options, labels, base) or None
    if layout.kind == "object":
        obj = {
            p.subkey or "value": values[base + p.suffix]
            for p in layout.parts
            if base + p.suffix in values
        }
        inner = obj.get("value")
        return inner if len(obj) == 1 and isinstance(inner, dict) else obj
    return values[base + layout.parts[0].suffix]


def split_list(value: Any) -> list[str]:
    """Several values in one cell: a list, a JSON list, or text separated by ``;``, ``|`` or ``,``.

    The first separator found wins, so ``"Gold; Silver, plated"`` is two values.
    """
    if isinstance(value, (list, tuple)):
        return [str(v).strip() for v in value if str(v).strip()]
    text = str(value).strip()
    if text.startswith("["):
        try:
            parsed = json.loads(text)
        except json.JSONDecodeError:
            parsed = None
        if isinstance(parsed, list):
            return [str(v).strip() for v in parsed if str(v).strip()]
    for separator in (";", "|", ","):
        if separator in text:
            return [part.strip() for part in text.split(separator) if part.strip()]
    return [text] if text else []


def match_option(options: Mapping[int, str], value: Any) -> int | None:
    """The option id ``value`` names: an id, a label (exact, then any case), or an id as text."""
    if isinstance(value, int) and not isinstance(value, bool) and value in options:
        return value
    text = str(value).strip()
    for option_id, label in options.items():
        if label == text:
            return option_id
    folded = text.casefold()
    for option_id, label in options.items():
        if label.strip().casefold() == folded:
            return option_id
    if text.lstrip("-").isdigit() and int(text) in options:
        return int(text)
    return None


def option_id(options: Mapping[int, str], value: Any, field_name: str) -> int:
    """An enum label (any case) or option id → the option id; SchemaError listing the labels."""
    found = match_option(options, value)
    if found is None:
        allowed = ", ".join(options.values()) or "(the field has no options)"
        raise SchemaError(
            f"unknown option {str(value).strip()!r} for {field_name!r}; allowed: {allowed}",
            hint=f"Use one of: {', '.join(repr(v) for v in options.values()) or '(no options)'}.",
        )
    return found


def option_ids(options: Mapping[int, str], value: Any, field_name: str) -> list[int]:
    """Set labels (a list, or one cell split by :func:`split_list`) → unique option ids.

    A label that itself contains a separator (``"Silver, plated"``) is matched whole first.
    """
    if not isinstance(value, (list, tuple)):
        whole = match_option(options, value)
        if whole is not None:
            return [whole]
    ids = [option_id(options, part, field_name) for part in split_list(value)]
    return list(dict.fromkeys(ids))
