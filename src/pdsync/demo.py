"""``pdsync demo``: the whole sync story in one command, with no Pipedrive account.

1. start the emulator in-process (a small, seeded account) on 127.0.0.1;
2. full sync into ``./pdsync-demo.db``;
3. through the API, as any user would: rename and re-value a few deals, delete a few
   deals and persons, add a deal custom field and fill it on one deal;
4. incremental sync (deletes reconciled on this run), printing the summary;
5. ``pdsync verify``: the replica audited against the account, its one-line verdict;
6. a sample SQL query: deals per stage with a custom field read by its name.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.errors import DestinationError
from pdsync.progress import Event
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.report import SyncReport, format_report
from pdsync.sync.run import default_streams, incremental_capable
from pdsync.verify import VerifyReport, verify_replica

DEMO_FILE = "pdsync-demo.db"
Say = Callable[[str], None]


@dataclass(frozen=True)
class DemoResult:
    first: SyncReport
    second: SyncReport
    query_columns: list[str]
    query_rows: list[tuple[Any, ...]]
    path: str
    verify: VerifyReport


def run_demo(
    path: str | os.PathLike[str] = DEMO_FILE,
    *,
    deals: int = 300,
    seed: int = 7,
    say: Say = print,
    sink: Callable[[Event], None] | None = None,
) -> DemoResult:
    target = Path(path)
    _fresh(target)
    config = EmulatorConfig(deals=deals, seed=seed)
    with EmulatorServer(config) as server:
        say(
            f"Emulator: {server.url} (a seeded account with {deals} deals; token {config.token[:8]}…)"
        )
        connection = Connection(api_token=config.token, base_url=server.url)
        with PipedriveClient(connection) as client:
            say(f"\n1) Full sync into {target}")
            first = _sync(client, target, sink)
            say(format_report(first))
            say(
                "\n2) Changes through the API: 5 deals edited, 3 deals and 2 persons deleted, a custom field added"
            )
            field_name = _make_changes(client)
            say("\n3) Incremental sync")
            second = _sync(client, target, sink, reconcile_every_run=True)
            say(format_report(second))
            say("\n4) Verify: every id the API lists, compared with the replica")
            audit = _verify(client, target)
            say(audit.verdict())
    columns, rows = _sample_query(target, field_name)
    say("\n5) Deals per stage, with custom fields by name:")
    say(_table(columns, rows))
    say(f'\nExplore: sqlite3 {target} "select * from deals limit 5"')
    return DemoResult(first, second, columns, rows, str(target), audit)


def _fresh(target: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        candidate = Path(str(target) + suffix)
        try:
            candidate.unlink(missing_ok=True)
        except OSError as exc:
            raise DestinationError(
                f"Cannot remove the previous demo file {candidate}: {exc.strerror}.",
                hint="Run the demo from a writable directory.",
            ) from None


def _sync(
    client: PipedriveClient,
    target: Path,
    sink: Callable[[Event], None] | None,
    *,
    reconcile_every_run: bool = False,
) -> SyncReport:
    from datetime import timedelta

    selections = select_streams(incremental_capable(), requested=default_streams())
    options = SyncOptions(
        reconcile_every=timedelta(0) if reconcile_every_run else timedelta(hours=24)
    )
    destination = open_destination(f"sqlite:///{target}")
    try:
        return SyncEngine(client, destination, selections, options, sink=sink).run()
    finally:
        destination.close()


def _verify(client: PipedriveClient, target: Path) -> VerifyReport:
    destination = open_destination(f"sqlite:///{target}", readonly=True)
    try:
        return verify_replica(client, destination)
    finally:
        destination.close()


def _make_changes(client: PipedriveClient) -> str:
    params = {"limit": 50, "sort_by": "id", "include_fields": "products_count"}
    deals = client.get("deals", params=params)["data"]
    for deal in deals[:5]:
        client.patch(
            f"deals/{deal['id']}", json={"title": deal["title"] + " (renegotiated)", "value": 12345}
        )
    # Deleted deals that have products: their deal_products rows are marked deleted too.
    with_products = [d for d in deals[5:] if (d.get("products_count") or 0) > 0]
    for deal in with_products[:3]:
        client.delete(f"deals/{deal['id']}")
    persons = client.get("persons", params={"limit": 2, "sort_by": "id"})["data"]
    for person in persons:
        client.delete(f"persons/{person['id']}")
    field = client.post(
        "dealFields", json={"field_name": "Demo priority", "field_type": "varchar"}
    )["data"]
    client.patch(f"deals/{deals[0]['id']}", json={"custom_fields": {field["field_code"]: "high"}})
    return "demo_priority"


def _sample_query(target: Path, column: str) -> tuple[list[str], list[tuple[Any, ...]]]:
    destination = open_destination(f"sqlite:///{target}", readonly=True)
    try:
        # Two pipelines may have stages of the same name: show both, in pipeline order.
        sql = (
            "SELECT p.name AS pipeline, s.name AS stage, COUNT(*) AS deals, "
            "ROUND(SUM(d.value), 2) AS value, "
            f'SUM(d."{column}" IS NOT NULL) AS with_{column}, '
            "SUM(d._pdsync_deleted_at IS NOT NULL) AS deleted "
            "FROM deals d JOIN stages s ON s.id = d.stage_id "
            "JOIN pipelines p ON p.id = s.pipeline_id "
            "GROUP BY p.order_nr, p.id, s.order_nr, s.id "
            "ORDER BY p.order_nr, p.id, s.order_nr, s.id"
        )
        result = destination.query(sql)
        return list(result.columns), list(result)
    finally:
        destination.close()


def _table(columns: list[str], rows: list[tuple[Any, ...]]) -> str:
    cells = [columns, *[["" if v is None else str(v) for v in row] for row in rows]]
    widths = [max(len(r[i]) for r in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)) for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
