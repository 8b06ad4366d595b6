"""Conflicts: the same field of a record changed in the database and in Pipedrive.

Each field is decided on its own, so edits of different fields of one record merge.
For the same field the stream's policy decides: ``pipedrive-wins``, ``database-wins``,
``newest-wins`` (the later of the local edit's time and the record's ``update_time``)
or ``manual``: nothing is written, the pair is kept in ``_pdsync_conflicts`` until
``pdsync bisync resolve ID --take local|remote``. Every conflict is recorded in that
table (with its winner) and reported, whatever the policy.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal

from pdsync.bisync.db import ReplicaDb
from pdsync.errors import ConfigError
from pdsync.push.payload import same

Policy = Literal["pipedrive-wins", "database-wins", "newest-wins", "manual"]
POLICIES: tuple[Policy, ...] = ("pipedrive-wins", "database-wins", "newest-wins", "manual")
CONFLICTS_TABLE = "_pdsync_conflicts"
Decision = Literal["push", "keep", "conflict"]


@dataclass(frozen=True)
class Conflict:
    table: str
    record_id: str
    column: str
    local: Any
    remote: Any
    policy: Policy
    winner: str | None  # "local", "remote", or None while a manual conflict waits

    def line(self) -> str:
        outcome = f"{self.winner} wins" if self.winner else "kept for `pdsync bisync resolve`"
        return (
            f"conflict {self.table} #{self.record_id} {self.column}: "
            f"database {_short(self.local)} vs Pipedrive {_short(self.remote)} "
            f"({self.policy}: {outcome})"
        )


def parse_policies(text: str | None) -> tuple[Policy, dict[str, Policy]]:
    """``newest-wins`` or ``deals=manual,persons=database-wins,pipedrive-wins``."""
    default: Policy = "pipedrive-wins"
    per_stream: dict[str, Policy] = {}
    for part in (text or "").split(","):
        if not part.strip():
            continue
        stream, _, name = part.rpartition("=")
        policy = _policy(name.strip())
        if stream.strip():
            per_stream[stream.strip()] = policy
        else:
            default = policy
    return default, per_stream


def _policy(name: str) -> Policy:
    for known in POLICIES:
        if name == known:
            return known
    raise ConfigError(
        f"Unknown conflict policy {name!r}.",
        hint=f"Use one of {', '.join(POLICIES)}, or STREAM=POLICY pairs separated by commas.",
    )


def decide(local: Any, base: Any, remote: Any) -> Decision:
    """What a locally changed field needs: nothing, a push, or a conflict resolution."""
    if same(local, remote) and same(remote, local):
        return "keep"  # both sides already hold the local value
    if same(base, remote) and same(remote, base):
        return "push"  # only the database changed it
    return "conflict"


def winner(policy: Policy, local_time: str, remote_time: str | None) -> str | None:
    if policy == "database-wins":
        return "local"
    if policy == "pipedrive-wins":
        return "remote"
    if policy == "newest-wins":
        if remote_time is None:
            return "local"
        return "local" if _instant(local_time) > _instant(remote_time) else "remote"
    return None


def _instant(text: str) -> datetime:
    value = datetime.fromisoformat(text.replace("Z", "+00:00").replace(" ", "T"))
    return value if value.tzinfo else value.replace(tzinfo=datetime.now().astimezone().tzinfo)


def _short(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False, default=str)
    return text if len(text) <= 50 else text[:49] + "…"


# -- the conflicts table ----------------------------------------------------------------


def _ddl(db: ReplicaDb) -> str:
    key = "INTEGER PRIMARY KEY AUTOINCREMENT" if db.dialect == "sqlite" else "bigserial PRIMARY KEY"
    return (
        f"CREATE TABLE IF NOT EXISTS {CONFLICTS_TABLE} (id {key}, table_name TEXT NOT NULL,"
        " record_id TEXT NOT NULL, column_name TEXT NOT NULL, local_value TEXT,"
        " remote_value TEXT, policy TEXT NOT NULL, winner TEXT, detected_at TEXT NOT NULL,"
        " resolved_at TEXT)"
    )


def ensure_table(db: ReplicaDb) -> None:
    db.script([_ddl(db)])


def record(db: ReplicaDb, conflict: Conflict, now: str) -> None:
    """Store one conflict (call inside ``db.transaction()``)."""
    db.execute(
        f"INSERT INTO {CONFLICTS_TABLE} (table_name, record_id, column_name, local_value,"
        " remote_value, policy, winner, detected_at, resolved_at) VALUES (?,?,?,?,?,?,?,?,?)",
        (
            conflict.table,
            conflict.record_id,
            conflict.column,
            json.dumps(conflict.local, default=str),
            json.dumps(conflict.remote, default=str),
            conflict.policy,
            conflict.winner,
            now,
            now if conflict.winner else None,
        ),
    )


def open_conflicts(db: ReplicaDb, *, include_resolved: bool = False) -> list[dict[str, Any]]:
    if CONFLICTS_TABLE not in db.tables():
        return []
    where = "" if include_resolved else " WHERE resolved_at IS NULL"
    return db.rows(f"SELECT * FROM {CONFLICTS_TABLE}{where} ORDER BY id")


def mark_resolved(db: ReplicaDb, conflict_id: int, side: str, now: str) -> None:
    with db.transaction():
        db.execute(
            f"UPDATE {CONFLICTS_TABLE} SET winner = ?, resolved_at = ? WHERE id = ?",
            (side, now, conflict_id),
        )
