"""``pdsync query``: run SQL against the replica and print the answer.

Works on every destination: SQLite, DuckDB and PostgreSQL run the SQL themselves; a
files replica answers through DuckDB over its latest-wins views. The replica is opened
read-only, so a query can never damage it. Output formats:

``table``  an aligned text table (rows are buffered to size the columns; at most
           ``max_rows`` are shown, then a note says how many were left out)
``csv``    RFC 4180 with a header row, streamed
``json``   one JSON array of objects, streamed (instants as ISO text)
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator, Sequence
from datetime import date, datetime, time, timezone
from decimal import Decimal
from typing import Any, TextIO

from pdsync.destinations import open_destination
from pdsync.destinations.base import QueryResult
from pdsync.errors import ConfigError

__all__ = ["FORMATS", "plain_value", "run_query", "write_result"]

FORMATS = ("table", "csv", "json")
_CHUNK = 1000


def plain_value(value: Any) -> Any:
    """A value as JSON/CSV can carry it: instants as ISO text, decimals as numbers."""
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = value.astimezone(timezone.utc).replace(tzinfo=None)
        return value.isoformat(timespec="seconds") + "Z"
    if isinstance(value, (date, time)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return float(value)
    if isinstance(value, (bytes, bytearray, memoryview)):
        return bytes(value).hex()
    return value


def _rows(result: QueryResult) -> Iterator[tuple[Any, ...]]:
    while True:
        chunk = result.fetchmany(_CHUNK)
        if not chunk:
            return
        yield from chunk


def run_query(
    sql: str, out: TextIO, *, target: str | None = None, fmt: str = "table", max_rows: int = 1000
) -> int:
    """Run ``sql`` on the replica at ``target`` and write the answer; returns rows written."""
    if fmt not in FORMATS:
        raise ConfigError(
            f"Unknown output format {fmt!r}.", hint=f"Use one of {', '.join(FORMATS)}."
        )
    if not sql.strip():
        raise ConfigError(
            "The SQL is empty.",
            hint='Pass a statement, e.g. pdsync query "select count(*) from deals".',
        )
    destination = open_destination(target, readonly=True)
    try:
        return write_result(destination.query(sql), out, fmt, max_rows=max_rows)
    finally:
        destination.close()


def write_result(result: QueryResult, out: TextIO, fmt: str, *, max_rows: int = 1000) -> int:
    if fmt == "csv":
        return _write_csv(result.columns, _rows(result), out)
    if fmt == "json":
        return _write_json(result.columns, _rows(result), out)
    return _write_table(result.columns, _rows(result), out, max_rows)


def _write_csv(columns: Sequence[str], rows: Iterator[tuple[Any, ...]], out: TextIO) -> int:
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    count = 0
    for row in rows:
        writer.writerow([_csv_cell(v) for v in row])
        count += 1
    return count


def _csv_cell(value: Any) -> Any:
    value = plain_value(value)
    if isinstance(value, (dict, list)):
        return json.dumps(value, ensure_ascii=False)
    return value


def _write_json(columns: Sequence[str], rows: Iterator[tuple[Any, ...]], out: TextIO) -> int:
    count = 0
    out.write("[")
    for row in rows:
        record = {c: plain_value(v) for c, v in zip(columns, row, strict=False)}
        out.write(
            ("," if count else "") + "\n  " + json.dumps(record, ensure_ascii=False, default=str)
        )
        count += 1
    out.write("\n]\n" if count else "]\n")
    return count


def _text(value: Any) -> str:
    value = plain_value(value)
    if value is None:
        return "NULL"
    if isinstance(value, (dict, list)):
        value = json.dumps(value, ensure_ascii=False)
    return str(value).replace("\n", "\\n")


def _write_table(
    columns: Sequence[str], rows: Iterator[tuple[Any, ...]], out: TextIO, max_rows: int
) -> int:
    shown: list[list[str]] = []
    total = 0
    for row in rows:
        total += 1
        if len(shown) < max_rows:
            shown.append([_text(v)[:200] for v in row])
    widths = [len(c) for c in columns]
    for cells in shown:
        widths = [max(w, len(c)) for w, c in zip(widths, cells, strict=False)]
    line = "  ".join
    out.write(line(c.ljust(w) for c, w in zip(columns, widths, strict=False)).rstrip() + "\n")
    out.write(line("-" * w for w in widths) + "\n")
    for cells in shown:
        out.write(line(c.ljust(w) for c, w in zip(cells, widths, strict=False)).rstrip() + "\n")
    more = (
        f"; {total - len(shown)} more not shown (use --format csv or json)"
        if total > len(shown)
        else ""
    )
    out.write(f"({total} row{'s' if total != 1 else ''}{more})\n")
    return total
