"""Account and administration operations: one registration for the modules that serve them."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router
from pdsync.emulator.resources import (
    field_writes_v1,
    filters_api,
    goals_api,
    labels_types,
    pipeline_stats,
    remote_files,
    roles,
    users_api,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

MODULES = (field_writes_v1, filters_api, goals_api, labels_types, pipeline_stats, remote_files,
           roles, users_api)  # fmt: skip


def register(router: Router, store: Store) -> None:
    for module in MODULES:
        module.register(router, store)
