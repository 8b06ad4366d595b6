"""The projects family: projects, tasks, boards, phases, templates, project fields, search."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    from pdsync.emulator.resources import (
        projects_api,
        projects_boards,
        projects_fields,
        projects_plan,
        projects_search,
        projects_tasks,
    )

    for module in (projects_api, projects_tasks, projects_boards, projects_plan, projects_fields,
                   projects_search):  # fmt: skip
        module.register(router, store)
