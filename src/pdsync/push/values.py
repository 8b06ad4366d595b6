"""Pure conversions of one input cell to the value Pipedrive expects, by field type.

Every function takes what a person writes in a spreadsheet (``"1 200,50 EUR"``,
``"31.12.2024"``, ``"yes"``, ``"Gold; Silver"``) and returns the API value, or raises
:class:`RowError` with a message that says what was wrong and what is allowed.
Option labels and multi-value cells are read by the catalog's own functions
(:mod:`pdsync.catalog.fieldvalues`), which sync's ``from_names`` and events use too.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pdsync.catalog.fieldvalues import option_id, option_ids, split_list
from pdsync.errors import SchemaError

DateOrder = Literal["dmy", "mdy"]


class RowError(Exception):
    """One input row cannot be pushed; the message goes to the plan and the report."""


_TRUE = {"true", "t", "yes", "y", "1", "on", "x", "✓"}
_FALSE = {"false", "f", "no", "n", "0", "off", ""}


def to_bool(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, (int, float)) and value in (0, 1):
        return bool(value)
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise RowError(f"{value!r} is not a boolean (use true/false, yes/no or 1/0)")


_NUMBER = re.compile(r"^[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?$")


def to_number(value: Any) -> float:
    """Numbers as written in most locales: ``1200``, ``1,200.50``, ``1.200,50``, ``1 200``."""
    if isinstance(value, bool):
        raise RowError(f"{value!r} is not a number")
    if isinstance(value, (int, float)):
        return float(value)
    text = str(value).strip().replace("\u00a0", "").replace(" ", "").replace("'", "")
    if "," in text and "." in text:
        # The later separator is the decimal one.
        if text.rfind(",") > text.rfind("."):
            text = text.replace(".", "").replace(",", ".")
        else:
            text = text.replace(",", "")
    elif text.count(",") == 1 and len(text.split(",")[1]) != 3:
        text = text.replace(",", ".")
    elif "," in text:
        text = text.replace(",", "")
    if not _NUMBER.match(text):
        raise RowError(f"{value!r} is not a number")
    return float(text)


def to_int(value: Any) -> int:
    number = to_number(value)
    if number != int(number):
        raise RowError(f"{value!r} is not a whole number")
    return int(number)


def number_out(number: float) -> int | float:
    """Whole numbers as int (``1200`` not ``1200.0``) so payloads read naturally."""
    return int(number) if number == int(number) and abs(number) < 2**53 else number


_MONEY = re.compile(r"^\s*([A-Za-z]{3})?\s*([-+0-9.,'\s\u00a0]+?)\s*([A-Za-z]{3})?\s*$")
_SYMBOLS = {"€": "EUR", "$": "USD", "£": "GBP", "¥": "JPY"}


def to_money(value: Any, currency: Any = None) -> tuple[int | float, str | None]:
    """``"1200 EUR"``, ``"EUR 1200"``, ``"€1,200"`` or a number plus a currency column."""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        amount, code = float(value), None
    else:
        text = str(value).strip()
        for symbol, iso in _SYMBOLS.items():
            if symbol in text:
                text = text.replace(symbol, "") + f" {iso}"
        match = _MONEY.match(text)
        if not match:
            raise RowError(f"{value!r} is not an amount (write it as 1200 or 1200 EUR)")
        amount = to_number(match.group(2))
        code = match.group(1) or match.group(3)
    if currency not in (None, ""):
        given = str(currency).strip().upper()
        if code and code.upper() != given:
            raise RowError(f"{value!r} says {code.upper()} but the currency column says {given}")
        code = given
    if code is not None and not re.fullmatch(r"[A-Za-z]{3}", code):
        raise RowError(f"{code!r} is not a currency code (use ISO 4217, e.g. EUR)")
    return number_out(amount), code.upper() if code else None


_MONTHS = {
    m: i + 1
    for i, names in enumerate(
        [
            ("jan", "january"),
            ("feb", "february"),
            ("mar", "march"),
            ("apr", "april"),
            ("may",),
            ("jun", "june"),
            ("jul", "july"),
            ("aug", "august"),
            ("sep", "sept", "september"),
            ("oct", "october"),
            ("nov", "november"),
            ("dec", "december"),
        ]
    )
    for m in names
}
_ISO = re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[T ].*)?$")
_NUMERIC = re.compile(r"^(\d{1,2})[-/.](\d{1,2})[-/.](\d{2,4})$")
_WORDS = re.compile(r"^(\d{1,2})?\s*([A-Za-z]+)\.?\s*(\d{1,2})?,?\s*(\d{4})$")


def to_date(value: Any, order: DateOrder | None = None) -> str:
    """A date in a common format as ``YYYY-MM-DD``.

    ``2024-12-31``, ``2024/12/31``, ``2024-12-31T10:00:00Z``, ``31.12.2024``,
    ``12/31/2024``, ``31 Dec 2024``, ``Dec 31, 2024``. ``01/02/2024`` is ambiguous and
    needs ``order`` (``dmy`` or ``mdy``) unless one part is above 12.
    """
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if m := _ISO.match(text):
            return _make_date(int(m[1]), int(m[2]), int(m[3]), value)
        if m := _NUMERIC.match(text):
            return _numeric_date(int(m[1]), int(m[2]), m[3], value, order, text)
        if m := _WORDS.match(text):
            month = _MONTHS.get(m[2].lower())
            day = m[1] or m[3]
            if month and day:
                return _make_date(int(m[4]), month, int(day), value)
    except ValueError:
        pass
    raise RowError(f"{value!r} is not a date (write it as YYYY-MM-DD)")


def _numeric_date(
    first: int, second: int, year_text: str, value: Any, order: DateOrder | None, text: str
) -> str:
    year = int(year_text) + (2000 if len(year_text) == 2 else 0)
    if "." in text:  # 31.12.2024 is day-first everywhere it is written with dots
        return _make_date(year, second, first, value)
    if order is None:
        if first > 12 >= second:
            order = "dmy"
        elif second > 12 >= first:
            order = "mdy"
        elif first == second:
            order = "dmy"
        else:
            raise RowError(
                f"{value!r} is ambiguous (day/month or month/day?); "
                "write YYYY-MM-DD or pass --date-order dmy|mdy"
            )
    day, month = (first, second) if order == "dmy" else (second, first)
    return _make_date(year, month, day, value)


def _make_date(year: int, month: int, day: int, value: Any) -> str:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        raise RowError(f"{value!r} is not a real date") from None


_TIME = re.compile(r"^(\d{1,2})(?::(\d{2}))?(?::(\d{2}))?\s*([ap]\.?m\.?)?$", re.IGNORECASE)


def to_time(value: Any) -> str:
    """``9:30``, ``09:30:00``, ``9pm`` as ``HH:MM:SS``."""
    text = str(value).strip()
    match = _TIME.match(text)
    if not match:
        raise RowError(f"{value!r} is not a time (write it as HH:MM)")
    hour, minute, second = int(match[1]), int(match[2] or 0), int(match[3] or 0)
    if match[4]:
        hour = hour % 12 + (12 if match[4].lower().startswith("p") else 0)
    if hour > 23 or minute > 59 or second > 59:
        raise RowError(f"{value!r} is not a time of day")
    return f"{hour:02d}:{minute:02d}:{second:02d}"


def to_range(value: Any, until: Any, convert: Any) -> tuple[str, str | None]:
    """``"2024-01-01..2024-02-01"`` (or ``/`` / `` - ``), or a start plus an ``_until`` column."""
    if until not in (None, ""):
        return convert(value), convert(until)
    text = str(value).strip()
    for separator in ("..", " - ", " to ", "/"):
        if separator in text and not (separator == "/" and _ISO.match(text)):
            start, _, end = text.partition(separator)
            if start.strip() and end.strip():
                return convert(start.strip()), convert(end.strip())
    return convert(text), None


Options = Mapping[int, str] | Sequence[tuple[int, str]]


def to_option(value: Any, options: Options, field_name: str) -> int:
    """An enum label (any case) or option id → the option id (the catalog's one matcher)."""
    try:
        return option_id(dict(options), value, field_name)
    except SchemaError as exc:
        raise RowError(exc.message) from None


def to_options(value: Any, options: Options, field_name: str) -> list[int]:
    """Set labels → option ids. A label that itself contains a separator is matched whole."""
    try:
        return option_ids(dict(options), value, field_name)
    except SchemaError as exc:
        raise RowError(exc.message) from None


_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_PHONE = re.compile(r"^[+()\d][\d\s()./-]{2,}(\s*(x|ext\.?)\s*\d+)?$", re.IGNORECASE)


def _contacts(value: Any, pattern: re.Pattern[str], noun: str) -> list[dict[str, Any]]:
    """Pipedrive's ``emails``/``phones`` shape; the first entry is the primary one.

    A list already in that shape (``[{value, label, primary}]``, as a replica or backup
    holds it) keeps its labels and primary flag.
    """
    if isinstance(value, list) and value and all(isinstance(e, dict) for e in value):
        for entry in value:
            if not pattern.match(str(entry.get("value", ""))):
                raise RowError(f"{entry.get('value')!r} is not {noun}")
        return [
            {
                "value": str(e["value"]),
                "primary": bool(e.get("primary")),
                "label": e.get("label") or "work",
            }
            for e in value
        ]
    entries = split_list(value)
    for entry in entries:
        if not pattern.match(entry):
            raise RowError(f"{entry!r} is not {noun}")
    return [{"value": e, "primary": i == 0, "label": "work"} for i, e in enumerate(entries)]


def to_emails(value: Any) -> list[dict[str, Any]]:
    """``"a@x.com; b@y.com"`` → ``[{value, primary: true, label: "work"}, ...]``."""
    return _contacts(value, _EMAIL, "an email address")


def to_phones(value: Any) -> list[dict[str, Any]]:
    return _contacts(value, _PHONE, "a phone number")


_VISIBILITY = {
    "owner": 1,
    "owner only": 1,
    "private": 1,
    "group": 3,
    "owner's visibility group": 3,
    "visibility group": 3,
    "subgroups": 5,
    "sub-groups": 5,
    "owner's visibility group and sub-groups": 5,
    "company": 7,
    "entire company": 7,
    "everyone": 7,
    "shared": 7,
}


def to_visibility(value: Any) -> int:
    text = str(value).strip().lower()
    if text in ("1", "3", "5", "7"):
        return int(text)
    if text in _VISIBILITY:
        return _VISIBILITY[text]
    raise RowError(f"{value!r} is not a visibility (use 1, 3, 5, 7, owner, group or company)")


def to_status(value: Any) -> str:
    text = str(value).strip().lower()
    if text in ("open", "won", "lost"):
        return text
    raise RowError(f"{value!r} is not a deal status (use open, won or lost)")
