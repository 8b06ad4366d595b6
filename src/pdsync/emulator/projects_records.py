"""Projects and tasks of an account: generated records, plan groups, and change history.

:class:`ProjectData` installs the projects family into a :class:`~pdsync.emulator.store.Store`
(tables, project fields, record makers) and derives what the API shows about a project
beyond its own record: its tasks, activities, plan groups and placements, and its
changelog. Records are canonical (v2 names, epoch-float times) like every other entity;
the resources render them for v1 and v2.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.dataset import record_rng
from pdsync.emulator.projects_data import (
    BOARD_KIND,
    GROUP_NAMES,
    SUBTASK_TITLES,
    TASK_TITLES,
    project_fields,
    project_tables,
)
from pdsync.emulator.projects_layout import (
    ARCHIVED,
    DELETED,
    DONE,
    MILESTONE,
    STATUSES,
    ProjectLayout,
)
from pdsync.emulator.values import company_name, iso_date

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
PlanKey = tuple[int, str, int]  # (project id, "task" | "activity", item id)
# Record keys that are not field values (the API sets them): not changelog entries.
_NOT_FIELDS = frozenset({"update_time", "custom_fields", "status_change_time", "is_deleted"})


class ProjectData:
    """The projects family of one store; created by the store itself."""

    def __init__(self, store: Store) -> None:
        from pdsync.emulator.store import Table

        self.store = store
        store.fields["project"] = project_fields(store.seed, store.option_ids, store.fields)
        for name, rows in project_tables(store.seed).items():
            store.tables[name] = Table(name, 0, rows)
        board_phases: dict[int, list[int]] = {}
        for phase in store.tables["phase"].overlay.values():
            board_phases.setdefault(phase["board_id"], []).append(phase["id"])
        self.layout = ProjectLayout(store.seed, store.counts, store.columns, board_phases)
        store.tables["project"] = Table("project", self.layout.projects)
        store.tables["task"] = Table("task", self.layout.tasks)
        store.generator.extra_makers["project"] = self.make_project
        store.generator.extra_makers["task"] = self.make_task
        store.generator.project_of_deal = self._project_of_deal
        self.changes: dict[int, list[Record]] = {}  # written changelog entries, oldest first
        self.plan: dict[PlanKey, tuple[int | None, int | None]] = {}  # moved plan items

    def _project_of_deal(self, deal_id: int | None) -> int | None:
        """The first call builds the layout, then hands the generator the bare map lookup
        (it runs for every generated activity)."""
        project = self.layout.project_of_deal(deal_id)
        self.store.generator.project_of_deal = self.layout.deal_project_lookup()
        return project

    # -- generated records -----------------------------------------------------------

    def make_project(self, i: int, custom: bool = True) -> Record:
        cols = self.layout.project_columns()
        rng = record_rng(self.store.seed, "project", i)
        deal_id = cols.deal_id[i] or None
        org_id = person_id = None
        if deal_id is not None:
            deals = self.store.columns.get("deal").ints
            org_id, person_id = deals["org_id"][deal_id] or None, deals["person_id"][deal_id] or None  # fmt: skip
        org = self.store.generator.make("organization", org_id, False) if org_id else None
        customer = org["name"] if org else company_name(rng)
        phase = self.store.tables["phase"].overlay.get(cols.phase_id[i]) or {}
        kind = BOARD_KIND.get(phase.get("board_id", 1), "project")
        added, flags, status = cols.add_time[i], cols.flags[i], STATUSES[cols.status[i]]
        start = added + rng.randint(0, 7) * 86400
        archived = bool(flags & ARCHIVED)
        record: Record = {
            "id": i,
            "title": f"{customer} {kind}",
            "description": f"{kind.capitalize()} for {customer}"
            + (f", after deal #{deal_id} was won." if deal_id else "."),
            "status": status,
            "board_id": phase.get("board_id"),
            "phase_id": cols.phase_id[i],
            "owner_id": cols.owner_id[i],
            "start_date": iso_date(start),
            "end_date": iso_date(start + rng.randint(30, 180) * 86400),
            "deal_ids": [deal_id] if deal_id else [],
            "person_ids": [person_id] if person_id else [],
            "org_ids": [org_id] if org_id else [],
            "label_ids": sorted(rng.sample((1, 2, 3), k=rng.randint(0, 1))),
            "health_status": rng.choice((None, 1, 2, 3)) if status == "open" else None,
            "add_time": added,
            "update_time": cols.update_time[i],
            "status_change_time": cols.status_change_time[i],
            "archive_time": cols.archive_time[i] or None,
            "is_archived": archived,
            "is_deleted": bool(flags & DELETED),
            "template_id": None,
        }
        if custom:
            record["custom_fields"] = self.store.generator.custom_fields("project", rng, added)
        return record

    def make_task(self, i: int, custom: bool = True) -> Record:
        cols = self.layout.task_columns()
        rng = record_rng(self.store.seed, "task", i)
        project = self.layout.project_of_task(i)
        parent, flags = cols.parent[i] or None, cols.flags[i]
        if parent is None:
            title = TASK_TITLES[(i - self.layout.task_start[project - 1]) % len(TASK_TITLES)]
        else:
            title = SUBTASK_TITLES[i % len(SUBTASK_TITLES)]
        added = cols.add_time[i]
        description = rng.choice((None, None, "See the customer's requirements document."))
        return {
            "id": i,
            "title": title,
            "project_id": project,
            "description": description,
            "parent_task_id": parent,
            "assignee_ids": [cols.assignee[i]] if cols.assignee[i] else [],
            "is_done": bool(flags & DONE),
            "is_milestone": bool(flags & MILESTONE),
            "due_date": iso_date(added + rng.randint(3, 45) * 86400),
            "start_date": iso_date(added + rng.randint(0, 2) * 86400)
            if rng.random() < 0.5
            else None,
            "priority": rng.choice((None, None, 1, 2, 3)),
            "creator_id": self.layout.project_columns().owner_id[project],
            "add_time": added,
            "update_time": cols.update_time[i],
            "marked_as_done_time": cols.done_time[i] or None,
            "is_deleted": bool(flags & DELETED),
        }

    # -- what hangs on a project ---------------------------------------------------

    def live(self, entity: str, record_id: Any) -> Record | None:
        record = self.store.get(entity, record_id)
        if record is None or record.get("is_deleted"):
            return None
        return record

    def tasks_of(self, project_id: int, include_deleted: bool = False) -> list[Record]:
        """The project's tasks in id order: generated ones still there, then written ones."""
        store, table = self.store, self.store.tables["task"]
        found: list[Record] = []
        for i in self.layout.task_range(project_id):
            record = store.get("task", i)
            if record is not None and record["project_id"] == project_id:
                found.append(record)
        found.extend(
            r for i, r in sorted(table.overlay.items())
            if r["project_id"] == project_id and (i > table.base_count or i not in self.layout.task_range(project_id))
        )  # fmt: skip
        found.sort(key=lambda r: r["id"])
        return [r for r in found if include_deleted or not r.get("is_deleted")]

    def activities_of(self, project_id: int) -> list[Record]:
        """Live activities linked to the project: its deal's generated ones and written ones."""
        store, table = self.store, self.store.tables["activity"]
        ids: set[int] = {i for i, r in table.overlay.items() if r.get("project_id") == project_id}
        if project_id <= self.layout.projects:
            deal = self.layout.project_columns().deal_id[project_id]
            if deal:
                ids.update(i for i in (2 * deal - 1, 2 * deal) if i <= table.base_count)
        found = (store.get("activity", i) for i in sorted(ids))
        return [
            r for r in found
            if r is not None and r.get("project_id") == project_id and not r.get("is_deleted")
        ]  # fmt: skip

    def groups(self, project_id: int) -> list[Record]:
        """Plan groups: two or three per project, with ids of their own."""
        count = 2 + project_id % 2
        return [
            {"id": (project_id - 1) * len(GROUP_NAMES) + n + 1, "name": name, "order_nr": n + 1}
            for n, name in enumerate(GROUP_NAMES[:count])
        ]

    def phases_of_board(self, board_id: Any) -> list[Record]:
        phases = self.store.tables["phase"].overlay.values()
        live = [p for p in phases if p["board_id"] == board_id and not p["is_deleted"]]
        return sorted(live, key=lambda p: (p["order_nr"], p["id"]))

    def plan_items(self, project: Record) -> list[Record]:
        """Tasks then activities of the project, each placed in a phase and a group."""
        project_id = project["id"]
        phases = [p["id"] for p in self.phases_of_board(project["board_id"])]
        groups = [g["id"] for g in self.groups(project_id)]
        tasks = self.tasks_of(project_id)
        items = []
        for n, task in enumerate(tasks):
            # Spread over the phases in task order, and over the groups in turn.
            phase = phases[min(len(phases) - 1, n * len(phases) // len(tasks))] if phases else None
            default = (phase, groups[n % len(groups)])
            items.append(self._item(project_id, "task", task["id"], default))
        first = (phases[0] if phases else None, groups[0])
        for activity in self.activities_of(project_id):
            items.append(self._item(project_id, "activity", activity["id"], first))
        return items

    def _item(
        self, project_id: int, kind: str, item_id: int, default: tuple[int | None, int | None]
    ) -> Record:
        phase_id, group_id = self.plan.get((project_id, kind, item_id), default)
        return {"item_id": item_id, "item_type": kind, "phase_id": phase_id, "group_id": group_id}

    def place(self, project_id: int, kind: str, item_id: int, phase_id: Any, group_id: Any) -> Record:  # fmt: skip
        with self.store.lock:
            self.plan[(project_id, kind, item_id)] = (phase_id, group_id)
        return self._item(project_id, kind, item_id, (None, None))

    # -- changelog -------------------------------------------------------------------

    def changelog(self, project_id: int) -> list[Record]:
        """Field changes, newest first: the generated history, then API writes."""
        entries = self._generated_history(project_id) + self.changes.get(project_id, [])
        return sorted(entries, key=lambda e: e["time"], reverse=True)

    def record_change(self, project_id: int, old: Record, new: Record, user_id: int, agent: str | None) -> None:  # fmt: skip
        keys = [k for k in new if k not in _NOT_FIELDS and old.get(k) != new[k]]
        old_values = {k: old.get(k) for k in keys}
        new_values = {k: new[k] for k in keys}
        before, after = old.get("custom_fields") or {}, new.get("custom_fields") or {}
        for key in after:
            if before.get(key) != after[key]:
                old_values[key], new_values[key] = before.get(key), after[key]
        if not new_values:
            return
        entry = {"change_source": "api", "change_source_user_agent": agent,
                 "time": new["update_time"], "old_values": old_values, "new_values": new_values,
                 "actor_user_id": user_id}  # fmt: skip
        with self.store.lock:
            self.changes.setdefault(project_id, []).append(entry)

    def _generated_history(self, project_id: int) -> list[Record]:
        """Phase moves, then the status change, between the project's creation and its
        last edit; the newest entry is at ``last_edit`` (the record's ``update_time``
        unless it was archived or deleted later)."""
        if not 1 <= project_id <= self.layout.projects:
            return []
        cols = self.layout.project_columns()
        added, last, owner = cols.add_time[project_id], cols.last_edit[project_id], cols.owner_id[project_id]  # fmt: skip
        status, index = STATUSES[cols.status[project_id]], cols.phase_index[project_id]
        phase = self.store.tables["phase"].overlay.get(cols.phase_id[project_id]) or {}
        path = self.layout.board_phases.get(phase.get("board_id", 0), [])[: index + 1]
        entries = []
        moves_end = last if status == "open" else added + (last - added) * len(path) / (len(path) + 1)  # fmt: skip
        for j in range(1, len(path)):
            when = added + (moves_end - added) * j / (len(path) - 1)
            entries.append(self._entry(when, owner, {"phase_id": path[j - 1]}, {"phase_id": path[j]}))  # fmt: skip
        if status != "open":
            entries.append(self._entry(last, owner, {"status": "open"}, {"status": status}))
        return entries

    @staticmethod
    def _entry(when: float, user: int, old: Record, new: Record) -> Record:
        return {"change_source": "app", "change_source_user_agent": None, "time": when,
                "old_values": old, "new_values": new, "actor_user_id": user}  # fmt: skip
