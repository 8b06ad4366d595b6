"""SQLite write throughput: merge N rows of 40 columns in batches; prints rows/s and peak RSS.

    .venv/bin/python benchmarks/sqlite_write_bench.py [--rows 200000] [--batch 500]

Runs twice over the same keys: the first pass inserts, the second updates (ON CONFLICT).
"""

from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from pdsync.destinations import Batch, open_destination
from pdsync.schema import Column, LogicalType, TableSchema
from pdsync.sync.state import StreamState

TYPES: tuple[LogicalType, ...] = ("integer", "text", "real", "timestamp", "boolean")


def schema() -> TableSchema:
    cols = [Column("id", "integer"), Column("update_time", "timestamp")]
    cols += [Column(f"col_{i:02d}", TYPES[i % len(TYPES)]) for i in range(38)]
    return TableSchema("deals", tuple(cols), cursor="update_time")


def make_row(i: int, table: TableSchema) -> dict[str, Any]:
    row: dict[str, Any] = {"id": i, "update_time": "2024-05-01T12:00:00Z"}
    for col in table.columns[2:]:
        row[col.name] = {
            "integer": i * 7,
            "text": f"value {i} of {col.name}",
            "real": i / 3,
            "timestamp": "2024-05-01T12:00:00Z",
            "boolean": i % 2 == 0,
        }[col.type]
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=200_000)
    parser.add_argument("--batch", type=int, default=500)
    args = parser.parse_args()
    table = schema()
    with tempfile.TemporaryDirectory() as tmp:
        url = f"sqlite:///{Path(tmp) / 'bench.db'}"
        for label in ("insert", "update"):
            seconds = timed_pass(url, args.rows, args.batch, table)
            print(
                f"{label}: {args.rows:,} rows x 40 columns in {seconds:.2f}s = {args.rows / seconds:,.0f} rows/s"
            )
        size = (Path(tmp) / "bench.db").stat().st_size
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    scale = 1 if sys.platform == "darwin" else 1024  # ru_maxrss is KiB on Linux, bytes on macOS
    print(f"database size: {size / 2**20:.1f} MiB; peak RSS: {peak * scale / 2**20:.1f} MiB")


def timed_pass(url: str, rows: int, batch_size: int, table: TableSchema) -> float:
    """Seconds spent inside write_batch only (row generation stands in for the API)."""
    dest = open_destination(url)
    spent = 0.0
    for start in range(0, rows, batch_size):
        batch_rows = [make_row(i, table) for i in range(start, min(start + batch_size, rows))]
        st = StreamState("deals", bookmark="2024-05-01T12:00:00Z")
        t0 = time.perf_counter()
        dest.write_batch(Batch("deals", table, batch_rows, state={"deals": st}))
        spent += time.perf_counter() - t0
    dest.close()
    return spent


if __name__ == "__main__":
    main()
