"""Route handlers of the emulator, one module per family of resources."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register_all(router: Router, store: Store) -> None:
    from pdsync.emulator.resources import fields_api, legacy_v1, links, v1_account, v1_crm, v2

    for module in (v2, fields_api, links, v1_crm, v1_account, legacy_v1):
        module.register(router, store)
    from pdsync.emulator import mutate

    mutate.register(router, store)
