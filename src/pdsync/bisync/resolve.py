"""``pdsync bisync resolve ID --take local|remote``: settle a conflict kept by ``manual``.

``remote`` keeps Pipedrive's value, which the cycle's pull already wrote into the
replica. ``local`` sends the database's value to Pipedrive through push's planner and
applier (only that field; nothing if Pipedrive already holds it) and puts it back in the
replica row, marked as pdsync's own write so it is not captured again.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from pdsync.bisync.conflicts import CONFLICTS_TABLE, mark_resolved
from pdsync.bisync.db import ReplicaDb
from pdsync.bisync.pusher import StreamPusher, record_id_of
from pdsync.destinations.identifiers import quote
from pdsync.errors import ConfigError, PushError
from pdsync.push.api import PushClient
from pdsync.push.inputs import InputRow
from pdsync.push.objects import get_object


def resolve_conflict(
    target: str, conflict_id: int, take: str, client_factory: Callable[[], PushClient]
) -> str:
    now = time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime())
    with ReplicaDb(target, create=False) as db:
        found = (
            db.rows(f"SELECT * FROM {CONFLICTS_TABLE} WHERE id = ?", (conflict_id,))
            if CONFLICTS_TABLE in db.tables()
            else []
        )
        if not found:
            raise ConfigError(
                f"No conflict #{conflict_id} in {db.url}.",
                hint="`pdsync bisync conflicts` lists them.",
            )
        conflict = found[0]
        if conflict["resolved_at"]:
            return f"Conflict #{conflict_id} was already resolved ({conflict['winner']} won)."
        if take == "local":
            _send_local(db, conflict, client_factory)
        mark_resolved(db, conflict_id, take, now)
    side = "the database's" if take == "local" else "Pipedrive's"
    return f"Conflict #{conflict_id} resolved: {side} value kept."


def _send_local(
    db: ReplicaDb, conflict: dict[str, object], client_factory: Callable[[], PushClient]
) -> None:
    table, column = str(conflict["table_name"]), str(conflict["column_name"])
    value = json.loads(str(conflict["local_value"]))
    spec = get_object(table)
    record_id = record_id_of(spec, str(conflict["record_id"]))
    client = client_factory()
    pusher = StreamPusher(client, spec, db, None, "database-wins")
    try:
        planner, applier = pusher.planners["update"], pusher.applier["update"]
        item = planner.plan(InputRow(1, {"id": record_id, column: value}))
        if item.action == "error":
            raise PushError(f"Pipedrive refused {table} #{record_id} {column}: {item.message}")
        if item.writes:
            done = applier.apply(item)
            if done.status == "failed":
                raise PushError(f"Pipedrive refused {table} #{record_id} {column}: {done.message}")
        with db.transaction():
            db.execute(
                f"UPDATE {quote(table)} SET {quote(column)} = ? WHERE id = ?", (value, record_id)
            )
    finally:
        pusher.close()
        close = getattr(client, "close", None)
        if callable(close):
            close()
