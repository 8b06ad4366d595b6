"""Turning row values into what a SQL driver binds, fast.

Rows arrive as dicts keyed by column name with Python values. SQL destinations store
booleans as 0/1 (SQLite) or BOOLEAN, JSON as text, timestamps as ISO text. Encoding is on
the hot path (tens of thousands of rows a second), so each column gets its converter
once, and a row becomes a tuple in a single comprehension.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime, time, timezone
from typing import Any

from pdsync.schema import Column, LogicalType

__all__ = ["Converter", "converter_for", "encode_json", "make_row_encoder", "sqlite_type"]

Converter = Callable[[Any], Any]

_SQLITE_TYPES: dict[LogicalType, str] = {
    "integer": "INTEGER",
    "real": "REAL",
    "text": "TEXT",
    "boolean": "INTEGER",
    "timestamp": "TEXT",
    "date": "TEXT",
    "time": "TEXT",
    "json": "TEXT",
}


def sqlite_type(logical: LogicalType) -> str:
    """The declared SQLite type of a logical type (booleans 0/1, JSON and instants as text)."""
    return _SQLITE_TYPES[logical]


def encode_json(value: Any) -> str | None:
    if value is None:
        return None
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"), default=str)


def _plain(value: Any) -> Any:
    # Nested data in a scalar column is kept as JSON text rather than failing the batch.
    if isinstance(value, (dict, list, tuple)):
        return encode_json(value)
    return value


def _boolean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return 1 if value.strip().lower() in ("1", "true", "yes", "y", "on") else 0
    return 1 if value else 0


def _instant(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    return _plain(value)


def _date_or_time(value: Any) -> Any:
    if isinstance(value, (date, time)):
        return value.isoformat()
    return _plain(value)


_CONVERTERS: dict[LogicalType, Converter] = {
    "integer": _plain,
    "real": _plain,
    "text": _plain,
    "boolean": _boolean,
    "timestamp": _instant,
    "date": _date_or_time,
    "time": _date_or_time,
    "json": encode_json,
}


def converter_for(logical: LogicalType) -> Converter:
    """The function turning one value of ``logical`` type into what a driver binds."""
    return _CONVERTERS[logical]


def make_row_encoder(
    columns: Sequence[Column], constants: Mapping[str, Any] | None = None
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function turning a row dict into a tuple in ``columns`` order.

    ``constants`` gives a value for a column when the row lacks the key (e.g. the
    batch's ``_pdsync_synced_at``); any other missing key is NULL.
    """
    defaults = dict(constants or {})
    plan = [(c.name, _CONVERTERS[c.type], defaults.get(c.name)) for c in columns]

    def encode(row: Mapping[str, Any]) -> tuple[Any, ...]:
        get = row.get
        return tuple(convert(get(name, default)) for name, convert, default in plan)

    return encode
