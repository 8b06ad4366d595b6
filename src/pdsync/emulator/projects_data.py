"""The projects family's small tables: boards, phases, templates, and project fields.

Boards and their phases, the project templates (with the tasks a project created from
one starts with) and the project field definitions are few, so they are built whole at
start-up, like pipelines and stages. Projects and tasks are many: see
:mod:`pdsync.emulator.projects_layout`.
"""

from __future__ import annotations

import random
from typing import Any

from pdsync.emulator.dataset import REFERENCE_TIME, START_TIME
from pdsync.emulator.fields import FieldDef, OptionIds, field_key

Record = dict[str, Any]

# Board name -> its phases, in order. A project moves through the phases of its board.
BOARDS: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("Onboarding", ("Kick-off", "Setup", "Training", "Go-live")),
    ("Implementation", ("Discovery", "Design", "Build", "Test", "Launch")),
    ("Customer success", ("Adoption", "Business review", "Renewal")),
)
# What a project of each board is called after its customer ("Acme Ltd onboarding").
BOARD_KIND = {1: "onboarding", 2: "implementation", 3: "success plan"}
# Template: (title, description, board id, the tasks a project created from it starts with).
TEMPLATES: tuple[tuple[str, str, int, tuple[str, ...]], ...] = (
    ("Standard onboarding", "Kick-off to go-live for a new customer", 1,
     ("Kick-off call", "Import customer data", "Configure pipelines", "Train admins",
      "Go-live check")),
    ("Enterprise rollout", "Phased rollout with a pilot team", 2,
     ("Discovery workshop", "Solution design", "Pilot build", "User acceptance test",
      "Rollout plan", "Launch review")),
    ("Quarterly business review", "Review adoption and agree next steps", 3,
     ("Collect usage figures", "Prepare review deck", "Hold review meeting")),
)  # fmt: skip
# Task titles of generated projects (top-level tasks) and of their subtasks.
TASK_TITLES = (
    "Kick-off call", "Collect requirements", "Import customer data", "Configure pipelines",
    "Set up integrations", "Train admins", "Train sales team", "Go-live check",
    "Success plan", "Review adoption", "Migrate historical deals", "Security review",
)  # fmt: skip
SUBTASK_TITLES = (
    "Prepare agenda", "Send invitation", "Share recording", "Collect CSV exports",
    "Map custom fields", "Verify totals", "Book training room", "Write summary",
)  # fmt: skip
# Groups of a project plan (``/projects/{id}/groups``), in order.
GROUP_NAMES = ("Preparation", "Delivery", "Follow-up")

# System fields of projects: (key, name, type) — types as the v2 field schema lists them.
PROJECT_SYSTEM_FIELDS = (
    ("id", "ID", "int"), ("title", "Title", "varchar"), ("description", "Description", "text"),
    ("status", "Status", "status"), ("board_id", "Board", "projects_board"),
    ("phase_id", "Phase", "projects_phase"), ("owner_id", "Owner", "user"),
    ("start_date", "Start date", "date"), ("end_date", "End date", "date"),
    ("deal_ids", "Deals", "deals"), ("person_ids", "Contact persons", "people"),
    ("org_ids", "Organizations", "org"), ("label_ids", "Labels", "set"),
    ("health_status", "Health status", "int"), ("add_time", "Project created", "date"),
    ("update_time", "Update time", "date"), ("status_change_time", "Status changed", "date"),
    ("archive_time", "Archived", "date"),
)  # fmt: skip
PROJECT_CUSTOM_FIELDS = (
    ("Project code", "varchar"), ("Budget", "monetary"), ("Go-live date", "date"),
    ("Delivery region", "enum"), ("Technical lead", "user"), ("Customer contact", "people"),
    ("Scope notes", "text"), ("Hours estimated", "double"), ("Modules", "set"),
    ("Site address", "address"), ("Contract term", "daterange"),
)  # fmt: skip
_OPTIONS = {"Delivery region": ("EMEA", "Americas", "APAC"),
            "Modules": ("CRM", "Projects", "Campaigns", "Insights", "Smart Docs")}  # fmt: skip


def project_fields(seed: int, option_ids: OptionIds, existing: dict[str, list[FieldDef]]) -> list[FieldDef]:  # fmt: skip
    """System fields then custom fields of projects; ids continue after every other field's."""
    next_id = max((f.id for defs in existing.values() for f in defs), default=0) + 1
    defs: list[FieldDef] = []
    for key, name, ftype in PROJECT_SYSTEM_FIELDS:
        defs.append(FieldDef(next_id, key, name, ftype, False, len(defs)))
        next_id += 1
    for name, ftype in PROJECT_CUSTOM_FIELDS:
        when = START_TIME + random.Random(f"{seed}:project:{name}").random() * (REFERENCE_TIME - START_TIME) / 3  # fmt: skip
        fdef = FieldDef(next_id, field_key(seed, "project", next_id), name, ftype, True,
                        len(defs), when, when)  # fmt: skip
        if name in _OPTIONS:
            fdef.options = option_ids.make(_OPTIONS[name], when)
        defs.append(fdef)
        next_id += 1
    return defs


def project_tables(seed: int) -> dict[str, dict[Any, Record]]:
    """Boards, phases and templates, in the overlay shape (id -> record)."""
    rng = random.Random(f"{seed}:project-tables")
    boards: dict[Any, Record] = {}
    phases: dict[Any, Record] = {}
    for b, (name, phase_names) in enumerate(BOARDS, start=1):
        created = START_TIME + rng.random() * 86400 * 10
        boards[b] = {"id": b, "name": name, "order_nr": b, "add_time": created,
                     "update_time": created, "is_deleted": False}  # fmt: skip
        for order, phase in enumerate(phase_names, start=1):
            pid = len(phases) + 1
            phases[pid] = {"id": pid, "name": phase, "board_id": b, "order_nr": order,
                           "add_time": created, "update_time": created, "is_deleted": False}  # fmt: skip
    templates: dict[Any, Record] = {}
    for t, (title, description, board, _tasks) in enumerate(TEMPLATES, start=1):
        created = START_TIME + 86400 * 20 + rng.random() * 86400 * 60
        templates[t] = {"id": t, "title": title, "description": description,
                        "projects_board_id": board, "owner_id": 1, "add_time": created,
                        "update_time": created, "is_deleted": False}  # fmt: skip
    return {"board": boards, "phase": phases, "project_template": templates}


def template_tasks(template_id: int) -> tuple[str, ...]:
    """The task titles a project created from a (built-in) template starts with."""
    if 1 <= template_id <= len(TEMPLATES):
        return TEMPLATES[template_id - 1][3]
    return ()
