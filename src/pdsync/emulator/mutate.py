"""``POST /_emulator/mutate``: scripted account activity between two syncs.

Body: ``{"object": "deal", "action": "update"|"create"|"delete", "count": N}`` or
``{"object": "deal", "action": "add_field", "field_name": "...", "field_type": "varchar"}``.
Writes go through the store, so ``update_time``, listings and webhooks see them as API writes.
"""

from __future__ import annotations

import random
from typing import TYPE_CHECKING, Any

from pdsync.emulator.fields import CREATABLE_TYPES
from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import ApiProblem, body, ok
from pdsync.emulator.resources.entities import ACTIVITY, DEAL, ORGANIZATION, PERSON, PRODUCT

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

MUTABLE = {"deal": DEAL, "person": PERSON, "organization": ORGANIZATION, "product": PRODUCT,
           "activity": ACTIVITY}  # fmt: skip
_CHANGES = {"deal": "title", "person": "name", "organization": "name", "product": "name",
            "activity": "subject"}  # fmt: skip


def register(router: Router, store: Store) -> None:
    router.add("POST", "/_emulator/mutate", lambda req: _mutate(store, req))


def _mutate(store: Store, req: Request) -> Response:
    data = body(req)
    entity, action = data.get("object"), data.get("action")
    if entity not in MUTABLE:
        raise ApiProblem(400, f"'object' must be one of: {', '.join(MUTABLE)}")
    if action == "add_field":
        return ok(_add_field(store, entity, data))
    count = data.get("count", 1)
    if not isinstance(count, int) or count < 1 or count > 100_000:
        raise ApiProblem(400, "'count' must be an integer from 1 to 100000")
    if action not in ("create", "update", "delete"):
        raise ApiProblem(400, "'action' must be create, update, delete or add_field")
    return ok({"object": entity, "action": action, "ids": mutate(store, entity, action, count)})


def mutate(store: Store, entity: str, action: str, count: int) -> list[Any]:
    """Create, update or delete ``count`` records; returns their ids."""
    rng = random.Random(f"{store.seed}:mutate:{store.now()}")
    spec = MUTABLE[entity]
    if action == "create":
        return [_create(store, entity, spec.defaults, n)["id"] for n in range(count)]
    ids = _live_ids(store, entity, count, rng)
    for record_id in ids:
        if action == "update":
            current = store.get(entity, record_id) or {}
            field = _CHANGES[entity]
            store.update(entity, record_id, {field: f"{current.get(field, '')} (edited)".strip()})
        else:
            store.delete(entity, record_id)
    return ids


def _create(store: Store, entity: str, defaults: dict[str, Any], n: int) -> dict[str, Any]:
    record = {**defaults, _CHANGES[entity]: f"Mutated {entity} {n + 1}", "owner_id": 1}
    if entity == "deal":
        stage = min(
            store.tables["stage"].overlay.values(), key=lambda s: (s["pipeline_id"], s["order_nr"])
        )
        record.update(pipeline_id=stage["pipeline_id"], stage_id=stage["id"], creator_user_id=1,
                      stage_change_time=None)  # fmt: skip
    if entity == "activity":
        record["creator_user_id"] = 1
    if entity in store.fields and entity != "activity":
        record["custom_fields"] = {
            f.key: None for f in store.fields[entity] if f.is_custom and not f.is_deleted
        }
    return store.create(entity, record)


def _live_ids(store: Store, entity: str, count: int, rng: random.Random) -> list[Any]:
    table = store.table(entity)
    top = table.next_index - 1
    picked: list[Any] = []
    tries = 0
    while len(picked) < count and tries < count * 20 + 100:
        tries += 1
        record = store.get(entity, rng.randint(1, max(top, 1)))
        if (
            record is None
            or record.get("is_deleted")
            or record.get("is_archived")
            or record["id"] in picked
        ):
            continue
        picked.append(record["id"])
    return picked


def _add_field(store: Store, entity: str, data: dict[str, Any]) -> dict[str, Any]:
    from pdsync.emulator.render_fields import field_v2
    from pdsync.emulator.resources.fields_api import add_field

    name = data.get("field_name") or f"Field added {int(store.now())}"
    ftype = data.get("field_type", "varchar")
    if ftype not in CREATABLE_TYPES:
        raise ApiProblem(400, f"'field_type' must be one of: {', '.join(CREATABLE_TYPES)}")
    options = data.get("options") or (
        [{"label": "Yes"}, {"label": "No"}] if ftype in ("enum", "set") else None
    )
    return field_v2(add_field(store, entity, str(name), ftype, options))
