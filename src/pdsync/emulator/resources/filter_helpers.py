"""What ``GET /v1/filters/helpers`` lists: the operators of each field type, relative dates
and address parts; filter conditions are checked against the same tables."""

from __future__ import annotations

from typing import Any

from pdsync.emulator.fields import ADDRESS_PARTS

_COMPARE = {"=": "is", "!=": "is not", ">": "is more than", "<": "is less than",
            ">=": "is more or equal to", "<=": "is less or equal to"}  # fmt: skip
_EMPTY = {"IS NULL": "is empty", "IS NOT NULL": "is not empty"}
_IS = {"=": "is", "!=": "is not"}
_DATES = {"=": "is", "!=": "is not", ">": "is later than", "<": "is earlier than",
          ">=": "is exactly or later than", "<=": "is exactly or earlier than"}  # fmt: skip
_TIMES = {"=": "is", "!=": "is not", "<": "is before", ">": "is after",
          ">=": "is exactly or after than", "<=": "is exactly or before than"}  # fmt: skip
_RANGES = {
    "=": "starts at", "!=": "does not start at", "ends_at": "ends at",
    "does_not_end_at": "does not end at", "<": "starts before", "<=": "starts exactly on or before",
    "ends_before": "ends before", "ends_e_before": "ends exactly on or before", ">": "starts after",
    "ends_after": "ends after", ">=": "starts exactly or after", "ends_e_after": "ends exactly or after",
    "includes": "does include", **_EMPTY,
}  # fmt: skip
_TEXT = {**_IS, **_EMPTY, "LIKE '%$%'": "contains", "LIKE '$%'": "starts with",
         "NOT LIKE '$%'": "does not start with"}  # fmt: skip

OPERATORS: dict[str, Any] = {
    "int": {**_COMPARE, **_EMPTY},
    "double": {**_COMPARE, **_EMPTY},
    "monetary": {**_COMPARE, **_EMPTY},
    "time": {**_TIMES, **_EMPTY},
    "date": {**_DATES, **_EMPTY},
    "entered_stage": dict(_DATES),
    "timerange": dict(_RANGES),
    "daterange": dict(_RANGES),
    "varchar": dict(_TEXT),
    "stage": {**_IS, "has_been": "has been"},
    "title": {
        "=": "is",
        "LIKE '$%'": "starts with",
        "LIKE '%$%'": "contains",
        "NOT LIKE '$%'": "does not start with",
    },
    "set": {**_IS, "contains": "contains", "not_contains": "does not contain", **_EMPTY},
    "enum": [{k: v} for k, v in {**_IS, **_EMPTY}.items()],
    "deal": {**_IS, **_EMPTY},
    "product": {**_IS, **_EMPTY},
    "user": {**_IS, "belongs_to_team": "belongs to team"},
    "status": dict(_IS),
    "visible_to": dict(_IS),
    "currency": dict(_IS),
    "pipeline": dict(_IS),
    "person": {**_IS, **_EMPTY},
    "organization": {**_IS, **_EMPTY},
}
DEPRECATED_OPERATORS = {"NOT LIKE '%$%'": "does not contain", "LIKE '%$'": "ends with",
                        "NOT LIKE '%$'": "does not end with"}  # fmt: skip
_AGO = {f"{n}_months_ago": f"{n} month{'s' if n > 1 else ''} ago" for n in range(6, 0, -1)}
_WEEKS_AGO = {f"{n}_week{'s' if n > 1 else ''}_ago": f"{n} week{'s' if n > 1 else ''} ago"
              for n in (3, 2, 1)}  # fmt: skip
_AHEAD_WEEKS = {f"in_{n}_week{'s' if n > 1 else ''}": f"in {n} week{'s' if n > 1 else ''}"
                for n in (1, 2, 3)}  # fmt: skip
_AHEAD_MONTHS = {f"in_{n}_month{'s' if n > 1 else ''}": f"in {n} month{'s' if n > 1 else ''}"
                 for n in range(1, 7)}  # fmt: skip
RELATIVE_DATES = {
    "Relative date intervals": {
        "last_quarter": "last quarter", "this_quarter": "this quarter", "last_month": "last month",
        "this_month": "this month", "last_week": "last week", "this_week": "this week",
        "next_week": "next week", "next_month": "next month",
    },
    "Relative dates": {
        **_AGO, **_WEEKS_AGO, "yesterday": "yesterday", "before_today": "before today",
        "today": "today", "now": "now", "later_or_today": "today or later",
        "before_tomorrow": "before tomorrow", "tomorrow": "tomorrow",
        "later_or_tomorrow": "tomorrow or later", **_AHEAD_WEEKS, **_AHEAD_MONTHS,
    },
    "Deal specific": {"rotten_time": "Rotten time"},
}  # fmt: skip
ADDRESS_COMPONENTS = dict(zip(ADDRESS_PARTS, (
    "Apartment/suite no", "House number", "Street/road name", "District/sublocality",
    "City/town/village/locality", "State/county", "Region", "Country", "ZIP/Postal code",
    "Full/combined address",
), strict=True))  # fmt: skip


def known_operators() -> frozenset[str]:
    """Every operator a condition may use (current and deprecated)."""
    found: set[str] = set(DEPRECATED_OPERATORS)
    for ops in OPERATORS.values():
        for entry in ops if isinstance(ops, list) else [ops]:
            found.update(entry)
    return frozenset(found)


def helpers() -> dict[str, Any]:
    return {"operators": OPERATORS, "deprecated_operators": DEPRECATED_OPERATORS,
            "relative_dates": RELATIVE_DATES, "address_field_components": ADDRESS_COMPONENTS}  # fmt: skip
