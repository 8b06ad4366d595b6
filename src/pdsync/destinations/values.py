"""Turning row values into what a driver binds, fast: an encoder compiled per table.

Rows arrive as dicts keyed by column name with Python values. SQL destinations store
booleans as 0/1 (SQLite) or BOOLEAN, JSON as text, timestamps as ISO text. Encoding is
THE hot path of a sync (profiling a 100k-deal sync found 60 % of the writer's time in a
per-value Python call), so :func:`compile_encoder` plans a table once and then works a
column at a time with C-level builtins only:

* the values are pulled out with one ``itemgetter(*columns)`` call per row, turned into
  columns by ``zip(*rows)`` (ragged rows fall back to ``dict.get`` per column);
* ``set(map(type, values))`` tells whether the column already holds only bindable
  types (text and integers nearly always do) — then it is passed through untouched;
* only the other columns (JSON always; a datetime in a timestamp column, a string in a
  boolean one, nested data in a scalar column) go through their converter;
* a column's text is checked once, joined, for what no destination can store (lone
  surrogates, NUL): found, the column's values are repaired with U+FFFD
  (:mod:`pdsync.textrepair`) instead of failing the batch.

Rows as tuples (what ``executemany`` binds) are one ``zip(*columns)`` away.
"""

from __future__ import annotations

import contextlib
import functools
import gc
import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from datetime import date, datetime, time, timezone
from operator import itemgetter, methodcaller
from typing import Any

import orjson

from pdsync.schema import Column, LogicalType
from pdsync.textrepair import CheckedRows, is_clean, is_clean_json, repair_text, repair_value

__all__ = [
    "BatchEncoder",
    "Converter",
    "compile_encoder",
    "converter_for",
    "encode_json",
    "make_row_encoder",
    "sqlite_type",
]

Converter = Callable[[Any], Any]

_SQLITE_TYPES: dict[LogicalType, str] = {
    "integer": "INTEGER",
    "real": "REAL",
    "text": "TEXT",
    "boolean": "INTEGER",
    "timestamp": "TEXT",
    "date": "TEXT",
    "time": "TEXT",
    "json": "TEXT",
}


def sqlite_type(logical: LogicalType) -> str:
    """The declared SQLite type of a logical type (booleans 0/1, JSON and instants as text)."""
    return _SQLITE_TYPES[logical]


_json_dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
# orjson writes what json.dumps(ensure_ascii=False, separators=(",", ":"), default=str)
# writes (datetimes and dataclasses passed to ``default`` as json does), in a fraction of
# the time; floats aside, whose exponents it writes shorter (1e-7 for 1e-07): the same
# number. What it refuses (lone surrogates, integers beyond 64 bits) goes to json.
_ORJSON_OPTIONS = (
    orjson.OPT_NON_STR_KEYS | orjson.OPT_PASSTHROUGH_DATETIME | orjson.OPT_PASSTHROUGH_DATACLASS
)


def _dumps(value: Any) -> str:
    try:
        return orjson.dumps(value, default=str, option=_ORJSON_OPTIONS).decode()
    except TypeError:  # orjson.JSONEncodeError included
        return _json_dumps(value)


def encode_json(value: Any) -> str | None:
    if value is None:
        return None
    return _dumps(value)


def _plain(value: Any) -> Any:
    # Nested data in a scalar column is kept as JSON text rather than failing the batch.
    if isinstance(value, (dict, list, tuple)):
        return encode_json(value)
    return value


def _boolean(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, str):
        return 1 if value.strip().lower() in ("1", "true", "yes", "y", "on") else 0
    return 1 if value else 0


def _instant(value: Any) -> Any:
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    return _plain(value)


def _date_or_time(value: Any) -> Any:
    if isinstance(value, (date, time)):
        return value.isoformat()
    return _plain(value)


_CONVERTERS: dict[LogicalType, Converter] = {
    "integer": _plain,
    "real": _plain,
    "text": _plain,
    "boolean": _boolean,
    "timestamp": _instant,
    "date": _date_or_time,
    "time": _date_or_time,
    "json": encode_json,
}

_NONE = type(None)
_STR_OR_NONE = frozenset({str, _NONE})
# Value types a column of each logical type may bind as they are. Every driver takes a
# bool for a boolean (SQLite stores it as 0/1, exactly what _boolean would give). JSON
# has none: a str there is a JSON string, which must become JSON text ('"x"').
_AS_IS: dict[LogicalType, frozenset[type]] = {
    "integer": frozenset({int, _NONE}),
    "real": frozenset({int, float, _NONE}),
    "text": frozenset({str, int, float, _NONE}),
    "boolean": frozenset({bool, _NONE}),
    "timestamp": frozenset({str, _NONE}),
    "date": frozenset({str, _NONE}),
    "time": frozenset({str, _NONE}),
    "json": frozenset(),
}


def converter_for(logical: LogicalType) -> Converter:
    """The function turning one value of ``logical`` type into what a driver binds."""
    return _CONVERTERS[logical]


