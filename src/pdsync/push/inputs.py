"""Read the rows to push from CSV, JSONL or Parquet files, or standard input.

Rows are yielded one at a time (Parquet one record batch at a time), so memory stays
flat however large the file. Each row keeps its 1-based data row number, which the
plan, the journal and the report use to point back at the input.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO, Any, Literal

from pdsync.errors import ConfigError, MissingDependencyError

InputFormat = Literal["csv", "jsonl", "parquet"]

_SUFFIXES: dict[str, InputFormat] = {
    ".csv": "csv",
    ".tsv": "csv",
    ".jsonl": "jsonl",
    ".ndjson": "jsonl",
    ".json": "jsonl",
    ".parquet": "parquet",
    ".pq": "parquet",
}


@dataclass(frozen=True)
class InputRow:
    number: int  # 1-based position among the data rows
    values: dict[str, Any]

    def fingerprint(self) -> str:
        """A stable hash of the row's content: a rerun recognises the same row by it."""
        text = json.dumps(self.values, sort_keys=True, default=str, ensure_ascii=False)
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def detect_format(source: str, explicit: str | None = None) -> InputFormat:
    """The input format from ``--format`` or the file's suffix (stdin defaults to CSV)."""
    if explicit:
        for known in ("csv", "jsonl", "parquet"):
            if explicit.lower() == known:
                return known
        raise ConfigError(f"Unknown input format {explicit!r}.", hint="Use csv, jsonl or parquet.")
    if source == "-":
        return "csv"
    found = _SUFFIXES.get(Path(source).suffix.lower())
    if found is None:
        raise ConfigError(
            f"Cannot tell the format of {source!r} from its name.",
            hint="Name it .csv, .jsonl or .parquet, or pass --format csv|jsonl|parquet.",
        )
    return found


def read_rows(source: str, fmt: InputFormat | None = None) -> Iterator[InputRow]:
    """Yield the rows of ``source`` (a path, or ``-`` for standard input)."""
    fmt = fmt or detect_format(source)
    if source != "-" and not Path(source).is_file():
        raise ConfigError(f"Input file {source!r} does not exist.", hint="Check the path.")
    if fmt == "parquet":
        if source == "-":
            raise ConfigError(
                "Parquet cannot be read from standard input.", hint="Pass the file path."
            )
        yield from _parquet_rows(Path(source))
        return
    if source == "-":
        stream: IO[str] = io.TextIOWrapper(sys.stdin.buffer, encoding="utf-8-sig", newline="")
        yield from _text_rows(stream, fmt, source)
        return
    with open(source, encoding="utf-8-sig", newline="") as handle:
        yield from _text_rows(handle, fmt, source)


def _text_rows(stream: IO[str], fmt: InputFormat, source: str) -> Iterator[InputRow]:
    if fmt == "jsonl":
        yield from _jsonl_rows(stream, source)
    else:
        yield from _csv_rows(stream, source)


def _csv_rows(stream: IO[str], source: str) -> Iterator[InputRow]:
    delimiter = "\t" if source.lower().endswith(".tsv") else ","
    reader = csv.reader(stream, delimiter=delimiter)
    header = next(reader, None)
    if header is None:
        return
    names = [name.strip() for name in header]
    _check_header(names, source)
    for number, cells in enumerate(reader, start=1):
        if not any(cell.strip() for cell in cells):
            continue  # a blank line is not a row
        if len(cells) > len(names):
            values: dict[str, Any] = dict(zip(names, cells, strict=False))
            values["__extra_cells__"] = cells[len(names) :]
        else:
            values = dict(zip(names, cells, strict=False))
        yield InputRow(number, values)


def _check_header(names: list[str], source: str) -> None:
    seen: set[str] = set()
    for name in names:
        if not name:
            raise ConfigError(f"{source}: the header has an empty column name.", hint="Name it.")
        if name in seen:
            raise ConfigError(
                f"{source}: the header names column {name!r} twice.", hint="Rename one of them."
            )
        seen.add(name)


def _jsonl_rows(stream: IO[str], source: str) -> Iterator[InputRow]:
    number = 0
    for line in stream:
        if not line.strip():
            continue
        number += 1
        try:
            value = json.loads(line)
        except json.JSONDecodeError as exc:
            yield InputRow(number, {"__invalid__": f"not valid JSON ({exc.msg})"})
            continue
        if not isinstance(value, dict):
            yield InputRow(number, {"__invalid__": "a JSON line must be an object"})
            continue
        yield InputRow(number, value)


def _parquet_rows(path: Path) -> Iterator[InputRow]:
    try:
        import pyarrow.parquet as pq
    except ImportError:  # pragma: no cover - depends on the installed extras
        raise MissingDependencyError("pyarrow", "parquet") from None
    parquet = pq.ParquetFile(path)
    number = 0
    for batch in parquet.iter_batches(batch_size=1000):
        for record in batch.to_pylist():
            number += 1
            yield InputRow(number, dict(record))
