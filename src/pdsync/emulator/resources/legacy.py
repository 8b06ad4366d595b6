"""The legacy v1 operations (dropped from the current spec, still called by published
clients), registered together: writes, related lists, search, deal products, teams, channels."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    from pdsync.emulator.resources import (
        legacy_crud,
        legacy_deal_products,
        legacy_lists,
        legacy_search,
    )

    for module in (legacy_crud, legacy_lists, legacy_search, legacy_deal_products):
        module.register(router, store)
