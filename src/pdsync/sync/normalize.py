"""One API record → one row of its stream's table.

The row has exactly the table's system and custom columns (see
:func:`pdsync.catalog.tables.table_schema`), each coerced to its logical type:
timestamps UTC ``YYYY-MM-DDTHH:MM:SSZ``, booleans real bools, v1 nested references
(``{"id": 3, "name": …}``) their id, arrays and objects kept as JSON-able values,
``primary_email``/``primary_phone`` picked from the arrays. Keys the catalog does not
declare are left out, so a new key in Pipedrive's answers never changes a table.
``_pdsync_synced_at``/``_pdsync_deleted_at`` are the engine's to fill.

The work per stream (getters, coercers, custom-field readers) is compiled once; a
:class:`Normalizer` then does only dict lookups and cheap type checks per record.

Text that is not valid Unicode (a lone surrogate from a ``"\\ud800"`` escape, NUL) is
repaired here, in every column, JSON and custom fields included
(:mod:`pdsync.textrepair`), and counted per column (:attr:`Normalizer.repairs`): no
destination can store it, and one bad value must not crash the batch around it. The
check costs one C-level scan of a page's text (:meth:`Normalizer.rows`).
"""

from __future__ import annotations

import functools
import json
import threading
from collections import Counter
from collections.abc import Callable, Iterable, Mapping
from itertools import chain
from operator import itemgetter
from typing import Any

import orjson

from pdsync.catalog.coerce import COERCERS, Coercer
from pdsync.catalog.columns import PARENT_SOURCE
from pdsync.catalog.fields import FieldCatalog
from pdsync.catalog.streams import StreamSpec
from pdsync.errors import SchemaError
from pdsync.textrepair import CheckedRows, is_clean, is_clean_json, repair_value

Getter = Callable[[Mapping[str, Any], Any], Any]
Row = dict[str, Any]

# Column types whose values are text once coerced (or None); JSON columns hold anything.
_TEXT_TYPES = frozenset({"text", "timestamp", "date", "time"})
_dumps = json.JSONEncoder(ensure_ascii=False, check_circular=False, default=str).encode


def _json_is_clean(values: Any) -> bool:
    """Whether JSON values hold only storable strings (orjson refuses lone surrogates)."""
    try:
        dumped = orjson.dumps(values, default=str, option=orjson.OPT_NON_STR_KEYS)
    except TypeError:  # orjson.JSONEncodeError: a surrogate, or what json must look at
        return is_clean_json(_dumps(values))
    return b"\\u0000" not in dumped


def _primary_item(items: Any) -> Any:
    """The ``value`` of the item flagged primary (else the first) of emails/phones."""
    if not items:
        return None
    if isinstance(items, str):
        return items
    if not isinstance(items, list):
        return None
    chosen = next((i for i in items if isinstance(i, Mapping) and i.get("primary")), items[0])
    return chosen.get("value") if isinstance(chosen, Mapping) else chosen


def _getter(source: str) -> Getter:
    if source == PARENT_SOURCE:
        return lambda record, parent_id: parent_id
    if source.endswith("[primary]"):
        key = source[: -len("[primary]")]
        return lambda record, parent_id: _primary_item(record.get(key))
    outer, dot, inner = source.partition(".")
    if not dot:
        return lambda record, parent_id: record.get(source)

    def nested(record: Mapping[str, Any], parent_id: Any) -> Any:
        value = record.get(outer)
        return value.get(inner) if isinstance(value, Mapping) else None

    return nested


