"""``pdsync query``: SQL against the replica (thin layer over :mod:`pdsync.query`)."""

from __future__ import annotations

import sys

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client


@click.command("query")
@click.argument("sql")
@click.option(
    "--target",
    "-t",
    metavar="URL",
    envvar="PDSYNC_TARGET",
    help="Replica URL (default $PDSYNC_TARGET, else sqlite:///pipedrive.db).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["table", "csv", "json"]),
    default="table",
    show_default=True,
    help="Output format.",
)
@click.option(
    "--max-rows",
    type=click.IntRange(1),
    default=1000,
    show_default=True,
    help="Rows shown by --format table.",
)
@click.option("--refresh", is_flag=True, help="Run an incremental sync into the target first.")
@connection_options
def query(
    sql: str,
    target: str | None,
    fmt: str,
    max_rows: int,
    refresh: bool,
    conn_flags: ConnectionFlags,
) -> None:
    """Run SQL against the replica and print the answer.

    Files replicas (file:///…) are queried through DuckDB. With --refresh, an
    incremental sync runs first, so one command gives a fresh answer.
    """
    from pdsync.query import run_query

    if refresh:
        from pdsync.sync.run import SyncRequest, run_sync

        report = run_sync(
            SyncRequest(target=target),
            client_factory=lambda name, on_wait: open_client(conn_flags, on_wait=on_wait),
            progress_stream=sys.stderr,
        )
        if not report.ok:
            raise click.exceptions.Exit(1)
    run_query(sql, sys.stdout, target=target, fmt=fmt, max_rows=max_rows)
