"""Compiled converters between one field's API value and its columns.

Built once per field and sync (options resolved, coercers picked), then called for
every record: ``read`` turns the value of ``custom_fields[key]`` into column values,
``write`` turns readable column values back into what the v2 API accepts.
"""

from __future__ import annotations

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


def write_value(
    layout: Layout, base: str, options: Mapping[int, str], values: Mapping[str, Any]
) -> Any:
    """The v2 API value of a field from its readable columns present in ``values``."""
    if layout.kind == "enum":
        if base + "_id" in values:
            return to_int(values[base + "_id"])
        return _option_id(options, values[base], base)
    if layout.kind == "set":
        if base + "_ids" in values:
            return _option_ids(values[base + "_ids"]) or None
        labels = values[base]
        if isinstance(labels, str):
            labels = [item.strip() for item in labels.split(",") if item.strip()]
        return [_option_id(options, label, base) for label in labels or []] or None
    if layout.kind == "object":
        obj = {
            p.subkey or "value": values[base + p.suffix]
            for p in layout.parts
            if base + p.suffix in values
        }
        inner = obj.get("value")
        return inner if len(obj) == 1 and isinstance(inner, dict) else obj
    return values[base + layout.parts[0].suffix]


def _option_id(options: Mapping[int, str], label: Any, column: str) -> int | None:
    if label is None:
        return None
    if isinstance(label, int) and label in options:
        return label
    text = str(label)
    for option_id, option_label in options.items():
        if option_label == text:
            return option_id
    folded = text.casefold()
    for option_id, option_label in options.items():
        if option_label.casefold() == folded:
            return option_id
    if text.isdigit() and int(text) in options:
        return int(text)
    raise SchemaError(
        f"{text!r} is not an option of {column!r}.",
        hint=f"Use one of: {', '.join(repr(v) for v in options.values()) or '(no options)'}.",
    )
