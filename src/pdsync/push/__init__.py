"""Push: write rows from files back to Pipedrive, safely (plan, dry run, journal, report).

>>> from pdsync.push import PushOptions, run_push, read_rows, Journal
>>> with Journal(path) as journal:
...     result = run_push(client, read_rows("people.csv"), PushOptions("persons", "upsert",
...                       key="email"), journal)
"""

from __future__ import annotations

from pdsync.push.engine import PushOptions, PushResult, load_fields, run_push
from pdsync.push.inputs import InputRow, detect_format, read_rows
from pdsync.push.journal import Journal, default_journal_path
from pdsync.push.objects import MODES, OBJECTS, ObjectSpec, get_object
from pdsync.push.plan import PlanItem, PlanSummary, render_item
from pdsync.push.report import write_report

__all__ = [
    "MODES",
    "OBJECTS",
    "InputRow",
    "Journal",
    "ObjectSpec",
    "PlanItem",
    "PlanSummary",
    "PushOptions",
    "PushResult",
    "default_journal_path",
    "detect_format",
    "get_object",
    "load_fields",
    "read_rows",
    "render_item",
    "run_push",
    "write_report",
]
