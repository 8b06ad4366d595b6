"""The legacy v1 operations (dropped from the current spec, still called by published
clients), registered together: writes, related lists, search, deal products, teams, channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    from pdsync.emulator.resources import (
        legacy_archived,
        legacy_channels,
        legacy_crud,
        legacy_deal_products,
        legacy_lists,
        legacy_search,
        legacy_teams,
    )

    modules = (legacy_crud, legacy_lists, legacy_search, legacy_deal_products, legacy_teams,
               legacy_channels, legacy_archived)  # fmt: skip
    for module in modules:
        module.register(router, store)
