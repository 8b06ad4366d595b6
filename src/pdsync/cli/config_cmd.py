"""``pdsync config show``: every effective setting and where it came from."""

from __future__ import annotations

import json

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, settings_from
from pdsync.config import config_dir

__all__ = ["config"]


@click.group()
def config() -> None:
    """Inspect pdsync's settings (flags > environment > config file > defaults)."""


@config.command("show")
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def show(conn_flags: ConnectionFlags, as_json: bool) -> None:
    """Print every effective value and its source; secrets are masked."""
    settings = settings_from(conn_flags)
    rows = [(v.name, v.shown(), v.source) for v in settings]
    if as_json:
        payload = {
            "config_dir": str(config_dir()),
            "connection_name": settings.connection.name,
            "settings": [{"name": n, "value": val or None, "source": src} for n, val, src in rows],
        }
        click.echo(json.dumps(payload, indent=2))
        return
    click.echo(f"config dir  {config_dir()}")
    width = max(len(name) for name, _, _ in rows)
    value_width = min(max(len(value) for _, value, _ in rows), 40)
    for name, value, source in rows:
        click.echo(f"{name:<{width}}  {value or '-':<{value_width}}  {source}")
