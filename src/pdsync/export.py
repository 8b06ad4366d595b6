"""``pdsync export``: one stream to CSV, JSON Lines or Parquet, in constant memory.

From the replica (default): ``SELECT`` of the stream's table — custom fields are
already columns named after the field — optionally filtered by ``where``, read with
``fetchmany`` and written chunk by chunk. Deleted records and pdsync's bookkeeping
columns are left out unless ``include_deleted``.

Live (``live=True``): straight from the API, page by page, through the same catalog,
custom-field mapping and normalisation the sync uses, so the columns are the ones a
replica would have. Nothing is stored.
"""

from __future__ import annotations

import csv
import importlib
import json
from collections.abc import Iterable, Iterator, Sequence
from typing import IO, Any, Protocol

from pdsync.destinations import open_destination
from pdsync.destinations.identifiers import quote
from pdsync.errors import ConfigError, DestinationError, MissingDependencyError
from pdsync.query import plain_value
from pdsync.schema import DELETED_AT, SYNCED_AT

__all__ = ["FORMATS", "export_live", "export_replica", "open_writer"]

FORMATS = ("csv", "jsonl", "parquet")
CHUNK = 5000


class RowWriter(Protocol):
    def write(self, rows: Sequence[Sequence[Any]]) -> None: ...

    def close(self) -> None: ...


class _CsvWriter:
    def __init__(self, out: IO[bytes], columns: Sequence[str]) -> None:
        self._out = out
        self._text = _TextOut(out)
        self._writer = csv.writer(self._text, lineterminator="\n")
        self._writer.writerow(columns)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        self._writer.writerows([[_cell(v) for v in row] for row in rows])
        self._text.flush()

    def close(self) -> None:
        self._text.flush()


class _JsonlWriter:
    def __init__(self, out: IO[bytes], columns: Sequence[str]) -> None:
        self._out = out
        self._columns = list(columns)

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        lines = (
            json.dumps(
                {c: plain_value(v) for c, v in zip(self._columns, row, strict=False)},
                ensure_ascii=False,
                default=str,
            )
            for row in rows
        )
        self._out.write("".join(line + "\n" for line in lines).encode())

    def close(self) -> None:
        self._out.flush()


class _ParquetWriter:
    """Each chunk becomes a row group, so memory holds one chunk whatever the table size."""

    def __init__(self, out: IO[bytes], columns: Sequence[str]) -> None:
        try:
            self._pa = importlib.import_module("pyarrow")
            self._pq = importlib.import_module("pyarrow.parquet")
        except ImportError:
            raise MissingDependencyError("pyarrow", "parquet") from None
        self._out = out
        self._columns = list(columns)
        self._schema: Any = None
        self._writer: Any = None

    def write(self, rows: Sequence[Sequence[Any]]) -> None:
        if not rows:
            return
        data = list(zip(*rows, strict=False))
        if self._schema is None:
            arrays = [self._pa.array([_cell(v) for v in col]) for col in data]
            self._schema = self._pa.schema(
                [
                    (n, a.type if str(a.type) != "null" else self._pa.string())
                    for n, a in zip(self._columns, arrays, strict=False)
                ]
            )
            self._writer = self._pq.ParquetWriter(self._out, self._schema, compression="zstd")
        arrays = []
        for col, field in zip(data, self._schema, strict=False):
            values = [_cell(v) for v in col]
            arrays.append(self._column(values, field))
        self._writer.write_table(self._pa.Table.from_arrays(arrays, schema=self._schema))

    def _column(self, values: list[Any], field: Any) -> Any:
        try:
            return self._pa.array(values, type=field.type)
        except (self._pa.ArrowInvalid, self._pa.ArrowTypeError, OverflowError):
            if field.type == self._pa.string():  # text column (or all-NULL first chunk)
                return self._pa.array([None if v is None else str(v) for v in values], field.type)
            raise DestinationError(
                f"Column {field.name!r} changes type part-way through the export.",
                hint="Export it with --format csv or --format jsonl, which have no column types.",
            ) from None

    def close(self) -> None:
        if self._writer is None:  # no rows at all: still a valid file, with text columns
            schema = self._pa.schema([(n, self._pa.string()) for n in self._columns])
            self._writer = self._pq.ParquetWriter(self._out, schema)
        self._writer.close()


