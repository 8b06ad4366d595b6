"""``pdsync emulator serve``: run the offline Pipedrive emulator over HTTP."""

from __future__ import annotations

import click

from pdsync.emulator.config import PLANS, QUIRKS, EmulatorConfig, parse_size
from pdsync.errors import ConfigError


@click.group()
def emulator() -> None:
    """An offline emulator of the Pipedrive API (v1 and v2), generated from a seed."""


@emulator.command()
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option(
    "--port", default=8765, show_default=True, type=int, help="Port (0 picks a free one)."
)
@click.option(
    "--seed", default=1, show_default=True, type=int, help="Seed of the generated account."
)
@click.option("--size", default="small", show_default=True,
              help="tiny (50 deals), small (1,000), medium (100,000), large (1,000,000) or a number of deals.")  # fmt: skip
@click.option("--plan", type=click.Choice(PLANS), default="growth", show_default=True)
@click.option(
    "--seats", default=5, show_default=True, type=int, help="Seats (scales the daily token budget)."
)
@click.option(
    "--token", default=None, help="API token clients must send (default: a fixed demo token)."
)
@click.option("--latency-ms", default=0.0, type=float, help="Base latency per request.")
@click.option("--faults", default=None, help="'rate=0.2' or 'script=PATH' (see docs/emulator.md).")
@click.option("--no-rate-limits", is_flag=True, help="Turn off burst window and daily budget.")
@click.option("--quirk", "quirks", multiple=True, type=click.Choice(sorted(QUIRKS)),
              help="Depart from Pipedrive on purpose (repeatable); ignore_sort: "
                   + QUIRKS["ignore_sort"] + ".")  # fmt: skip
def serve(
    host: str,
    port: int,
    seed: int,
    size: str,
    plan: str,
    seats: int,
    token: str | None,
    latency_ms: float,
    faults: str | None,
    no_rate_limits: bool,
    quirks: tuple[str, ...],
) -> None:
    """Serve an emulated account until Ctrl-C; prints its base URL and token."""
    from pdsync.emulator.server import EmulatorServer

    try:
        config = EmulatorConfig(
            seed=seed, deals=parse_size(size), plan=plan, seats=seats, latency_ms=latency_ms,
            faults=faults, rate_limits=not no_rate_limits, quirks=frozenset(quirks),
        )  # fmt: skip
    except ValueError as exc:
        raise ConfigError(
            str(exc), hint="Run `pdsync emulator serve --help` for valid values."
        ) from None
    if token:
        config.token = token
    try:
        server = EmulatorServer(config, host=host, port=port)
    except OSError as exc:
        raise ConfigError(
            f"Cannot listen on {host}:{port}: {exc.strerror}",
            hint="Pick another --port (or --port 0 for any free one).",
        ) from None
    click.echo(
        f"Pipedrive emulator: {server.url}  ({config.deals:,} deals, seed {seed}, plan {plan})"
    )
    click.echo(f"API token: {config.token}")
    if config.quirks:
        click.echo(f"Quirks (departures from Pipedrive): {', '.join(sorted(config.quirks))}")
    click.echo(f"Try: curl -H 'x-api-token: {config.token}' '{server.url}/api/v2/deals?limit=2'")
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        click.echo("Stopped.")


@emulator.command()
@click.option("--json", "as_json", is_flag=True, help="Print JSON: every operation and the totals.")
@click.option(
    "--missing", is_flag=True, help="List only the operations the emulator does not serve."
)
def coverage(as_json: bool, missing: bool) -> None:
    """Which official Pipedrive operations (v1 and v2 specs) the emulator serves.

    Lists every operation of the packaged ENDPOINTS.tsv (method, path, operationId,
    deprecated) with whether the emulator has a route for it, then the totals.
    """
    import json

    from pdsync.emulator.coverage import emulator_coverage

    report = emulator_coverage()
    rows = [r for r in report.rows if not (missing and r.served)]
    if as_json:
        payload = report.as_json()
        payload["operations"] = [r.as_dict() for r in rows]
        click.echo(json.dumps(payload, indent=2))
        return
    for row in rows:
        op = row.operation
        flags = " (deprecated)" if op.deprecated else ""
        served = "yes" if row.served else "no "
        click.echo(f"{served}  {op.method:<6} {op.path}  {op.operation_id}{flags}")
    for method, template in report.unofficial:
        click.echo(f"unofficial route: {method} {template}")
    click.echo(report.summary())
