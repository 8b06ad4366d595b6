"""Writing one batch file of the files destination: CSV, JSON Lines or Parquet.

Every file is written under a temporary name, flushed to disk, then renamed into place,
so a reader never sees half a file. Besides the table's columns each row carries
``_pdsync_seq`` (its position in the change log) and ``_pdsync_op`` (``upsert`` or
``delete``: a tombstone). Values are written as the row encoder makes them (booleans
0/1, JSON and instants as text); reading through DuckDB casts them to their types.
"""

from __future__ import annotations

import importlib
import io
import json
import os
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from pdsync.destinations.files_manifest import fsync_dir
from pdsync.errors import ConfigError, MissingDependencyError
from pdsync.schema import LogicalType

__all__ = ["FORMATS", "OP", "SEQ", "extension", "import_pyarrow", "write_batch_file"]

FORMATS = ("parquet", "csv", "jsonl")
SEQ = "_pdsync_seq"
OP = "_pdsync_op"


def import_pyarrow() -> Any:
    try:
        return importlib.import_module("pyarrow")
    except ImportError:
        raise MissingDependencyError("pyarrow", "parquet") from None


def extension(fmt: str) -> str:
    if fmt not in FORMATS:
        raise ConfigError(
            f"Unknown file format {fmt!r}.", hint=f"Use format={' or format='.join(FORMATS)}."
        )
    return fmt


def write_batch_file(
    path: Path,
    fmt: str,
    names: Sequence[str],
    types: Sequence[LogicalType],
    columns: Sequence[Sequence[Any]],
) -> None:
    """Write ``columns`` (one value list per name) to ``path`` atomically."""
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        if fmt == "parquet":
            _write_parquet(tmp, names, types, columns)
        else:
            with open(tmp, "w", encoding="utf-8", newline="") as handle:
                rows = list(zip(*columns, strict=True))
                if fmt == "csv":
                    _write_csv(handle, names, rows)
                else:
                    _write_jsonl(handle, names, rows)
                handle.flush()
                os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    fsync_dir(path.parent)


def _csv_field(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        return repr(value)
    return '"' + str(value).replace('"', '""') + '"'


def _write_csv(handle: io.TextIOBase, names: Sequence[str], rows: Sequence[Sequence[Any]]) -> None:
    # Every string is quoted and NULL is left bare, so NULL (empty) and the empty string
    # ("") stay distinct when DuckDB reads it back with allow_quoted_nulls = false.
    # (csv.QUOTE_NONNUMERIC quotes None too before Python 3.12, hence this writer.)
    handle.write(",".join(_csv_field(n) for n in names) + "\n")
    for row in rows:
        handle.write(",".join(_csv_field(v) for v in row) + "\n")


def _write_jsonl(
    handle: io.TextIOBase, names: Sequence[str], rows: Sequence[Sequence[Any]]
) -> None:
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str).encode
    for row in rows:
        handle.write(dumps(dict(zip(names, row, strict=False))))
        handle.write("\n")


_ARROW_TYPES = {"integer": "int64", "real": "float64", "boolean": "bool_"}


def _write_parquet(
    path: Path,
    names: Sequence[str],
    types: Sequence[LogicalType],
    columns: Sequence[Sequence[Any]],
) -> None:
    pa = import_pyarrow()
    parquet = importlib.import_module("pyarrow.parquet")
    arrays = [_arrow_array(pa, values, kind) for values, kind in zip(columns, types, strict=False)]
    table = pa.Table.from_arrays(arrays, names=list(names))
    with open(path, "wb") as handle:
        parquet.write_table(table, handle, compression="zstd")
        handle.flush()
        os.fsync(handle.fileno())


def _arrow_array(pa: Any, values: Sequence[Any], kind: LogicalType) -> Any:
    wanted = _ARROW_TYPES.get(kind)
    try:
        return pa.array(values, type=getattr(pa, wanted)() if wanted else pa.string())
    except (pa.ArrowInvalid, pa.ArrowTypeError, OverflowError):
        pass  # a value of another type (0/1 booleans, a number in a text column)
    if kind == "boolean":
        return pa.array([None if v is None else bool(v) for v in values], type=pa.bool_())
    return pa.array([v if v is None or isinstance(v, str) else str(v) for v in values], pa.string())
