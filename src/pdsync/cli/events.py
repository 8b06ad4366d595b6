"""``pdsync events``: the event destination (serve, status, replay, send)."""

from __future__ import annotations

import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import EventsError
from pdsync.events_dest.config import EventsConfig, load_events_config
from pdsync.events_dest.outbox import Outbox, Status
from pdsync.events_dest.rules import PipedriveDestination
from pdsync.events_dest.service import EventsService, read_jsonl
from pdsync.events_dest.worker import DeliveryWorker
from pdsync.redact import install_log_redaction

__all__ = ["events"]

_config_option = click.option(
    "--config",
    "config_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The events YAML config (write_key, user_id_field, group_id_field, create_users, mappings).",
)
_outbox_option = click.option(
    "--outbox",
    "outbox_path",
    type=click.Path(dir_okay=False),
    metavar="FILE",
    help="The outbox database (default: `outbox:` from the config, else ./pdsync-events.db).",
)


@click.group()
def events() -> None:
    """Route analytics events (identify/group/track/alias) into Pipedrive."""


@events.command()
@connection_options
@_config_option
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8081, show_default=True, type=int, help="Port to listen on.")
def serve(conn_flags: ConnectionFlags, config_path: str | None, host: str, port: int) -> None:
    """Accept events over HTTP (Segment API shape) and deliver them to Pipedrive.

    An event is acknowledged only once it is in the durable outbox; delivery runs
    behind, under Pipedrive's rate limits, in order per user.
    """
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(message)s")
    install_log_redaction()
    config = load_events_config(config_path)
    with open_client(conn_flags) as client:
        outbox = Outbox(config.outbox)
        service = EventsService(
            config,
            PipedriveDestination(client, config, outbox),
            host=host,
            port=port,
            outbox=outbox,
        )
        click.echo(f"pdsync events: listening on {service.url} (outbox {config.outbox})", err=True)
        try:
            service.serve_forever()
        finally:
            outbox.close()


@events.command()
@_config_option
@_outbox_option
@click.option("--json", "as_json", is_flag=True, help="Print the status as JSON.")
@click.option("--dead", "show_dead", is_flag=True, help="List the dead letters with their reasons.")
def status(
    config_path: str | None, outbox_path: str | None, as_json: bool, show_dead: bool
) -> None:
    """Queue depth, delivered, failed, oldest pending event."""
    with _outbox(config_path, outbox_path) as (_, outbox):
        current = outbox.status()
        dead = outbox.dead_letters() if show_dead else []
    if as_json:
        payload = current.as_dict()
        if show_dead:
            payload["dead_letters"] = [d.__dict__ for d in dead]
        click.echo(json.dumps(payload, indent=2))
        return
    for line in render_status(current):
        click.echo(line)
    for letter in dead:
        click.echo(
            f"  ✗ {letter.message_id} ({letter.type}, {letter.attempts} attempts): {letter.reason}"
        )


@events.command()
@_config_option
@_outbox_option
@click.option("--message-id", "message_ids", multiple=True, help="Replay only these (repeatable).")
def replay(config_path: str | None, outbox_path: str | None, message_ids: tuple[str, ...]) -> None:
    """Put dead letters back in the queue; a running `serve` delivers them."""
    with _outbox(config_path, outbox_path) as (_, outbox):
        count = outbox.replay(message_ids or None)
    click.echo(f"{count} dead letter(s) queued again.")


@events.command()
@connection_options
@_config_option
@_outbox_option
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option(
    "--wait",
    "drain_timeout",
    default=600.0,
    show_default=True,
    type=float,
    help="Seconds to keep delivering before leaving the rest queued.",
)
def send(
    conn_flags: ConnectionFlags,
    config_path: str | None,
    outbox_path: str | None,
    file: str,
    drain_timeout: float,
) -> None:
    """Deliver a JSON-lines file of events through the outbox, then report."""
    items = read_jsonl(file)
    with _outbox(config_path, outbox_path) as (config, outbox), open_client(conn_flags) as client:
        dead_before = outbox.status().dead
        fresh = outbox.insert(items)
        click.echo(
            f"{sum(fresh)} event(s) queued, {len(fresh) - sum(fresh)} already seen.", err=True
        )
        worker = DeliveryWorker(
            outbox, PipedriveDestination(client, config, outbox), retry=config.retry
        )
        done = worker.drain(timeout=drain_timeout)
        current = outbox.status()
    for line in render_status(current):
        click.echo(line)
    if not done:
        click.echo(
            "Some events are still waiting for a retry; `pdsync events serve` will deliver them.",
            err=True,
        )
    failed = current.dead - dead_before
    if failed > 0:
        raise EventsError(
            f"{failed} event(s) of {file} could not be delivered and went to the dead letters.",
            hint="`pdsync events status --dead` shows each reason; fix it, then "
            "`pdsync events replay`.",
        )


def render_status(current: Status) -> list[str]:
    age = "—" if current.oldest_pending_age is None else f"{current.oldest_pending_age:.1f} s"
    lines = [
        f"pending     {current.pending} ({current.retrying} retrying)",
        f"delivered   {current.delivered}",
        f"failed      {current.dead} (dead letters; `pdsync events replay` retries them)",
        f"oldest      {age}",
    ]
    lines += [f"{name:<19} {value}" for name, value in current.counters.items()]
    return lines


@contextmanager
def _outbox(
    config_path: str | None, outbox_path: str | None
) -> Iterator[tuple[EventsConfig, Outbox]]:
    config = load_events_config(config_path)
    outbox = Outbox(outbox_path or config.outbox)
    try:
        yield config, outbox
    finally:
        outbox.close()
