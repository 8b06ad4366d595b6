"""Typed write values: each kind checks a value and returns it in its stored form.

Every write route declares its fields' kinds (``{"add_time": "time", ...}``) and
:func:`pdsync.emulator.resources.common.check_body` runs them, so what reaches the
store always has the shape the renderers expect: times become epoch floats whatever
format they came in (RFC 3339, ``YYYY-MM-DD HH:MM:SS`` or a plain date, midnight UTC),
contact lists become ``{value, primary, label}`` items, and a value of the wrong shape
is a 400 instead of a record that would break every later page of a list.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from pdsync.emulator.timefmt import parse_time


class BadValue(ValueError):
    """A value of the wrong shape; the message completes "The 'x' field ..."."""


Kind = Callable[[Any], Any]
FieldKinds = dict[str, "str | Kind"]  # a route's writable fields and their kinds
_NAMES = {"str": "string", "int": "integer", "num": "number", "bool": "boolean",
          "list": "array", "obj": "object"}  # fmt: skip
_PYTHON = {"str": (str,), "int": (int,), "num": (int, float), "bool": (bool,),
           "list": (list,), "obj": (dict,)}  # fmt: skip
ADDRESS_KEYS = ("value", "country", "admin_area_level_1", "admin_area_level_2", "locality",
                "sublocality", "route", "street_number", "subpremise", "postal_code",
                "formatted_address")  # fmt: skip


def _plain(kind: str) -> Kind:
    types = _PYTHON[kind]

    def check(value: Any) -> Any:
        # bool is an int in Python, not in JSON Schema: v2 does not coerce between them.
        if not isinstance(value, types) or (kind in ("int", "num") and isinstance(value, bool)):
            raise BadValue(f"must be of type {_NAMES[kind]}")
        return value

    return check


def _date(value: Any) -> str:
    if isinstance(value, str) and len(value) == 10:
        try:
            return date.fromisoformat(value).isoformat()
        except ValueError:
            pass
    raise BadValue("must be of type date (YYYY-MM-DD)")


def _time(value: Any) -> float:
    """A date-time in any of the API's formats, stored as the canonical epoch float."""
    if isinstance(value, str):
        try:
            return parse_time(value)
        except ValueError:
            pass
    raise BadValue("must be a date-time (YYYY-MM-DD HH:MM:SS, RFC 3339 or YYYY-MM-DD)")


def _items(value: Any, what: str) -> list[dict[str, Any]]:
    if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
        raise BadValue(f"must be an array of {what} objects")
    return value


def _typed(item: dict[str, Any], key: str, kind: str, default: Any = None) -> Any:
    value = item.get(key)
    if value is None:
        return default
    try:
        return _plain(kind)(value)
    except BadValue:
        raise BadValue(f"item key '{key}' must be of type {_NAMES[kind]}") from None


def _ids(value: Any) -> list[int]:
    if not isinstance(value, list) or any(
        not isinstance(v, int) or isinstance(v, bool) for v in value
    ):
        raise BadValue("must be an array of integer ids")
    return value


def _contacts(value: Any) -> list[dict[str, Any]]:
    """Emails/phones: ``value`` required; label defaults to ``work``; the first item is
    primary when none is flagged (as Pipedrive stores them)."""
    items = _items(value, "{value, primary, label}")
    out = []
    for item in items:
        text = _typed(item, "value", "str")
        if text is None:
            raise BadValue("items need a 'value' string")
        out.append({"value": text, "primary": _typed(item, "primary", "bool", False),
                    "label": _typed(item, "label", "str", "work")})  # fmt: skip
    if out and not any(item["primary"] for item in out):
        out[0]["primary"] = True
    return out


