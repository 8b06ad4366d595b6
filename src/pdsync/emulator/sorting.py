"""v1's ``sort`` parameter: ``field_1 ASC, field_2 DESC`` and the total order it names.

The v1 spec documents ``sort`` on notes, leads, files and the legacy deal, person and
organization lists as "the field names and sorting mode separated by a comma"
(``ASC`` when the mode is left out). Values of one field compare in a fixed rank, so a
column holding nulls next to numbers or strings still sorts: nulls first ascending and
last descending (as MySQL orders NULL), then numbers and booleans, then strings, then
anything else by its JSON text. Ties on every named field fall back to the record's
index in the direction of the first field, which is the v2 lists' tie order
(:func:`pdsync.emulator.query.sort_key`).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Collection
from dataclasses import dataclass
from typing import Any

DIRECTIONS = {"ASC": False, "DESC": True}


class SortError(ValueError):
    """A ``sort`` value that cannot be honoured; the message says what is accepted."""


@dataclass(frozen=True)
class SortField:
    name: str
    descending: bool = False


def parse_sort(raw: str, allowed: Collection[str], what: str) -> tuple[SortField, ...]:
    """The fields of ``sort=raw``; ``allowed`` are the sortable field names of ``what``
    (for messages: "notes"). An empty value means the list's default order: ``()``."""
    fields: list[SortField] = []
    for item in raw.split(","):
        words = item.split()
        if not words:
            continue
        if len(words) > 2 or (len(words) == 2 and words[1].upper() not in DIRECTIONS):
            raise SortError(
                f"Parameter 'sort' must be 'field ASC' or 'field DESC' items separated by "
                f"commas, not {item.strip()!r}"
            )
        name = words[0]
        if name not in allowed:
            choices = ", ".join(sorted(allowed))
            raise SortError(f"Parameter 'sort' cannot sort {what} by '{name}'; use one of: {choices}")
        descending = len(words) == 2 and DIRECTIONS[words[1].upper()]
        fields.append(SortField(name, descending))
    return tuple(fields)


def order_value(value: Any) -> tuple[Any, ...]:
    """A key that orders any JSON value of one field (see the module doc)."""
    if value is None:
        return (0,)
    if isinstance(value, (bool, int, float)):
        return (1, value)
    if isinstance(value, str):
        return (2, value)
    return (3, json.dumps(value, sort_keys=True, default=str))


Getter = Callable[[dict[str, Any], str], Any]


def plain_value(rec: dict[str, Any], name: str) -> Any:
    return rec.get(name)


def sort_records(
    pairs: list[tuple[int, dict[str, Any]]], fields: tuple[SortField, ...], value: Getter
) -> None:
    """Sort ``(index, record)`` pairs in place by ``fields``, ties by index (see module doc).

    Stable sorts from the last key to the first give each field its own direction."""
    pairs.sort(key=lambda pair: pair[0], reverse=fields[0].descending if fields else False)
    for field in reversed(fields):
        name = field.name
        pairs.sort(key=lambda pair: order_value(value(pair[1], name)), reverse=field.descending)
