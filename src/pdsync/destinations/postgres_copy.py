"""A batch's encoded columns as PostgreSQL ``COPY … FROM STDIN`` text, built column-wise.

psycopg's ``copy.write_row`` formats value by value (about 130 ns each: a dumper
lookup per value), which made it the largest single cost of a PostgreSQL batch — more
than the upsert. Here each column is turned into text with one C-level ``map`` (its
value types are checked once, with ``set(map(type, …))``), escaping is paid only by
text columns that contain a backslash, tab, newline, carriage return or NUL, and rows
are joined with ``str.join``. A column holding any other type returns ``None`` and
the caller falls back to ``write_row``.

The text format (https://www.postgresql.org/docs/current/sql-copy.html): columns
separated by a tab, rows ended by a newline, ``\\N`` for NULL, and backslash escapes
for ``\\``, tab, newline and carriage return. PostgreSQL text cannot hold NUL, so it
becomes U+FFFD (the replacement character), as the ``write_row`` path does.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Sequence
from typing import Any

__all__ = ["copy_text_chunks"]

NULL = "\\N"
_NONE = type(None)
_SPECIALS = ("\\", "\t", "\n", "\r", "\x00")
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r", "\x00": "\ufffd"})
_BOOLS = {True: "t", False: "f", None: NULL}
_KNOWN = frozenset({_NONE, bool, int, float, str})


def copy_text_chunks(
    columns: Sequence[Sequence[Any]], rows_per_chunk: int = 500
) -> Iterator[str] | None:
    """The COPY text of ``columns`` in chunks of whole rows, or None if a type is unknown.

    Chunks are built lazily, so the server parses one while the next is formatted.
    """
    if not all(_known(values) for values in columns):
        return None
    return _chunks(columns, rows_per_chunk)


def _chunks(columns: Sequence[Sequence[Any]], size: int) -> Iterator[str]:
    count = len(columns[0]) if columns else 0
    for start in range(0, count, size):
        texts = [_column_text(values[start : start + size]) for values in columns]
        yield "\n".join(map("\t".join, zip(*texts, strict=True))) + "\n"


def _known(values: Sequence[Any]) -> bool:
    return set(map(type, values)) <= _KNOWN


def _column_text(values: Sequence[Any]) -> list[str]:
    types = set(map(type, values))
    nullable = _NONE in types
    types.discard(_NONE)
    if not types:
        return [NULL] * len(values)
    if types == {str}:
        return _with_nulls(values, _escaper(values, nullable), nullable)
    if bool in types:  # bool is an int subclass: its text is t/f, not 1/0 or True
        return [_BOOLS[v] if v is None or type(v) is bool else _escape(str(v)) for v in values]
    if types <= {int, float}:
        return _with_nulls(values, str, nullable)
    return [NULL if v is None else _escape(str(v)) for v in values]  # text mixed with numbers


def _escaper(values: Sequence[Any], nullable: bool) -> Callable[[str], str]:
    """Identity when no value needs escaping (one scan of the joined column), else translate."""
    joined = "".join(v for v in values if v is not None) if nullable else "".join(values)
    if any(special in joined for special in _SPECIALS):
        return _escape
    return str


def _escape(value: str) -> str:
    return value.translate(_ESCAPES)


def _with_nulls(values: Sequence[Any], convert: Callable[[Any], str], nullable: bool) -> list[str]:
    if not nullable:
        return list(map(convert, values))
    return [NULL if v is None else convert(v) for v in values]
