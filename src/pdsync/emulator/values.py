"""Realistic value pools and custom field values, drawn from a record's own random stream."""

from __future__ import annotations

import random
from collections.abc import Sequence
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
    x = (u - 0.33) / 0.67
    t = fdef.field_type
    if t in ("varchar", "varchar_auto"):
        return f"{COMPANY_A[int(x * len(COMPANY_A))]}-{100 + int(x * 9e6) % 900}"
    if t == "text":
        return (
            f"Customer asked about {TOPICS[int(x * len(TOPICS))].lower()}.\nFollow up next quarter."
        )
    if t == "double":
        return round(x * 500, 2)
    if t == "date":
        return iso_date(when + (x * 270 - 90) * 86400)
    if t == "enum":
        options = fdef.options or [{"id": None}]
        return options[int(x * len(options))]["id"]
    if t in ("user", "org", "people"):
        limit = refs.get(t, 0)
        return 1 + int(x * limit) if limit else None
    if t == "phone":
        return f"+372 5{100 + int(x * 900)} {1000 + int(x * 9e7) % 9000}"
    return _complex_value(fdef, rng, x, when)


def _complex_value(fdef: FieldDef, rng: random.Random, x: float, when: float) -> Any:
    t = fdef.field_type
    if t == "monetary":
        return {"value": round(100 + x * 49900, 2), "currency": CURRENCIES[int(x * 7919) % 3]}
    if t == "daterange":
        start = when + (x * 60 - 30) * 86400
        return {"value": iso_date(start), "until": iso_date(start + between(rng, 7, 365) * 86400)}
    if t in ("time", "timerange"):
        tz_id, tz_name = TIMEZONES[int(x * 7919) % len(TIMEZONES)]
        hour = 7 + int(x * 9)
        value: dict[str, Any] = {"value": f"{hour:02d}:00:00"}
        if t == "timerange":
            value["until"] = f"{hour + 2:02d}:30:00"
        return {**value, "timezone_id": tz_id, "timezone_name": tz_name}
    if t == "set":
        options = fdef.options or []
        picked = rng.sample(options, k=min(len(options), 1 + int(x * 3)))
        return sorted(o["id"] for o in picked)
    if t == "address":
        return address(rng)
    return None
