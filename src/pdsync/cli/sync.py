"""``pdsync sync``: replicate Pipedrive into a destination (thin layer over :mod:`pdsync.sync`)."""

from __future__ import annotations

import json
import re
import sys
from datetime import timedelta
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import ConfigError

_DURATION = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$")
_UNITS = {"": 3600.0, "s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0}


def parse_duration(text: str) -> timedelta | None:
    """``24h``, ``30m``, ``7d``, ``0`` (every run) or ``never`` → a cadence (None = never)."""
    if text.strip().lower() == "never":
        return None
    match = _DURATION.match(text)
    if match is None:
        raise ConfigError(
            f"--reconcile-every is {text!r}, which is not a duration.",
            hint="Use e.g. 24h, 30m, 7d, 0 (every run) or never.",
        )
    return timedelta(seconds=float(match.group(1)) * _UNITS[match.group(2)])


@click.command("sync")
@click.argument("streams", nargs=-1)
@click.option(
    "--target", "-t", metavar="URL", help="Destination URL (default sqlite:///pipedrive.db)."
)
@click.option(
    "--config",
    "config_file",
    metavar="FILE",
    help="Replication file (YAML: source, target, defaults, streams).",
)
@click.option("--full-refresh", is_flag=True, help="Re-read everything and reconcile deletes.")
@click.option("--since", metavar="DATE", help="Limit a first sync to records changed since DATE.")
@click.option(
    "--reconcile-every",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="How often to scan ids to find deleted records (0 = every run, never).",
)
@click.option(
    "--workers", type=click.IntRange(1, 32), default=4, show_default=True, help="Fetch threads."
)
@click.option(
    "--exclude",
    multiple=True,
    metavar="PATTERN",
    help="Leave out streams matching PATTERN (repeatable; e.g. --exclude 'mail_*').",
)
@click.option(
    "--extended-requests/--no-extended-requests",
    default=None,
    help="Per-record calls for the columns only single records return (filters.conditions, "
    "permission_sets.contents); default on, or as the replication file says.",
)
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Progress as text (a live display on a terminal) or JSON lines.",
)
@connection_options
def sync(
    streams: tuple[str, ...],
    target: str | None,
    config_file: str | None,
    full_refresh: bool,
    since: str | None,
    reconcile_every: str,
    workers: int,
    exclude: tuple[str, ...],
    extended_requests: bool | None,
    log_format: str,
    conn_flags: ConnectionFlags,
) -> None:
    """Replicate Pipedrive streams into TARGET, incrementally, resumably.

    STREAM may be a pattern ('mail*'). With no STREAM and no --config, every stream
    is synced except the opt-in ones that cost a request per parent (deal flow,
    changelogs, followers, participants…): name them, here or in a replication file.
    """
    from pdsync.sync.run import SyncRequest, run_sync

    request = SyncRequest(
        streams=streams,
        target=target,
        config_file=config_file,
        full_refresh=full_refresh,
        since=since,
        reconcile_every=parse_duration(reconcile_every),
        workers=workers,
        exclude=exclude,
        extended_requests=extended_requests,
    )
    report = run_sync(
        request,
        client_factory=lambda name, on_wait: open_client(
            _with_connection(conn_flags, name), on_wait=on_wait
        ),
        log_format=log_format,
        progress_stream=sys.stderr,
        on_report=lambda r: _print_report(r, log_format),
    )
    if not report.ok:
        sys.exit(1)


def _with_connection(flags: ConnectionFlags, name: str | None) -> ConnectionFlags:
    if flags.connection or name is None:
        return flags
    return ConnectionFlags(
        name, flags.api_token, flags.company_domain, flags.base_url, flags.timeout
    )


def _print_report(report: Any, log_format: str) -> None:
    from pdsync.sync.report import format_report

    if log_format == "json":
        click.echo(json.dumps({"event": "summary", **report.to_dict()}, default=str))
    else:
        click.echo(format_report(report))
