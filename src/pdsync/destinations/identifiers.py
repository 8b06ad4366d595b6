"""Identifiers for SQL destinations: quoting, and names a database can actually hold.

Any column name must work — quotes, semicolons, dots, spaces, SQL keywords, emoji, 200
characters — so every identifier is double-quoted with inner quotes doubled, never
interpolated bare. Some databases fold case (SQLite, DuckDB) or cut long names
(PostgreSQL: 63 bytes); :func:`allocate_physical` gives each logical column a distinct
physical name under those rules, deterministically, keeping earlier choices.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable, Iterable, Mapping

from pdsync.errors import SchemaError

__all__ = ["allocate_physical", "check_identifier", "quote"]


def check_identifier(name: str, what: str = "column") -> str:
    """Refuse names no SQL database stores: empty, a NUL character, or a lone surrogate."""
    if not name or "\x00" in name or not _encodable(name):
        raise SchemaError(
            f"Invalid {what} name {name!r}: it is empty or contains a NUL character "
            "or an unpaired UTF-16 surrogate.",
            hint="Rename the field in Pipedrive or map it to another column name.",
        )
    return name


def _encodable(name: str) -> bool:
    try:
        name.encode()
    except UnicodeEncodeError:  # lone surrogates, e.g. from a JSON "\\ud800" escape
        return False
    return True


def quote(name: str) -> str:
    """``name`` as a double-quoted SQL identifier."""
    return '"' + check_identifier(name).replace('"', '""') + '"'


def _fits(name: str, max_bytes: int | None) -> str:
    """Shorten ``name`` to ``max_bytes`` UTF-8 bytes, with a hash so cut names stay distinct."""
    if max_bytes is None or len(name.encode()) <= max_bytes:
        return name
    digest = hashlib.sha1(name.encode()).hexdigest()[:8]
    cut = name.encode()[: max_bytes - len(digest) - 1].decode(errors="ignore")
    return f"{cut}_{digest}"


def allocate_physical(
    existing: Mapping[str, str],
    wanted: Iterable[str],
    *,
    fold: Callable[[str], str] = str.lower,
    max_bytes: int | None = None,
    reserved: Iterable[str] = (),
) -> dict[str, str]:
    """Map each logical name to a physical column name, distinct under ``fold``.

    ``existing`` (logical -> physical) is kept as is; new names take their own spelling
    when it is free and a ``__2``, ``__3``… suffix otherwise, in the order given.
    """
    mapping = dict(existing)
    # ``reserved``: names the database keeps for itself (PostgreSQL's system columns).
    taken = {fold(p) for p in mapping.values()} | {fold(r) for r in reserved}
    for logical in wanted:
        if logical in mapping:
            continue
        candidate = _fits(check_identifier(logical), max_bytes)
        suffix = 2
        while fold(candidate) in taken:
            candidate = _fits(f"{logical}__{suffix}", max_bytes)
            suffix += 1
        mapping[logical] = candidate
        taken.add(fold(candidate))
    return mapping
