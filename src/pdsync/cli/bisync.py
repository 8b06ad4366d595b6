"""``pdsync bisync``: two-way sync between Pipedrive and a SQLite/PostgreSQL replica.

``pdsync bisync [STREAM ...]`` runs a cycle (``run`` is implied); ``pdsync bisync
conflicts`` lists conflicts kept for a decision; ``pdsync bisync resolve ID --take
local|remote`` settles one. All behaviour lives in :mod:`pdsync.bisync`.
"""

from __future__ import annotations

import sys
import time
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.cli.sync import parse_duration
from pdsync.errors import ConfigError, PdsyncError

_TARGET_HELP = "The replica: sqlite:///pipedrive.db (default) or postgresql://user@host/db."


class _RunByDefault(click.Group):
    """``pdsync bisync deals`` means ``pdsync bisync run deals``."""

    def parse_args(self, ctx: click.Context, args: list[str]) -> list[str]:
        if not args or (args[0] not in self.commands and args[0] not in ("--help", "-h")):
            args = ["run", *args]
        return super().parse_args(ctx, args)


@click.group(cls=_RunByDefault)
def bisync() -> None:
    """Two-way sync: local SQL edits go to Pipedrive, Pipedrive's changes come back.

    `pdsync bisync [STREAM ...] [OPTIONS]` runs one cycle (the `run` subcommand is
    implied). See docs/bisync.md for the model, the conflict policies and the limits.
    """


@bisync.command("run")
@click.argument("streams", nargs=-1)
@click.option("--target", "-t", default="sqlite:///pipedrive.db", metavar="URL", help=_TARGET_HELP)
@click.option(
    "--conflict",
    metavar="POLICY",
    help="pipedrive-wins (default), database-wins, newest-wins or manual; "
    "per stream as deals=manual,persons=newest-wins.",
)
@click.option("--dry-run", is_flag=True, help="Show what both directions would do; write nothing.")
@click.option(
    "--every", metavar="INTERVAL", help="Run a cycle every INTERVAL (e.g. 5m) until stopped."
)
@click.option(
    "--allow-mass-delete",
    is_flag=True,
    help="Let a cycle delete more than 50 records (or over 10 percent of a table) in Pipedrive.",
)
@click.option(
    "--reconcile-every",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="How often the pull scans ids to find records deleted in Pipedrive (0 = every cycle).",
)
@connection_options
def run(
    streams: tuple[str, ...],
    target: str,
    conflict: str | None,
    dry_run: bool,
    every: str | None,
    allow_mass_delete: bool,
    reconcile_every: str,
    conn_flags: ConnectionFlags,
) -> None:
    """Run one two-way cycle on STREAM ... (default: every two-way stream)."""
    from pdsync.bisync import BisyncRequest, run_cycle

    request = BisyncRequest(
        streams=streams,
        target=target,
        conflict=conflict,
        dry_run=dry_run,
        allow_mass_delete=allow_mass_delete,
        reconcile_every=parse_duration(reconcile_every),
    )
    interval = _interval(every)
    while True:
        try:
            report = run_cycle(
                request,
                client_factory=lambda _name, on_wait: open_client(conn_flags, on_wait=on_wait),
                on_line=click.echo,
            )
        except PdsyncError as exc:
            if interval is None or not exc.transient:
                raise
            # A looping bisync outlives a network blip or a busy server: the change log
            # and the journals keep everything for the next cycle.
            click.echo(f"Cycle stopped: {exc.message} (next try in {every})", err=True)
            time.sleep(interval)
            continue
        for line in report.lines():
            click.echo(line)
        if interval is None:
            if report.errors:
                sys.exit(1)
            return
        time.sleep(interval)


def _interval(every: str | None) -> float | None:
    if every is None:
        return None
    try:
        duration = parse_duration(every)
    except ConfigError:
        duration = None
    if duration is None or duration.total_seconds() <= 0:
        raise ConfigError(
            f"--every {every!r} is not a positive interval.", hint="Use e.g. 30s, 5m or 1h."
        )
    return duration.total_seconds()


@bisync.command("conflicts")
@click.option("--target", "-t", default="sqlite:///pipedrive.db", metavar="URL", help=_TARGET_HELP)
@click.option("--all", "show_all", is_flag=True, help="Include conflicts already resolved.")
def conflicts(target: str, show_all: bool) -> None:
    """List the conflicts a cycle recorded (by default those waiting for a decision)."""
    from pdsync.bisync.conflicts import open_conflicts
    from pdsync.bisync.db import ReplicaDb

    with ReplicaDb(target, create=False) as db:
        rows = open_conflicts(db, include_resolved=show_all)
    if not rows:
        click.echo("No conflicts." if show_all else "No conflicts waiting for a decision.")
    for row in rows:
        click.echo(_conflict_line(row))


def _conflict_line(row: dict[str, Any]) -> str:
    state = f"{row['winner']} won" if row["resolved_at"] else "open"
    return (
        f"#{row['id']} {row['table_name']} #{row['record_id']} {row['column_name']}: "
        f"database {row['local_value']} vs Pipedrive {row['remote_value']} "
        f"[{row['policy']}, {state}]"
    )


@bisync.command("resolve")
@click.argument("conflict_id", type=int)
@click.option(
    "--take",
    type=click.Choice(["local", "remote"]),
    required=True,
    help="local: the database's value wins; remote: Pipedrive's.",
)
@click.option("--target", "-t", default="sqlite:///pipedrive.db", metavar="URL", help=_TARGET_HELP)
@connection_options
def resolve(conflict_id: int, take: str, target: str, conn_flags: ConnectionFlags) -> None:
    """Settle conflict ID: --take local sends the database's value to Pipedrive,
    --take remote keeps Pipedrive's (already in the replica)."""
    from pdsync.bisync.resolve import resolve_conflict

    message = resolve_conflict(target, conflict_id, take, lambda: open_client(conn_flags))
    click.echo(message)
