"""``/api/v2/projectFields``: project field metadata, with the same CRUD and bulk option
operations as the other v2 ``*Fields`` resources (their handlers, for entity ``project``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from pdsync.emulator.http import Router
from pdsync.emulator.resources import fields_api

if TYPE_CHECKING:
    from pdsync.emulator.store import Store


def register(router: Router, store: Store) -> None:
    base = "/api/v2/projectFields"
    router.add("GET", base, fields_api._list_v2(store, "project"))
    router.add("GET", base + "/{field_code}", fields_api._get_v2(store, "project"))
    router.add("POST", base, fields_api._create(store, "project"))
    router.add("PATCH", base + "/{field_code}", fields_api._update(store, "project"))
    router.add("DELETE", base + "/{field_code}", fields_api._delete(store, "project"))
    for method, action in (("POST", "add"), ("PATCH", "update"), ("DELETE", "delete")):
        router.add(
            method, base + "/{field_code}/options", fields_api._options(store, "project", action)
        )