class Normalizer:
    """Compiled row builder of one stream (and its custom fields)."""

    def __init__(self, stream: StreamSpec, fields: FieldCatalog | None = None) -> None:
        self.stream = stream
        self.fields = fields if stream.fields_entity else None
        plain = [c for c in stream.columns if c.source == c.name]
        self._raw = tuple(c.name for c in plain if c.type == "json")
        self._plain: tuple[tuple[str, Coercer], ...] = tuple(
            (c.name, COERCERS[c.type]) for c in plain if c.type != "json"
        )
        self._special: tuple[tuple[str, Getter, Coercer], ...] = tuple(
            (c.name, _getter(c.source), COERCERS[c.type])
            for c in stream.columns
            if c.source != c.name
        )
        self._v1 = stream.version == "v1"
        columns = stream.columns + (self.fields.columns() if self.fields is not None else ())
        self._text_names = tuple(c.name for c in columns if c.type in _TEXT_TYPES)
        self._json_names = tuple(c.name for c in columns if c.type == "json")
        self._scan: tuple[Callable[[Row], Any], Callable[[Row], Any]] | None = None
        self._lock = threading.Lock()
        self.repairs: Counter[str] = Counter()  # column -> values repaired (fetch threads add)

    def rows(self, records: Iterable[Mapping[str, Any]], parent_id: Any = None) -> list[Row]:
        """The rows of a page of records, text repaired where it is not valid Unicode."""
        rows = CheckedRows([self._row(record, parent_id) for record in records])
        if rows and not self._page_is_clean(rows):
            self._repair(rows)
        return rows

    def __call__(self, record: Mapping[str, Any], parent_id: Any = None) -> dict[str, Any]:
        return self.rows((record,), parent_id)[0]

    def _row(self, record: Mapping[str, Any], parent_id: Any) -> Row:
        if not isinstance(record, Mapping):
            raise SchemaError(
                f"{self.stream.name}: expected a record object, got {type(record).__name__}.",
                hint="Pipedrive answered an unexpected shape; please report it.",
            )
        try:
            row = self._build(record, parent_id)
        except SchemaError as exc:
            raise self._locate(exc, record, parent_id) from None
        for key in self.stream.primary_key:
            if row.get(key) is None:
                raise SchemaError(
                    f"{self.stream.name}: a record has no {key!r} (primary key).",
                    hint="Pipedrive answered an unexpected shape; please report it.",
                )
        return row

    # ------------------------------------------------------------- text repair

    def _page_is_clean(self, rows: list[Row]) -> bool:
        """One C-level scan of the page: every text value joined, every JSON value dumped."""
        scan = self._scan or self._plan_scan(rows[0])
        text_of, json_of = scan
        try:
            texts = list(chain.from_iterable(map(text_of, rows)))
            values = list(map(json_of, rows))
        except KeyError:  # a row unlike the first: look at every value
            return False
        try:
            text = "".join(filter(None, texts))
        except TypeError:  # a number in a text column (e.g. an option id with no label)
            text = "".join([v for v in texts if type(v) is str])
        return is_clean(text) and _json_is_clean(values)

    def _plan_scan(self, row: Row) -> tuple[Callable[[Row], Any], Callable[[Row], Any]]:
        """Getters of the text and JSON columns the rows carry (always tuples)."""

        def getter(names: tuple[str, ...]) -> Callable[[Row], Any]:
            present = [n for n in names if n in row]
            if len(present) > 1:
                return itemgetter(*present)
            if present:
                name = present[0]
                return lambda r: (r[name],)
            return lambda r: ()

        self._scan = (getter(self._text_names), getter(self._json_names))
        return self._scan

    def _repair(self, rows: list[Row]) -> None:
        """Repair every value of ``rows`` in place, counting repaired values per column."""
        found: Counter[str] = Counter()
        for row in rows:
            for name, value in row.items():
                if type(value) in (str, dict, list):
                    fixed, count = repair_value(value)
                    if count:
                        row[name] = fixed
                        found[name] += 1
        if found:
            with self._lock:  # partitions of one stream are read by several threads
                self.repairs.update(found)

    def _build(self, record: Mapping[str, Any], parent_id: Any) -> dict[str, Any]:
        get = record.get
        row = {name: coerce(get(name)) for name, coerce in self._plain}
        for name in self._raw:
            row[name] = get(name)
        for name, getter, coerce in self._special:
            row[name] = coerce(getter(record, parent_id))
        fields = self.fields
        if fields is not None:
            if self._v1:
                row.update(fields.to_row_values_v1(record))
            else:
                row.update(fields.to_row_values(get("custom_fields")))
        return row

    def _locate(self, exc: SchemaError, record: Mapping[str, Any], parent_id: Any) -> SchemaError:
        """Redo the row column by column to name the column that failed."""
        where = "a custom field"
        for column in self.stream.columns:
            try:
                COERCERS[column.type](_getter(column.source)(record, parent_id))
            except SchemaError:
                where = f"column {column.name!r}"
                break
        return SchemaError(
            f"{self.stream.name} record {record.get('id')!r}, {where}: {exc.message}",
            hint=exc.hint,
        )


@functools.lru_cache(maxsize=128)
def normalizer_for(stream: StreamSpec, fields: FieldCatalog | None = None) -> Normalizer:
    return Normalizer(stream, fields)


def normalize(
    stream: StreamSpec,
    record: Mapping[str, Any],
    fields: FieldCatalog | None = None,
    *,
    parent_id: Any = None,
) -> dict[str, Any]:
    """The row of ``record`` (use :class:`Normalizer` directly in loops)."""
    return normalizer_for(stream, fields)(record, parent_id)