def _participants(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in _items(value, "{person_id, primary}"):
        person = _typed(item, "person_id", "int")
        if person is None:
            raise BadValue("items need an integer 'person_id'")
        out.append({"person_id": person, "primary": _typed(item, "primary", "bool", False)})
    return out


def _attendees(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in _items(value, "attendee"):
        attendee = {"email": _typed(item, "email", "str"), "name": _typed(item, "name", "str"),
                    "status": _typed(item, "status", "str"),
                    "is_organizer": _typed(item, "is_organizer", "bool", False),
                    "person_id": _typed(item, "person_id", "int"),
                    "user_id": _typed(item, "user_id", "int")}  # fmt: skip
        if (
            attendee["email"] is None
            and attendee["person_id"] is None
            and attendee["user_id"] is None
        ):
            raise BadValue("items need an 'email', a 'person_id' or a 'user_id'")
        out.append(attendee)
    return out


def _prices(value: Any) -> list[dict[str, Any]]:
    out = []
    for item in _items(value, "{currency, price, cost, direct_cost}"):
        currency, price = _typed(item, "currency", "str"), _typed(item, "price", "num")
        if currency is None or price is None:
            raise BadValue("items need a 'currency' string and a 'price' number")
        out.append({"price": price, "currency": currency, "cost": _typed(item, "cost", "num", 0),
                    "direct_cost": _typed(item, "direct_cost", "num", 0),
                    "notes": _typed(item, "notes", "str", "")})  # fmt: skip
    return out


def _address(value: Any) -> dict[str, Any]:
    """An address or location object: string parts only (unknown keys dropped)."""
    if not isinstance(value, dict):
        raise BadValue("must be an object with string parts such as 'value'")
    return {key: _typed(value, key, "str") for key in ADDRESS_KEYS}


def one_of(*choices: str) -> Kind:
    """A kind for a string enum (a field whose spec lists its values)."""

    def check(value: Any) -> Any:
        if value not in choices:
            raise BadValue(f"must be one of: {', '.join(choices)}")
        return value

    return check


def _visible_to(value: Any) -> int:
    if isinstance(value, int) and not isinstance(value, bool) and value in (1, 3, 5, 7):
        return value
    raise BadValue("must be one of: 1, 3, 5, 7")


def _flag(value: Any) -> bool:
    """v1's booleans: ``true``/``false`` or the ``0``/``1`` its spec lists; stored as bool."""
    if isinstance(value, bool) or value in (0, 1):
        return bool(value)
    raise BadValue("must be a boolean (true/false or 0/1)")


def _category(value: Any) -> str:
    """A product category: written as a number (request schema), served as a string."""
    if isinstance(value, (int, float)) and not isinstance(value, bool) and value == int(value):
        return str(int(value))
    raise BadValue("must be a category id (number)")


BILLING_FREQUENCIES = ("one-time", "annually", "semi-annually", "quarterly", "monthly", "weekly")


def _color(value: Any) -> str:
    if (
        isinstance(value, str)
        and len(value) == 6
        and all(c in "0123456789abcdefABCDEF" for c in value)
    ):
        return value.upper()
    raise BadValue("must be a 6-character HEX color such as FFFFFF")


KINDS: dict[str, Kind] = {
    **{name: _plain(name) for name in _PYTHON},
    "date": _date, "time": _time, "ids": _ids, "contacts": _contacts,
    "participants": _participants, "attendees": _attendees, "prices": _prices,
    "address": _address, "color": _color, "visible_to": _visible_to, "flag": _flag,
    "billing_frequency": one_of(*BILLING_FREQUENCIES), "category": _category,
}  # fmt: skip


# Kinds stored as arrays: ``null`` clears them to ``[]`` (renderers iterate them).
LIST_KINDS = frozenset({"ids", "contacts", "participants", "attendees", "prices"})


def convert(kind: str | Kind, value: Any) -> Any:
    """``value`` in its stored form; BadValue when it has the wrong shape. None clears.
    ``kind`` is a name from :data:`KINDS` or a kind itself (:func:`one_of`)."""
    if value is None:
        return [] if kind in LIST_KINDS else None
    return kind(value) if callable(kind) else KINDS[kind](value)
