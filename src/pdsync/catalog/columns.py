"""A compact way to declare a stream's system columns.

``cols("id:int title owner_id:int add_time:ts emails:json primary_email=emails[primary]")``
reads as "id is an integer, title is text, …". Each token is ``name[:type][=source]``:

- ``type`` is one of the short names below (text when omitted);
- ``source`` says where the value comes from in the API record, when it is not the
  key of the same name: ``a.b`` is a nested key, ``emails[primary]`` is the value of
  the primary item of an array, ``$parent`` is the id of the parent record.
"""

from __future__ import annotations

from pdsync.errors import SchemaError
from pdsync.schema import Column, LogicalType

PARENT_SOURCE = "$parent"

SHORT_TYPES: dict[str, LogicalType] = {
    "int": "integer",
    "real": "real",
    "text": "text",
    "bool": "boolean",
    "ts": "timestamp",
    "date": "date",
    "time": "time",
    "json": "json",
}


def cols(spec: str) -> tuple[Column, ...]:
    """Parse a whitespace-separated column declaration (see the module docstring)."""
    columns = []
    for token in spec.split():
        head, _, source = token.partition("=")
        name, _, short = head.partition(":")
        logical = SHORT_TYPES.get(short or "text")
        if logical is None:
            raise SchemaError(
                f"Unknown column type {short!r} in {token!r}.",
                hint=f"Use one of: {', '.join(SHORT_TYPES)}.",
            )
        columns.append(Column(name=name, type=logical, source=source or name))
    return tuple(columns)


def address_cols(prefix: str, source: str) -> str:
    """Declaration of an address object as its formatted value plus its useful parts."""
    parts = ("street_number", "route", "locality", "admin_area_level_1", "country", "postal_code")
    tokens = [f"{prefix}={source}.value"]
    tokens += [f"{prefix}_{part}={source}.{part}" for part in parts]
    tokens.append(f"{prefix}_formatted={source}.formatted_address")
    return " ".join(tokens)


# A key made from the record's own content, for lists whose items have no id (changelogs).
HASH_SOURCE = "$hash"
# The item itself, for lists of plain values (permitted users: a list of user ids).
ITEM_SOURCE = "$item"
