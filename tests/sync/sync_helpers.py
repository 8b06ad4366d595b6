"""Small helpers shared by the sync tests."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable, Sequence
from datetime import timedelta
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.catalog.registry import CATALOG
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.server import EmulatorServer
from pdsync.progress import Event
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.report import SyncReport
from pdsync.sync.run import incremental_capable

CAPABLE = incremental_capable()


def sync(
    client: PipedriveClient,
    db: Path,
    streams: Sequence[str] = (),
    *,
    full_refresh: bool = False,
    reconcile_every: timedelta | None = timedelta(hours=24),
    sink: Callable[[Event], None] | None = None,
    **options: Any,
) -> SyncReport:
    selections = select_streams(
        CAPABLE, requested=list(streams) or list(CATALOG), full_refresh=full_refresh
    )
    destination = open_destination(f"sqlite:///{db}")
    try:
        engine = SyncEngine(
            client,
            destination,
            selections,
            # The engine waits (< 1 s) for the current second to end before it reads, so
            # the changes a test makes just before a sync are part of it.
            SyncOptions(reconcile_every=reconcile_every, **options),
            sink=sink,
        )
        return engine.run()
    finally:
        destination.close()


def rows(db: Path, sql: str, params: Sequence[Any] = ()) -> list[tuple[Any, ...]]:
    with sqlite3.connect(db) as conn:
        return conn.execute(sql, params).fetchall()


def table_dump(db: Path, table: str) -> list[tuple[Any, ...]]:
    """Every row of a table in primary-key order, without the sync timestamp."""
    with sqlite3.connect(db) as conn:
        cols = [r[1] for r in conn.execute(f'PRAGMA table_info("{table}")')]
        keep = [c for c in cols if c not in ("_pdsync_synced_at", "_pdsync_deleted_at")]
        keep.append("_pdsync_deleted_at IS NOT NULL")
        select = ", ".join(f'"{c}"' if not c.endswith("NOT NULL") else c for c in keep)
        return conn.execute(f'SELECT {select} FROM "{table}" ORDER BY 1, 2').fetchall()


def user_tables(db: Path) -> list[str]:
    with sqlite3.connect(db) as conn:
        names = conn.execute(
            "SELECT name FROM sqlite_master WHERE type='table' AND name NOT LIKE '\\_pdsync\\_%' ESCAPE '\\' "
            "AND name NOT LIKE 'sqlite_%' ORDER BY name"
        ).fetchall()
    return [n[0] for n in names]


def make_client(server: EmulatorServer) -> PipedriveClient:
    # The account's limits are off: a private, generous governor keeps tests fast.
    return PipedriveClient(
        Connection(api_token=server.config.token, base_url=server.url),
        governor=RateGovernor(burst_limit=100_000),
    )