class _TextOut:
    """A minimal text adapter over a binary stream, for the csv module."""

    def __init__(self, out: IO[bytes]) -> None:
        self._out = out
        self._parts: list[str] = []

    def write(self, text: str) -> int:
        self._parts.append(text)
        return len(text)

    def flush(self) -> None:
        if self._parts:
            self._out.write("".join(self._parts).encode())
            self._parts.clear()
        self._out.flush()


def _cell(value: Any) -> Any:
    value = plain_value(value)
    if isinstance(value, (dict, list, tuple)):
        return json.dumps(value, ensure_ascii=False)
    return value


def open_writer(fmt: str, out: IO[bytes], columns: Sequence[str]) -> RowWriter:
    if fmt == "csv":
        return _CsvWriter(out, columns)
    if fmt == "jsonl":
        return _JsonlWriter(out, columns)
    if fmt == "parquet":
        return _ParquetWriter(out, columns)
    raise ConfigError(f"Unknown export format {fmt!r}.", hint=f"Use one of {', '.join(FORMATS)}.")


def _write_all(writer: RowWriter, chunks: Iterable[Sequence[Sequence[Any]]]) -> int:
    total = 0
    try:
        for chunk in chunks:
            writer.write(chunk)
            total += len(chunk)
    finally:
        writer.close()
    return total


def export_replica(
    stream: str,
    out: IO[bytes],
    *,
    target: str | None = None,
    fmt: str = "csv",
    where: str | None = None,
    include_deleted: bool = False,
    chunk: int = CHUNK,
) -> int:
    """Write the replica's ``stream`` table to ``out``; returns the number of rows."""
    destination = open_destination(target, readonly=True)
    try:
        if stream not in destination.tables():
            raise DestinationError(
                f"No table {stream!r} in {destination.url}.",
                hint=f"Tables: {', '.join(destination.tables()) or 'none — run `pdsync sync` first'}.",
            )
        columns = [
            c
            for c in destination.table_columns(stream)
            if c != SYNCED_AT and (include_deleted or c != DELETED_AT)
        ]
        conditions = [] if include_deleted else [f"{quote(DELETED_AT)} IS NULL"]
        if where:
            conditions.append(f"({where})")
        sql = f"SELECT {', '.join(quote(c) for c in columns)} FROM {quote(stream)}"
        if conditions:
            sql += " WHERE " + " AND ".join(conditions)
        result = destination.query(sql)
        writer = open_writer(fmt, out, result.columns)
        return _write_all(writer, iter(lambda: result.fetchmany(chunk), []))
    finally:
        destination.close()


def export_live(stream: str, out: IO[bytes], client: Any, *, fmt: str = "csv") -> int:
    """Write ``stream`` read straight from the API (no replica) to ``out``."""
    from pdsync.catalog.registry import CATALOG
    from pdsync.catalog.tables import field_catalog, table_schema
    from pdsync.discover import fetch_field_defs
    from pdsync.sync.normalize import normalizer_for
    from pdsync.sync.reader import list_params, walk

    spec = CATALOG.get(stream)
    if spec is None:
        raise ConfigError(
            f"Unknown stream: {stream!r}.", hint="`pdsync discover` lists the streams."
        )
    if spec.parent is not None:
        raise ConfigError(
            f"{stream!r} is read per parent record, which --live does not do.",
            hint=f"Sync it, then export from the replica: pdsync sync {stream} && pdsync export {stream}.",
        )
    fields = None
    if spec.fields_entity:
        fields = field_catalog(spec.fields_entity, fetch_field_defs(client, spec.fields_entity))
    schema = table_schema(spec, fields)
    columns = [c.name for c in schema.columns if c.name not in (SYNCED_AT, DELETED_AT)]
    normalize = normalizer_for(spec, fields)

    def chunks() -> Iterator[list[tuple[Any, ...]]]:
        for page in walk(client, spec, list_params(spec)):
            rows = (normalize(record) for record in page.records)
            yield [tuple(row.get(c) for c in columns) for row in rows]

    return _write_all(open_writer(fmt, out, columns), chunks())
