"""Route handlers of the emulator, one module per family of resources."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register_all(router: Router, store: Store) -> None:
    from pdsync.emulator.resources import (
        admin,
        fields_api,
        files_api,
        legacy_v1,
        links,
        org_relationships,
        search_api,
        v1_account,
        v1_crm,
        v2,
    )

    modules = (v2, fields_api, links, v1_crm, v1_account, legacy_v1, search_api, files_api,
               org_relationships, admin)  # fmt: skip
    for module in modules:
        module.register(router, store)
    from pdsync.emulator.resources import entity_extras, projects

    projects.register(router, store)
    entity_extras.register(router, store)
    from pdsync.emulator import mutate

    mutate.register(router, store)
