"""``pdsync export``: one stream to CSV / JSON Lines / Parquet (thin layer over :mod:`pdsync.export`)."""

from __future__ import annotations

import os
import sys
import tempfile
from pathlib import Path
from typing import IO

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import ConfigError


@click.command("export")
@click.argument("stream")
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    default=None,
    help="Output format (default: from the --output suffix, else csv).",
)
@click.option(
    "--output",
    "-o",
    default="-",
    show_default=True,
    metavar="FILE|-",
    help="Where to write; - is stdout.",
)
@click.option("--where", metavar="SQL", help="A SQL condition on the replica's columns.")
@click.option(
    "--include-deleted",
    is_flag=True,
    help="Keep records deleted in Pipedrive (and _pdsync_deleted_at).",
)
@click.option("--live", is_flag=True, help="Read straight from the API instead of the replica.")
@click.option(
    "--target",
    "-t",
    metavar="URL",
    envvar="PDSYNC_TARGET",
    help="Replica URL (default $PDSYNC_TARGET, else sqlite:///pipedrive.db).",
)
@connection_options
def export(
    stream: str,
    fmt: str | None,
    output: str,
    where: str | None,
    include_deleted: bool,
    live: bool,
    target: str | None,
    conn_flags: ConnectionFlags,
) -> None:
    """Export STREAM (a table of the replica, e.g. deals) in constant memory."""
    from pdsync.export import export_live, export_replica

    fmt = fmt or _format_from_suffix(output)
    if live and (where or include_deleted):
        raise ConfigError(
            "--where and --include-deleted apply to the replica, not to --live.",
            hint="Drop them, or sync first and export from the replica.",
        )

    def write(out: IO[bytes]) -> int:
        if live:
            with open_client(conn_flags) as client:
                return export_live(stream, out, client, fmt=fmt)
        return export_replica(
            stream, out, target=target, fmt=fmt, where=where, include_deleted=include_deleted
        )

    count = write(sys.stdout.buffer) if output == "-" else _to_file(Path(output), write)
    click.echo(f"Exported {count} row{'s' if count != 1 else ''} of {stream}.", err=True)


def _format_from_suffix(output: str) -> str:
    suffix = Path(output).suffix.lower().lstrip(".")
    return {"parquet": "parquet", "jsonl": "jsonl", "ndjson": "jsonl"}.get(suffix, "csv")


def _to_file(path: Path, write: object) -> int:
    """Write through a temporary file renamed at the end: a failed export leaves no half file."""
    assert callable(write)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    try:
        with os.fdopen(fd, "wb") as handle:
            count = int(write(handle))
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return count
