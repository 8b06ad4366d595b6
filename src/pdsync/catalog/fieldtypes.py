"""How each Pipedrive field type becomes columns, and back.

A field type has a *layout*: the columns it produces, each a suffix of the field's
base column, a logical type and the key of the v2 value object it comes from::

    monetary   <col> real (value)        <col>_currency text (currency)
    enum       <col> text (option label) <col>_id integer (option id)
    set        <col> json [labels]       <col>_ids json [option ids]
    daterange  <col> date (value)        <col>_until date (until)
    address    <col> text (value)        <col>_locality, <col>_country, … text
    user/org/people/deal/…  <col>_id integer

Unknown field types become one JSON column holding the value as Pipedrive sent it,
so a new Pipedrive type never breaks a sync.
"""

from __future__ import annotations

from dataclasses import dataclass

from pdsync.schema import LogicalType

ADDRESS_PARTS = (
    "street_number",
    "route",
    "subpremise",
    "sublocality",
    "locality",
    "admin_area_level_1",
    "admin_area_level_2",
    "country",
    "postal_code",
    "formatted_address",
)


@dataclass(frozen=True)
class Part:
    suffix: str  # appended to the field's base column ("" = the base itself)
    type: LogicalType
    subkey: str | None = None  # key inside the v2 value object; None = the value itself
    role: str = "value"  # "value", "label", "labels", "option_id", "option_ids"


@dataclass(frozen=True)
class Layout:
    kind: str  # "scalar", "object", "enum", "set", "unknown"
    parts: tuple[Part, ...]

    @property
    def suffixes(self) -> tuple[str, ...]:
        return tuple(p.suffix for p in self.parts)


def _scalar(logical: LogicalType, suffix: str = "") -> Layout:
    return Layout("scalar", (Part(suffix, logical),))


def _object(*parts: Part) -> Layout:
    return Layout("object", parts)


_TIMEZONE = Part("_timezone", "text", "timezone_name")

LAYOUTS: dict[str, Layout] = {
    **{t: _scalar("text") for t in ("varchar", "varchar_auto", "text", "phone")},
    **{t: _scalar("text") for t in ("varchar_options", "status", "billing_frequency")},
    "double": _scalar("real"),
    "int": _scalar("integer"),
    "visible_to": _scalar("integer"),
    "boolean": _scalar("boolean"),
    "json": _scalar("json"),
    "date": _scalar("date"),
    "price_list": _scalar("json"),
    "picture": _scalar("integer", "_id"),
    **{
        t: _scalar("integer", "_id")
        for t in (
            "user",
            "org",
            "people",
            "deal",
            "activity",
            "pipeline",
            "stage",
            "product",
            "project",
            "projects_board",
            "projects_phase",
        )
    },
    "lead": _scalar("text", "_id"),
    "deals": _scalar("json", "_ids"),
    "monetary": _object(Part("", "real", "value"), Part("_currency", "text", "currency")),
    "daterange": _object(Part("", "date", "value"), Part("_until", "date", "until")),
    "time": _object(Part("", "time", "value"), _TIMEZONE),
    "timerange": _object(Part("", "time", "value"), Part("_until", "time", "until"), _TIMEZONE),
    "address": _object(
        Part("", "text", "value"), *(Part(f"_{p}", "text", p) for p in ADDRESS_PARTS)
    ),
    "enum": Layout(
        "enum", (Part("", "text", role="label"), Part("_id", "integer", role="option_id"))
    ),
    "set": Layout(
        "set", (Part("", "json", role="labels"), Part("_ids", "json", role="option_ids"))
    ),
}

UNKNOWN_LAYOUT = Layout("unknown", (Part("", "json"),))


def layout_for(field_type: str) -> Layout:
    return LAYOUTS.get(field_type, UNKNOWN_LAYOUT)


def is_known_type(field_type: str) -> bool:
    return field_type in LAYOUTS
