"""Value coercion to a column's logical type: the hot path of every sync.

Pipedrive's v1 and v2 disagree on shapes (``"1"`` vs ``1``, ``0/1`` vs booleans,
``YYYY-MM-DD HH:MM:SS`` vs RFC 3339, ``{"id": 3, "name": …}`` vs ``3``). Each
function here accepts all of them and returns the one shape the row vocabulary of
:mod:`pdsync.schema` promises. Common shapes are checked first, cheaply.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from datetime import datetime, timezone
from typing import Any

from pdsync.errors import SchemaError
from pdsync.schema import LogicalType

Coercer = Callable[[Any], Any]

_TRUE = frozenset({"true", "1", "yes", "y", "t"})
_FALSE = frozenset({"false", "0", "no", "n", "f", ""})


def _mismatch(value: Any, wanted: str) -> SchemaError:
    shown = repr(value)
    shown = shown if len(shown) <= 60 else shown[:57] + "..."
    return SchemaError(
        f"Cannot read {shown} as {wanted}.",
        hint="Pipedrive sent a value of another type than its schema says; please report it "
        "to pdsync with the stream and field name.",
    )


def to_int(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is int:
        return value
    if kind is bool:
        return int(value)
    if kind is float:
        return int(value) if value.is_integer() else value
    if kind is str:
        text = value.strip()
        if not text:
            return None
        try:
            return int(text)
        except ValueError:
            try:
                return to_int(float(text))
            except ValueError:
                raise _mismatch(value, "an integer") from None
    if kind is dict:  # v1 expands references: {"id": 3, "name": ...} or {"value": 3, ...}
        return to_int(value.get("id", value.get("value")))
    raise _mismatch(value, "an integer")


def to_real(value: Any) -> Any:
    kind = type(value)
    if value is None or kind is float:
        return value
    if kind is int or kind is bool:
        return float(value)
    if kind is str:
        text = value.strip()
        if not text:
            return None
        try:
            return float(text)
        except ValueError:
            raise _mismatch(value, "a number") from None
    if kind is dict:
        return to_real(value.get("value", value.get("amount")))
    raise _mismatch(value, "a number")


def to_bool(value: Any) -> Any:
    if value is None or value is True or value is False:
        return value
    if isinstance(value, (int, float)):
        return value != 0
    if isinstance(value, str):
        text = value.strip().lower()
        if text in _TRUE:
            return True
        if text in _FALSE:
            return False
    raise _mismatch(value, "a boolean")


def to_text(value: Any) -> Any:
    if value is None or type(value) is str:
        return value
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False, sort_keys=True)
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def to_timestamp(value: Any) -> Any:
    """A UTC instant as ``YYYY-MM-DDTHH:MM:SSZ`` (v1's space-separated times are UTC)."""
    if type(value) is str:
        size = len(value)
        if size == 20 and value[10] == "T" and value[19] == "Z":
            return value
        if size == 19 and value[10] == " ":
            return f"{value[:10]}T{value[11:]}Z"
        if size == 24 and value[19] == "." and value[23] == "Z":
            return value[:19] + "Z"
        return _parse_timestamp(value)
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        moment = datetime.fromtimestamp(value, tz=timezone.utc)
        return moment.strftime("%Y-%m-%dT%H:%M:%SZ")
    raise _mismatch(value, "a timestamp")


def _parse_timestamp(value: str) -> Any:
    text = value.strip()
    if not text:
        return None
    if text.endswith(("Z", "z")):
        text = text[:-1] + "+00:00"
    try:
        moment = datetime.fromisoformat(text)
    except ValueError:
        raise _mismatch(value, "a timestamp") from None
    if moment.tzinfo is None:  # Pipedrive's naive times are UTC
        moment = moment.replace(tzinfo=timezone.utc)
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")


def to_date(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        return text[:10] if text else None
    raise _mismatch(value, "a date")


def to_time(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        return text + ":00" if len(text) == 5 else text[:8]
    if isinstance(value, dict):  # v2 time fields: {"value": "09:00:00", "timezone_id": …}
        return to_time(value.get("value"))
    raise _mismatch(value, "a time")


def to_json(value: Any) -> Any:
    return value


COERCERS: dict[LogicalType, Coercer] = {
    "integer": to_int,
    "real": to_real,
    "text": to_text,
    "boolean": to_bool,
    "timestamp": to_timestamp,
    "date": to_date,
    "time": to_time,
    "json": to_json,
}
