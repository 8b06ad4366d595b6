"""``pdsync listen``: keep a replica current from Pipedrive's webhooks (thin layer over :mod:`pdsync.live`)."""

from __future__ import annotations

import json
import signal
import sys
import threading
import time
from datetime import timedelta
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import ConfigError

MIN_CATCH_UP = timedelta(seconds=10)


def _duration(flag: str, text: str, minimum: timedelta = timedelta(0)) -> timedelta | None:
    from pdsync.cli.sync import parse_duration

    try:
        value = parse_duration(text)
    except ConfigError:
        value = minimum - timedelta(seconds=1)
    if value is not None and value < minimum:
        least = f" of at least {minimum.seconds} s" if minimum else ""
        raise ConfigError(
            f"{flag} is {text!r}, which is not a duration{least}.",
            hint="Use e.g. 30s, 15m, 1h, or never.",
        )
    return value


@click.command("listen")
@click.argument("streams", nargs=-1)
@click.option("--target", "-t", metavar="URL", help="Replica URL (default sqlite:///pipedrive.db).")
@click.option("--host", default="127.0.0.1", show_default=True, help="Interface to listen on.")
@click.option("--port", default=8000, show_default=True, type=int, help="Port (0: any free one).")
@click.option(
    "--public-url",
    metavar="URL",
    help="The URL Pipedrive reaches this receiver at (default: http://HOST:PORT).",
)
@click.option("--no-register", is_flag=True, help="Do not register webhooks (you manage them).")
@click.option("--unregister", is_flag=True, help="Remove this replica's webhooks on a clean stop.")
@click.option(
    "--catch-up-every",
    default="15m",
    show_default=True,
    metavar="DURATION",
    help="How often to run an incremental sync to recover lost deliveries (never: only on start).",
)
@click.option(
    "--reconcile-every",
    default="24h",
    show_default=True,
    metavar="DURATION",
    help="How often a periodic catch-up also scans ids for deletes (gaps always do).",
)
@click.option("--journal", metavar="FILE", help="Journal file (default: beside a SQLite replica).")
@click.option(
    "--log-format",
    type=click.Choice(["text", "json"]),
    default="text",
    show_default=True,
    help="Status as text (a live line on a terminal) or JSON lines.",
)
@connection_options
def listen(
    streams: tuple[str, ...],
    target: str | None,
    host: str,
    port: int,
    public_url: str | None,
    no_register: bool,
    unregister: bool,
    catch_up_every: str,
    reconcile_every: str,
    journal: str | None,
    log_format: str,
    conn_flags: ConnectionFlags,
) -> None:
    """Apply Pipedrive's webhooks to the replica at TARGET within a second, deletes included.

    Registers one webhook per object (version 2.0, HTTP Basic credentials generated
    for this replica), journals each delivery durably before answering, applies it,
    and runs an incremental sync on start and every --catch-up-every so nothing is
    lost. STREAM defaults to deals, persons, organizations, activities, products
    and leads. Webhooks stay registered after a stop unless --unregister.
    """
    from pdsync.destinations import open_destination
    from pdsync.live.journal import Journal, default_journal_path
    from pdsync.live.objects import resolve_streams
    from pdsync.live.service import ListenOptions, ListenService

    options = ListenOptions(
        credentials=_credentials_from_env(),
        streams=resolve_streams(streams),
        host=host,
        port=port,
        public_url=public_url,
        register=not no_register,
        unregister_on_stop=unregister,
        catch_up_every=_duration("--catch-up-every", catch_up_every, MIN_CATCH_UP),
        reconcile_every=_duration("--reconcile-every", reconcile_every),
    )
    destination = open_destination(target)
    store = Journal(journal or default_journal_path(target))
    client = open_client(conn_flags)
    try:
        try:
            service = ListenService(client, destination, store, options)
        except OSError as exc:
            raise ConfigError(
                f"Cannot listen on {host}:{port}: {exc.strerror or exc}",
                hint="Pick another --port (or --port 0 for any free one).",
            ) from None
        service.start()
        _announce(service, log_format)
        _follow(service, log_format)
    finally:
        store.close()
        client.close()
        destination.close()


def _credentials_from_env() -> Any:
    """Credentials of webhooks the user manages (both variables), else None."""
    import os

    from pdsync.live.credentials import PASSWORD_ENV, USER_ENV, Credentials

    user, password = os.environ.get(USER_ENV), os.environ.get(PASSWORD_ENV)
    if not user and not password:
        return None
    if not user or not password or len(password) < 16:
        raise ConfigError(
            f"Set both {USER_ENV} and {PASSWORD_ENV} (a password of 16 characters or more).",
            hint="Or unset both: pdsync listen then generates credentials for this replica.",
        )
    return Credentials(user, password)


def _announce(service: Any, log_format: str) -> None:
    receiver = service.receiver.url
    if log_format == "json":
        click.echo(
            json.dumps({"event": "listening", "url": receiver, "public_url": service.public_url})
        )
        return
    click.echo(f"Listening on {receiver} (deliveries: {service.public_url}/pipedrive)", err=True)
    if service.options.register and service.options.public_url is None:
        click.echo(
            "  Webhooks point at this address: Pipedrive itself needs a public HTTPS URL "
            "(--public-url, e.g. behind a reverse proxy).",
            err=True,
        )
    click.echo(f"Status: {receiver}/status   Stop: Ctrl-C", err=True)


def _follow(service: Any, log_format: str) -> None:
    """Show progress until Ctrl-C / SIGTERM, then stop cleanly."""
    stop = threading.Event()
    previous = signal.signal(signal.SIGTERM, lambda *_: stop.set())
    tty = sys.stderr.isatty() and log_format == "text"
    every = 1.0 if tty else 60.0
    last = time.monotonic()
    try:
        while not stop.wait(0.2):
            if service.error is not None:
                break
            if time.monotonic() - last >= every:
                last = time.monotonic()
                if log_format == "json":
                    click.echo(json.dumps({"event": "status", **service.snapshot()}, default=str))
                else:
                    click.echo(("\r" if tty else "") + service.status.line(), nl=not tty, err=True)
    except KeyboardInterrupt:
        pass
    finally:
        signal.signal(signal.SIGTERM, previous)
        if tty:
            click.echo("", err=True)
        service.stop()
    if service.error is not None:
        raise service.error
    click.echo(f"Stopped. {service.status.line()}", err=True)
