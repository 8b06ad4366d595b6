"""Where the generated projects and tasks sit: compact columns, built on first use.

An account has one project per :data:`DEALS_PER_PROJECT` deals, each started soon after
a won deal (the most common way projects begin), so its times, customer and activities
agree with that deal. Each project has 2-10 tasks with consecutive ids; the task → project
map is a bisection over the first task id of every project, decided at start-up (cheap:
one draw per project). Everything that lists filter on — status, phase, owner, flags,
parent task, assignee, done — is an array here, so a filtered scan generates only the
records it returns, and a generated record always agrees with the filters.
"""

from __future__ import annotations

import random
import threading
from array import array
from bisect import bisect_right
from collections.abc import Callable
from dataclasses import dataclass

from pdsync.emulator.dataset import REFERENCE_TIME, START_TIME, ColumnBuilder, Counts

DEALS_PER_PROJECT = 40
STATUSES = ("open", "completed", "canceled")
DAY = 86400.0
# Column flags (project and task): bit 0 deleted, bit 1 archived (projects) / done (tasks),
# bit 2 milestone (tasks).
DELETED, ARCHIVED, DONE, MILESTONE = 1, 2, 2, 4


def project_count(deals: int) -> int:
    if deals <= 0:
        return 0
    return max(min(deals, 3), deals // DEALS_PER_PROJECT)


@dataclass
class ProjectColumns:
    add_time: array[float]
    update_time: array[float]
    status_change_time: array[float]
    last_edit: array[float]  # the last phase/status change (the changelog's newest entry)
    archive_time: array[float]  # 0.0 = not archived
    status: array[int]  # index in STATUSES
    phase_id: array[int]
    phase_index: array[int]  # position of phase_id on its board (0 = first phase)
    owner_id: array[int]
    deal_id: array[int]  # 0 = none
    flags: bytearray


@dataclass
class TaskColumns:
    add_time: array[float]
    update_time: array[float]
    done_time: array[float]  # 0.0 = not done
    parent: array[int]  # 0 = a top-level task
    assignee: array[int]  # 0 = unassigned
    flags: bytearray


class ProjectLayout:
    """Counts and task ranges at start-up; project and task columns on first use."""

    def __init__(
        self, seed: int, counts: Counts, columns: ColumnBuilder, board_phases: dict[int, list[int]]
    ) -> None:
        self.seed = seed
        self.counts = counts
        self.deal_columns = columns
        self.board_phases = board_phases
        self.projects = project_count(counts.deal)
        rng = random.Random(f"{seed}:project-tasks")
        starts = array("I", [1])
        for _ in range(self.projects):
            starts.append(starts[-1] + rng.randint(2, 10))
        self.task_start = starts  # tasks of project p: task_start[p - 1] .. task_start[p] - 1
        self.tasks = starts[-1] - 1
        self._projects: ProjectColumns | None = None
        self._tasks: TaskColumns | None = None
        self._deal_project: dict[int, int] = {}
        self._lock = threading.Lock()

    # -- ranges ----------------------------------------------------------------

    def project_of_task(self, task: int) -> int:
        return bisect_right(self.task_start, task)

    def task_range(self, project: int) -> range:
        if not 1 <= project <= self.projects:
            return range(0)
        return range(self.task_start[project - 1], self.task_start[project])

    def project_of_deal(self, deal_id: int | None) -> int | None:
        """The generated project started from this deal (its activities are the project's)."""
        if not deal_id or not self.projects:
            return None
        self.project_columns()
        return self._deal_project.get(deal_id)

    def deal_project_lookup(self) -> Callable[[int | None], int | None]:
        """``project_of_deal`` as a plain dict lookup, once the columns are built."""
        self.project_columns()
        lookup: Callable[[int | None], int | None] = self._deal_project.get  # type: ignore[assignment]
        return lookup

    # -- columns -----------------------------------------------------------------

    def project_columns(self) -> ProjectColumns:
        cols = self._projects
        if cols is None:
            with self._lock:
                if self._projects is None:
                    self._projects = self._build_projects()
                cols = self._projects
        return cols

    def task_columns(self) -> TaskColumns:
        cols = self._tasks
        if cols is None:
            projects = self.project_columns()
            with self._lock:
                if self._tasks is None:
                    self._tasks = self._build_tasks(projects)
                cols = self._tasks
        return cols

    def _started_from(self, rng: random.Random) -> list[tuple[float, int]]:
        """``(start time, deal id)`` of each project: won deals first, then any deal."""
        n, deals = self.projects, self.counts.deal
        if not deals:
            return [(START_TIME + rng.random() * (REFERENCE_TIME - START_TIME), 0) for _ in range(n)]  # fmt: skip
        cols = self.deal_columns.get("deal")
        status, flags, upd = cols.ints["status"], cols.flags, cols.update_time
        won = [d for d in range(1, deals + 1) if status[d] == 1 and not flags[d] & 1]
        picked = sorted(rng.sample(won, n)) if len(won) >= n else won
        if len(picked) < n:
            taken = set(picked)
            others = [d for d in range(1, deals + 1) if d not in taken]
            picked += rng.sample(others, min(n - len(picked), len(others)))
        starts = [(upd[d], d) for d in picked]
        starts += [(START_TIME + rng.random() * (REFERENCE_TIME - START_TIME), 0)] * (n - len(starts))  # fmt: skip
        return starts

    def _build_projects(self) -> ProjectColumns:
        rng = random.Random(f"{self.seed}:columns:project")
        rand = rng.random
        starts = sorted(
            (min(t + 3600 + rand() * 5 * DAY, REFERENCE_TIME - 3600), d)
            for t, d in self._started_from(rng)
        )  # ids grow with time, as in a real account
        cols = ProjectColumns(
            add_time=array("d", [0.0]), update_time=array("d", [0.0]),
            status_change_time=array("d", [0.0]), last_edit=array("d", [0.0]),
            archive_time=array("d", [0.0]),
            status=array("B", [0]), phase_id=array("H", [0]), phase_index=array("B", [0]),
            owner_id=array("H", [0]), deal_id=array("I", [0]), flags=bytearray(1),
        )  # fmt: skip
        boards = sorted(self.board_phases)
        for n, (added, deal) in enumerate(starts, start=1):
            board = boards[0] if rand() < 0.5 or len(boards) == 1 else rng.choice(boards[1:])
            phases = self.board_phases[board]
            age = REFERENCE_TIME - added
            roll = rand()
            if age > 150 * DAY:
                status = 1 if roll < 0.85 else (2 if roll < 0.93 else 0)
            elif age > 40 * DAY:
                status = 1 if roll < 0.4 else (2 if roll < 0.45 else 0)
            else:
                status = 0
            if status == 1:
                index = len(phases) - 1
            elif status == 2:
                index = rng.randrange(len(phases))
            else:
                index = min(len(phases) - 1, rng.randint(0, int(age // (20 * DAY))))
            if status:
                changed = min(added + rng.uniform(20, 140) * DAY, REFERENCE_TIME - 60)
                last = changed
            else:
                changed = added
                last = added + (REFERENCE_TIME - added) * rand() if index else added
            flag, updated, archived = 0, last, 0.0
            if status == 1 and REFERENCE_TIME - changed > 180 * DAY and rand() < 0.6:
                flag |= ARCHIVED
                updated = archived = min(changed + rng.uniform(30, 120) * DAY, REFERENCE_TIME - 30)
            if rand() < 0.02:
                flag |= DELETED
                updated = min(updated + rng.uniform(1, 30) * DAY, REFERENCE_TIME - 1)
            cols.add_time.append(added)
            cols.update_time.append(updated)
            cols.status_change_time.append(changed)
            cols.last_edit.append(last)
            cols.archive_time.append(archived)
            cols.status.append(status)
            cols.phase_id.append(phases[index])
            cols.phase_index.append(index)
            cols.owner_id.append(1 + int(rand() * self.counts.user))
            cols.deal_id.append(deal)
            cols.flags.append(flag)
            if deal:
                self._deal_project[deal] = n
        return cols

    def _build_tasks(self, projects: ProjectColumns) -> TaskColumns:
        rng = random.Random(f"{self.seed}:columns:task")
        rand = rng.random
        cols = TaskColumns(
            add_time=array("d", [0.0]), update_time=array("d", [0.0]), done_time=array("d", [0.0]),
            parent=array("I", [0]), assignee=array("H", [0]), flags=bytearray(1),
        )  # fmt: skip
        users = self.counts.user
        for p in range(1, self.projects + 1):
            tasks = self.task_range(p)
            k, first = len(tasks), tasks.start
            top = max(1, (k * 3 + 4) // 5)
            added, status = projects.add_time[p], projects.status[p]
            phases = len(self.board_phases.get(self._board_of(projects.phase_id[p]), [1]))
            progress = (projects.phase_index[p] + 0.5) / phases
            end = projects.status_change_time[p] if status else max(projects.last_edit[p], added + 7 * DAY)  # fmt: skip
            end = min(end, REFERENCE_TIME - 1)
            deleted = projects.flags[p] & DELETED
            for j in range(k):
                created = added + j * 1800 + rand() * 600
                flag = DELETED if deleted else 0
                if j < top and rand() < 0.15:
                    flag |= MILESTONE
                done = status == 1 or (status == 2 and j < k * 0.3) or (status == 0 and (j + rand()) / k < progress)  # fmt: skip
                done_at = 0.0
                if done:
                    flag |= DONE
                    done_at = max(created, created + (end - created) * (j + 1) / (k + 1))
                cols.add_time.append(created)
                cols.update_time.append(
                    projects.update_time[p] if deleted else (done_at or created)
                )
                cols.done_time.append(done_at)
                cols.parent.append(0 if j < top else first + rng.randrange(top))
                roll = rand()
                owner = projects.owner_id[p]
                cols.assignee.append(0 if roll < 0.1 else (owner if roll < 0.55 else 1 + int(rand() * users)))  # fmt: skip
                cols.flags.append(flag)
        return cols

    def _board_of(self, phase_id: int) -> int:
        for board, phases in self.board_phases.items():
            if phase_id in phases:
                return board
        return 0
