"""``pdsync verify``: audit a replica against the live account (thin layer over :mod:`pdsync.verify`)."""

from __future__ import annotations

import json

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import IncompleteReplicaError

__all__ = ["verify"]


@click.command("verify")
@click.argument("streams", nargs=-1)
@click.option(
    "--target", "-t", metavar="URL", help="The replica to audit (default sqlite:///pipedrive.db)."
)
@click.option("--json", "as_json", is_flag=True, help="Print the report as JSON (stdout).")
@click.option(
    "--sample",
    type=click.IntRange(min=1),
    metavar="N",
    help="Check N random pages per stream instead of every id (a spot check, not a proof).",
)
@click.option(
    "--max-child-requests",
    type=click.IntRange(min=0),
    default=1000,
    show_default=True,
    help="Skip a per-parent child stream (followers, participants) that would cost more calls.",
)
@click.option(
    "--workers",
    type=click.IntRange(1, 32),
    default=4,
    show_default=True,
    help="Streams listed at once.",
)
@click.option("--seed", type=int, help="Seed of the random pages of --sample (repeatable runs).")
@click.option("--dry-run", is_flag=True, help="Print the estimated cost and stop.")
@connection_options
def verify(
    streams: tuple[str, ...],
    target: str | None,
    as_json: bool,
    sample: int | None,
    max_child_requests: int,
    workers: int,
    seed: int | None,
    dry_run: bool,
    conn_flags: ConnectionFlags,
) -> None:
    """Audit the replica at TARGET against the live account: nothing missing, nothing extra.

    Per stream (default: every stream the replica has a table for) it lists the ids
    the API holds and compares them with the replica's rows: missing (listed, not in
    the replica), extra (alive in the replica, not listed alive), hidden (listed alive,
    marked deleted in the replica). Deleted deals (status=deleted) count as listed.
    The estimated cost (about one full listing per stream) is printed before it
    starts. Exits 0 when every checked stream is complete, 10 otherwise.
    """
    from pdsync.destinations import open_destination
    from pdsync.verify import Verifier, VerifyOptions, format_report

    destination = open_destination(target, readonly=True)
    try:
        with open_client(conn_flags) as client:
            options = VerifyOptions(sample=sample, max_child_requests=max_child_requests, seed=seed)
            verifier = Verifier(
                client,
                destination,
                streams,
                options,
                on_result=None if as_json else _progress,
            )
            plan = verifier.plan()
            click.echo(plan.describe(), err=True)
            for est in plan.streams:
                if est.skip:
                    click.echo(f"  {est.stream}: skipped, {est.skip}", err=True)
            if dry_run:
                for est in plan.streams:
                    if not est.skip:
                        click.echo(
                            f"  {est.stream:<28}{est.requests:>7,} requests "
                            f"{est.tokens:>9,} tokens  ({est.basis})"
                        )
                return
            report = verifier.run(plan)
    finally:
        destination.close()
    if as_json:
        click.echo(json.dumps(report.to_dict(), indent=2))
    else:
        click.echo(format_report(report))
    if not report.ok:
        raise IncompleteReplicaError(report.verdict())


def _progress(result: object) -> None:
    name = getattr(result, "stream", "?")
    status = getattr(result, "status", "")
    click.echo(f"  checked {name}: {status}", err=True)
