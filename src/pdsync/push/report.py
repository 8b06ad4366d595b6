"""The push report: one line per input row with action, Pipedrive id, status and message.

CSV or JSONL, chosen by the file's suffix. Written from the journal in input order, so
a report of a million rows needs no memory. Messages pass through :func:`redact`.
"""

from __future__ import annotations

import csv
import json
from collections.abc import Iterable
from pathlib import Path
from typing import Any

from pdsync.errors import ConfigError
from pdsync.push.plan import PlanItem
from pdsync.redact import redact

REPORT_COLUMNS = ("row", "action", "id", "status", "key", "message")


def report_status(item: PlanItem, dry_run: bool) -> str:
    """``applied``, ``failed``, ``error``, ``skipped`` or (dry run) ``planned``."""
    if item.action == "error":
        return "error"
    if item.status == "done":
        return "applied"
    if item.status == "failed":
        return "failed"
    if item.action == "skip":
        return "skipped"
    return "planned" if dry_run else "pending"


def report_record(item: PlanItem, dry_run: bool) -> dict[str, Any]:
    return {
        "row": item.row,
        "action": item.action,
        "id": item.record_id,
        "status": report_status(item, dry_run),
        "key": item.key,
        "message": redact(item.message),
    }


def write_report(path: Path, items: Iterable[PlanItem], *, dry_run: bool = False) -> int:
    """Write the report; return the number of rows written."""
    suffix = path.suffix.lower()
    if suffix not in (".csv", ".jsonl", ".ndjson", ".json"):
        raise ConfigError(
            f"Cannot tell the report format from {path.name!r}.",
            hint="Name the report .csv or .jsonl.",
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    count = 0
    with open(path, "w", encoding="utf-8", newline="") as handle:
        if suffix == ".csv":
            writer = csv.DictWriter(handle, fieldnames=REPORT_COLUMNS)
            writer.writeheader()
            for item in items:
                writer.writerow(report_record(item, dry_run))
                count += 1
        else:
            for item in items:
                handle.write(json.dumps(report_record(item, dry_run), default=str) + "\n")
                count += 1
    return count
