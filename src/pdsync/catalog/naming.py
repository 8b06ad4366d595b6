"""Safe, stable column names from whatever a user typed as a Pipedrive field name.

A column name is ``[a-z0-9_]``, starts with a letter, is at most 63 characters
(PostgreSQL's limit, the strictest of our destinations), is no SQL keyword and never
starts with pdsync's reserved ``_pdsync_`` prefix. The same input always gives the
same output, so a table rebuilt from scratch gets the same columns.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Collection

MAX_IDENTIFIER = 63
RESERVED_PREFIX = "_pdsync_"

# Words reserved in SQLite, PostgreSQL or DuckDB that a user could plausibly name a
# field. Destinations quote identifiers anyway; avoiding them keeps hand-written SQL easy.
SQL_KEYWORDS = frozenset(
    [
        "all",
        "analyse",
        "analyze",
        "and",
        "any",
        "array",
        "as",
        "asc",
        "asymmetric",
        "between",
        "both",
        "by",
        "case",
        "cast",
        "check",
        "collate",
        "column",
        "constraint",
        "create",
        "cross",
        "current_date",
        "current_time",
        "current_timestamp",
        "current_user",
        "default",
        "deferrable",
        "delete",
        "desc",
        "distinct",
        "do",
        "drop",
        "else",
        "end",
        "except",
        "exists",
        "false",
        "fetch",
        "for",
        "foreign",
        "from",
        "full",
        "grant",
        "group",
        "having",
        "ilike",
        "in",
        "index",
        "inner",
        "insert",
        "intersect",
        "into",
        "is",
        "join",
        "key",
        "lateral",
        "leading",
        "left",
        "like",
        "limit",
        "natural",
        "not",
        "null",
        "offset",
        "on",
        "only",
        "or",
        "order",
        "outer",
        "placing",
        "primary",
        "references",
        "returning",
        "right",
        "select",
        "session_user",
        "set",
        "similar",
        "some",
        "symmetric",
        "table",
        "then",
        "to",
        "trailing",
        "true",
        "union",
        "unique",
        "update",
        "user",
        "using",
        "values",
        "when",
        "where",
        "window",
        "with",
    ]
)

_NON_WORD = re.compile(r"[^a-z0-9]+")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")


def short_hash(text: str, length: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:length]


def snake_case(name: str) -> str:
    """``"Lead Source (2024)"`` → ``"lead_source_2024"``; accents transliterated, rest dropped."""
    ascii_text = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode("ascii")
    split_camel = _CAMEL.sub("_", ascii_text)
    return _NON_WORD.sub("_", split_camel.lower()).strip("_")


def safe_identifier(name: str) -> str:
    """The readable base of a column name (not yet length-capped or de-duplicated)."""
    base = snake_case(name)
    if not base:  # emoji-only or punctuation-only names: stable, distinct per name
        return f"field_{short_hash(name)}"
    if base[0].isdigit():
        base = f"f_{base}"
    if base in SQL_KEYWORDS:
        base = f"{base}_field"
    return base


def cap_length(base: str, room: int) -> str:
    """``base`` shortened to ``room`` characters, a hash of the whole keeping it distinct."""
    if len(base) <= room:
        return base
    suffix = "_" + short_hash(base)
    return base[: room - len(suffix)].rstrip("_") + suffix


def allocate(
    name: str,
    suffixes: tuple[str, ...],
    taken: Collection[str],
    max_length: int = MAX_IDENTIFIER,
) -> str:
    """A base column for ``name`` whose every derived column (base + suffix) is free.

    Collisions get ``_2``, ``_3``… in call order, so the result is deterministic for a
    deterministic order of calls. The caller adds the chosen columns to ``taken``.
    """
    room = max_length - max(len(s) for s in suffixes)
    base = cap_length(safe_identifier(name), room)
    candidate, counter = base, 1
    while any(candidate + s in taken for s in suffixes):
        counter += 1
        tail = f"_{counter}"
        candidate = cap_length(base, room - len(tail)) + tail
    return candidate
