"""Realistic value pools and custom field values, drawn from a record's own random stream."""

from __future__ import annotations

import random
from collections.abc import Callable, Sequence
from datetime import datetime, timezone
from functools import lru_cache
from typing import Any, TypeVar

from pdsync.emulator.fields import ADDRESS_PARTS, FieldDef

T = TypeVar("T")

FIRST = (
    "Ada", "Bruno", "Chen", "Dana", "Elif", "Farah", "Goran", "Hana", "Ivan", "Jonas",
    "Kaito", "Lena", "Marta", "Nikos", "Olga", "Priya", "Quentin", "Rosa", "Sven", "Tariq",
    "Uma", "Viktor", "Wen", "Ximena", "Yusuf", "Zoë", "Mary-Jane", "D'Arcy", "José", "Søren",
)  # fmt: skip
LAST = (
    "Andersen", "Baptiste", "Costa", "Dubois", "Eriksen", "Fischer", "García", "Hoffmann",
    "Ivanova", "Jensen", "Kowalski", "Laine", "Müller", "Nakamura", "O'Brien", "Petrov",
    "Quinn", "Rossi", "Schmidt", "Tamm", "Ueda", "Valdez", "Weber", "Xu", "Yilmaz", "Zhang",
)  # fmt: skip
COMPANY_A = (
    "Acme", "Northwind", "Blue Harbor", "Globex", "Initech", "Umbrella", "Stark", "Wayne",
    "Tallinn Timber", "Baltic Byte", "Aurora", "Helios", "Vertex", "Nimbus", "Quartz",
)  # fmt: skip
COMPANY_B = ("Ltd", "GmbH", "OÜ", "Inc.", "& Sons", "Group", "Labs", "AS", "S.A.", "Holdings")
TOPICS = (
    "CRM rollout", "Annual renewal", "Pilot project", "Expansion", "Support contract",
    "Onboarding package", "Data migration", "Training", "Hardware refresh", "API integration",
)  # fmt: skip
CITIES = (
    ("Tallinn", "Estonia", "EE"), ("Berlin", "Germany", "DE"), ("Lisbon", "Portugal", "PT"),
    ("New York", "United States", "US"), ("London", "United Kingdom", "GB"),
    ("São Paulo", "Brazil", "BR"), ("Tokyo", "Japan", "JP"), ("Nairobi", "Kenya", "KE"),
)  # fmt: skip
STREETS = ("Main Street", "Narva mnt", "Unter den Linden", "Rua Augusta", "High Street")
CURRENCIES = ("EUR", "USD", "GBP")
TIMEZONES = ((318, "Europe/London"), (346, "Europe/Tallinn"), (120, "America/New_York"))


def iso_date(ts: float) -> str:
    return _day(int(ts // 86400))


@lru_cache(maxsize=8192)
def _day(day: int) -> str:
    return datetime.fromtimestamp(day * 86400, tz=timezone.utc).strftime("%Y-%m-%d")


def pick(rng: random.Random, items: Sequence[T]) -> T:
    """``rng.choice`` at a third of its cost (one C call); pages of 500 records add up."""
    return items[int(rng.random() * len(items))]


def between(rng: random.Random, low: int, high: int) -> int:
    """``rng.randint(low, high)``, cheaper."""
    return low + int(rng.random() * (high - low + 1))


def person_name(rng: random.Random) -> tuple[str, str]:
    return rng.choice(FIRST), rng.choice(LAST)


def company_name(rng: random.Random) -> str:
    return f"{rng.choice(COMPANY_A)} {rng.choice(COMPANY_B)}"


def address(rng: random.Random) -> dict[str, Any]:
    city, country, _ = pick(rng, CITIES)
    number = str(between(rng, 1, 250))
    route = pick(rng, STREETS)
    postal = str(between(rng, 10000, 99999))
    formatted = f"{route} {number}, {postal} {city}, {country}"
    parts: dict[str, Any] = dict.fromkeys(ADDRESS_PARTS)
    parts.update(
        street_number=number,
        route=route,
        locality=city,
        country=country,
        postal_code=postal,
        formatted_address=formatted,
    )
    return {"value": formatted, **parts}


def email_for(first: str, last: str, domain: str) -> str:
    local = f"{first}.{last}".lower().replace("'", "").replace(" ", "")
    return f"{local.encode('ascii', 'ignore').decode() or 'contact'}@{domain}"


def custom_value(fdef: FieldDef, rng: random.Random, refs: dict[str, int], when: float) -> Any:
    """A v2-format value for a custom field, or None (about a third of values are unset).

    Simple types draw one number and derive the value from it (a page of 500 records
    with 30 custom fields each is 15,000 values, so draws matter)."""
    u = rng.random()
    if u < 0.33:
        return None
    return VALUE_MAKERS.get(fdef.field_type, unset)(fdef, rng, refs, (u - 0.33) / 0.67, when)


# Each maker gets the field, the record's stream, the reference counts, x in [0, 1) (the
# one draw simple types derive their value from) and the record's add time. A dict
# lookup by type replaces a chain of string comparisons per value.
ValueMaker = Callable[[FieldDef, random.Random, dict[str, int], float, float], Any]


def _varchar(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return f"{COMPANY_A[int(x * len(COMPANY_A))]}-{100 + int(x * 9e6) % 900}"


def _text(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return f"Customer asked about {TOPICS[int(x * len(TOPICS))].lower()}.\nFollow up next quarter."


def _double(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return round(x * 500, 2)


def _date(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return iso_date(when + (x * 270 - 90) * 86400)


def _enum(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    options = f.options or [{"id": None}]
    return options[int(x * len(options))]["id"]


def _ref(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    limit = refs.get(f.field_type, 0)
    return 1 + int(x * limit) if limit else None


def _phone(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return f"+372 5{100 + int(x * 900)} {1000 + int(x * 9e7) % 9000}"


def _monetary(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return {"value": round(100 + x * 49900, 2), "currency": CURRENCIES[int(x * 7919) % 3]}


def _daterange(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    start = when + (x * 60 - 30) * 86400
    return {"value": iso_date(start), "until": iso_date(start + between(rng, 7, 365) * 86400)}


def _time(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    tz_id, tz_name = TIMEZONES[int(x * 7919) % len(TIMEZONES)]
    hour = 7 + int(x * 9)
    value: dict[str, Any] = {"value": f"{hour:02d}:00:00"}
    if f.field_type == "timerange":
        value["until"] = f"{hour + 2:02d}:30:00"
    return {**value, "timezone_id": tz_id, "timezone_name": tz_name}


def _set(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    options = f.options or []
    picked = rng.sample(options, k=min(len(options), 1 + int(x * 3)))
    return sorted(o["id"] for o in picked)


def _address(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return address(rng)


def unset(f: FieldDef, rng: random.Random, refs: dict[str, int], x: float, when: float) -> Any:
    return None


VALUE_MAKERS: dict[str, ValueMaker] = {
    "varchar": _varchar, "varchar_auto": _varchar, "text": _text, "double": _double,
    "date": _date, "enum": _enum, "user": _ref, "org": _ref, "people": _ref, "phone": _phone,
    "monetary": _monetary, "daterange": _daterange, "time": _time, "timerange": _time,
    "set": _set, "address": _address,
}  # fmt: skip