def _texts_clean(values: list[Any], types: set[type]) -> bool:
    """Whether a column's strings are all valid Unicode without NUL (one joined check).

    Rows normally arrive repaired by the sync's normalisation; this keeps any other
    writer (push journals, tests, tools) from crashing a batch on one bad value: the
    value is stored with U+FFFD instead (:mod:`pdsync.textrepair`).
    """
    if types <= _STR_OR_NONE:
        return is_clean("".join(filter(None, values)))
    return is_clean("".join([v for v in values if type(v) is str]))


def _json_column(values: list[Any]) -> list[Any]:
    dumps = _dumps
    return [None if v is None else dumps(v) for v in values]


class BatchEncoder:
    """A table's columns, planned once: encodes whole batches column-wise.

    Build it with :func:`compile_encoder` (cached per column tuple); ``constants`` given
    at encode time fill a column when a row lacks its key (the batch's
    ``_pdsync_synced_at``); any other missing key is NULL.
    """

    def __init__(self, columns: tuple[Column, ...]) -> None:
        self.names: tuple[str, ...] = tuple(c.name for c in columns)
        self._plan = tuple((c.name, _AS_IS[c.type], _CONVERTERS[c.type]) for c in columns)

    def columns(
        self,
        rows: Sequence[Mapping[str, Any]],
        constants: Mapping[str, Any] | None = None,
        *,
        carried: set[str] | None = None,
    ) -> list[list[Any]]:
        """One encoded value list per column, in column order.

        ``carried`` is the union of the rows' keys when the caller already has it.
        """
        with _gc_paused():
            return self._encode(rows, constants or {}, carried)

    def _encode(
        self,
        rows: Sequence[Mapping[str, Any]],
        defaults: Mapping[str, Any],
        carried: set[str] | None,
    ) -> list[list[Any]]:
        raw = self._extract(rows, defaults, carried)
        check = type(rows) is not CheckedRows  # normalised rows were checked already
        out: list[list[Any]] = []
        for values, (_, as_is, convert) in zip(raw, self._plan, strict=True):
            if not as_is:
                encoded = _json_column(values)
                if check and not is_clean_json("".join(filter(None, encoded))):
                    encoded = _json_column([repair_value(v)[0] for v in values])
                values = encoded
            else:
                types = set(map(type, values))
                if not as_is.issuperset(types):
                    values = list(map(convert, values))
                    types = set(map(type, values))
                if check and str in types and not _texts_clean(values, types):
                    values = [repair_text(v) if type(v) is str else v for v in values]
            out.append(values)
        return out

    def _extract(
        self,
        rows: Sequence[Mapping[str, Any]],
        defaults: Mapping[str, Any],
        carried: set[str] | None = None,
    ) -> list[list[Any]]:
        """The raw values, column by column; a missing key gives its default (or NULL)."""
        count = len(rows)
        if carried is None:
            carried = set().union(*rows) if rows else set()
        present = [name for name in self.names if name in carried]
        by_name: dict[str, list[Any]] = {}
        if present:
            try:
                # Rows carrying every present column (the usual case): one C call per
                # row builds its tuple, and zip(*…) turns the tuples into columns.
                got = list(map(itemgetter(*present), rows))
                columns = list(zip(*got, strict=True)) if len(present) > 1 else [tuple(got)]
                by_name = {n: list(c) for n, c in zip(present, columns, strict=True)}
            except KeyError:  # ragged rows: look each column up with its default
                by_name = {
                    n: list(map(methodcaller("get", n, defaults.get(n)), rows)) for n in present
                }
        return [
            by_name[name] if name in by_name else [defaults.get(name)] * count
            for name in self.names
        ]

    def rows(
        self, rows: Sequence[Mapping[str, Any]], constants: Mapping[str, Any] | None = None
    ) -> list[tuple[Any, ...]]:
        """Each row as a tuple in column order (what ``executemany`` binds)."""
        return list(zip(*self.columns(rows, constants), strict=True)) if rows else []


@contextlib.contextmanager
def _gc_paused() -> Iterator[None]:
    """No cyclic garbage collection while a batch is transposed.

    Encoding allocates a tuple per row and a list per column, none of them cyclic, yet
    each allocation burst triggers collections that walk every live object — the
    caller's batches included. Measured: 8-10 % of a DuckDB or PostgreSQL batch.
    """
    if not gc.isenabled():
        yield
        return
    gc.disable()
    try:
        yield
    finally:
        gc.enable()


@functools.lru_cache(maxsize=256)
def compile_encoder(columns: tuple[Column, ...]) -> BatchEncoder:
    """The (cached) encoder of a table with these columns."""
    return BatchEncoder(columns)


def make_row_encoder(
    columns: Sequence[Column], constants: Mapping[str, Any] | None = None
) -> Callable[[Mapping[str, Any]], tuple[Any, ...]]:
    """A function turning ONE row dict into a tuple in ``columns`` order.

    For single rows (tests, small tools); batches should use :func:`compile_encoder`.
    """
    encoder = compile_encoder(tuple(columns))

    def encode(row: Mapping[str, Any]) -> tuple[Any, ...]:
        return encoder.rows([row], constants)[0]

    return encode
