"""Rows per second into each destination, and peak memory (a script, not a test).

Synthetic rows shaped like the medium emulator account's deals: 22 system columns and
30 custom fields (text, numbers, enums, monetary with currency, dates), loaded in
batches of 5,000 with ``merge`` (the sync engine's mode), then a second pass updating
every row (the steady-state incremental case). Each destination runs in its own
process so its peak RSS is its own.

    .venv/bin/python benchmarks/destinations_bench.py [--rows 100000] [--only duckdb]

PostgreSQL uses PDSYNC_TEST_POSTGRES_URL (default postgresql://postgres@127.0.0.1:5432/test)
and a throw-away schema.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from typing import Any

from pdsync.destinations import Batch, open_destination
from pdsync.schema import Column, LogicalType, TableSchema

BATCH = 5000
PG = os.environ.get("PDSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")
SYSTEM: list[tuple[str, LogicalType]] = [
    ("id", "integer"), ("title", "text"), ("creator_user_id", "integer"), ("owner_id", "integer"),
    ("value", "real"), ("currency", "text"), ("person_id", "integer"), ("org_id", "integer"),
    ("stage_id", "integer"), ("pipeline_id", "integer"), ("status", "text"),
    ("add_time", "timestamp"), ("update_time", "timestamp"), ("stage_change_time", "timestamp"),
    ("is_deleted", "boolean"), ("probability", "real"), ("lost_reason", "text"),
    ("visible_to", "text"), ("close_time", "timestamp"), ("won_time", "timestamp"),
    ("expected_close_date", "date"), ("label_ids", "json"),
]  # fmt: skip
CUSTOM_KINDS: list[LogicalType] = ["text", "real", "text", "integer", "date", "text"]


def schema() -> TableSchema:
    custom = [Column(f"custom field {i}", CUSTOM_KINDS[i % len(CUSTOM_KINDS)]) for i in range(30)]
    return TableSchema(
        "deals", tuple(Column(n, t) for n, t in SYSTEM) + tuple(custom), cursor="update_time"
    )


def make_row(i: int, version: int, columns: tuple[Column, ...]) -> dict[str, Any]:
    stamp = f"2024-{1 + i % 12:02d}-{1 + i % 28:02d}T10:{version:02d}:00Z"
    values: dict[str, Any] = {
        "integer": i * 7 + version, "real": i * 1.25 + version, "text": f"v{version} text {i % 977}",
        "timestamp": stamp, "date": stamp[:10], "boolean": i % 3 == 0, "json": [i % 5, 7],
    }  # fmt: skip
    row = {c.name: values[c.type] for c in columns}
    row["id"] = i
    return row


def target_url(name: str, folder: str) -> tuple[str, str | None]:
    if name == "postgres":
        schema_name = f"pdsync_bench_{uuid.uuid4().hex[:8]}"
        return f"{PG}?schema={schema_name}", schema_name
    return {
        "sqlite": f"sqlite:///{folder}/b.db",
        "duckdb": f"duckdb:///{folder}/b.duckdb",
        "parquet": f"file://{folder}/p?format=parquet",
        "csv": f"file://{folder}/c?format=csv",
        "jsonl": f"file://{folder}/j?format=jsonl",
    }[name], None


def run_one(name: str, rows: int) -> dict[str, Any]:
    table = schema()
    with tempfile.TemporaryDirectory() as folder:
        url, pg_schema = target_url(name, folder)
        dest = open_destination(url)
        try:
            timings = []
            for version in (1, 2):  # insert pass, then update-every-row pass
                batches = [
                    [make_row(i, version, table.columns) for i in range(s, min(s + BATCH, rows))]
                    for s in range(0, rows, BATCH)
                ]
                started = time.perf_counter()
                for chunk in batches:
                    dest.write_batch(Batch("deals", table, chunk))
                timings.append(time.perf_counter() - started)
            assert dest.count("deals") == rows
        finally:
            # Closing may flush work a destination deferred (DuckDB's and SQLite's final
            # checkpoint): it is timed too, so deferring cannot flatter the rows/s.
            started = time.perf_counter()
            dest.close()
            closed = time.perf_counter() - started
            if pg_schema:
                import psycopg

                with psycopg.connect(PG, autocommit=True) as conn:
                    conn.execute(f'DROP SCHEMA "{pg_schema}" CASCADE')
    peak_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return {
        "destination": name,
        "rows": rows,
        "columns": len(table.columns),
        "insert_rows_per_s": round(rows / timings[0]),
        "update_rows_per_s": round(rows / timings[1]),
        "close_s": round(closed, 3),
        "overall_rows_per_s": round(2 * rows / (sum(timings) + closed)),
        "peak_rss_mb": round(peak_mb),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument(
        "--only", choices=["sqlite", "duckdb", "postgres", "parquet", "csv", "jsonl"]
    )
    args = parser.parse_args()
    if args.only:
        print(json.dumps(run_one(args.only, args.rows)))
        return
    print(
        f"{'destination':12} {'insert rows/s':>14} {'update rows/s':>14} "
        f"{'with close':>11} {'peak RSS MB':>12}"
    )
    for name in ("sqlite", "duckdb", "postgres", "parquet", "csv", "jsonl"):
        cmd = [sys.executable, __file__, "--rows", str(args.rows), "--only", name]
        done = subprocess.run(cmd, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            print(f"{name:12} failed: {done.stderr.strip().splitlines()[-1:]}")
            continue
        r = json.loads(done.stdout)
        print(
            f"{name:12} {r['insert_rows_per_s']:>14,} {r['update_rows_per_s']:>14,} "
            f"{r['overall_rows_per_s']:>11,} {r['peak_rss_mb']:>12,}"
        )


if __name__ == "__main__":
    main()
