"""``pdsync conns``: named connections saved in the user's config directory (mode 0600)."""

from __future__ import annotations

import json
import os
import sys

import click

from pdsync.api.check import check_connection
from pdsync.cli.check import render_check
from pdsync.config import config_dir, load_connection
from pdsync.connstore import ConnectionStore, StoredConnection

__all__ = ["conns"]


def _store() -> ConnectionStore:
    return ConnectionStore(config_dir())


@click.group()
def conns() -> None:
    """Manage named connections (set, list, test, rm)."""


@conns.command("set")
@click.argument("name")
@click.option("--api-token", metavar="TOKEN", help="API token ('-' reads it from stdin).")
@click.option("--company-domain", metavar="DOMAIN", help="acme, acme.pipedrive.com or a URL.")
@click.option("--base-url", metavar="URL", help="API root URL (emulator, proxy).")
@click.option("--oauth-client-id", metavar="ID")
@click.option("--oauth-client-secret", metavar="SECRET", help="'-' reads it from stdin.")
@click.option("--oauth-refresh-token", metavar="TOKEN", help="'-' reads it from stdin.")
@click.option("--oauth-token-url", metavar="URL")
@click.option("--oauth-authorize-url", metavar="URL")
@click.option("--replace", is_flag=True, help="Replace the connection instead of updating it.")
def set_(name: str, replace: bool, **values: str | None) -> None:
    """Create or update connection NAME (only the given fields change)."""
    for key, value in list(values.items()):
        if value == "-":
            values[key] = sys.stdin.readline().strip()
    store = _store()
    store.set(name, values, replace=replace)
    click.echo(f"Saved connection {name!r} in {store.path} (mode 0600).")


def _describe(conn: StoredConnection) -> dict[str, str | None]:
    values = conn.values
    if values.get("api_token"):
        auth = "API token"
    elif values.get("oauth_refresh_token"):
        auth = "OAuth 2.0"
    else:
        auth = "none"
    target = values.get("base_url") or (
        f"{values['company_domain']}.pipedrive.com" if values.get("company_domain") else None
    )
    return {"name": conn.name, "target": target, "auth": auth, "source": conn.origin}


@conns.command("list")
@click.option("--json", "as_json", is_flag=True, help="Print as JSON.")
def list_(as_json: bool) -> None:
    """List saved connections and those defined by environment variables."""
    store = _store()
    rows = [_describe(c) for c in store.env_connections(os.environ) + store.file_connections()]
    if as_json:
        click.echo(json.dumps(rows, indent=2))
        return
    if not rows:
        click.echo("No connections yet. Add one with `pdsync conns set NAME --api-token ...`.")
        return
    for row in rows:
        click.echo(
            f"{row['name']:<20} {row['target'] or '-':<36} {row['auth']:<10} {row['source']}"
        )


@conns.command("test")
@click.argument("name")
def test(name: str) -> None:
    """Check connection NAME against Pipedrive, ignoring PIPEDRIVE_* variables."""
    from pdsync.api.client import PipedriveClient

    # Test exactly the named connection: generic PIPEDRIVE_* variables must not mask it.
    env = {k: v for k, v in os.environ.items() if not k.startswith("PIPEDRIVE_")}
    connection = load_connection(env=env, name=name, config_dir=config_dir())
    with PipedriveClient(connection, max_retries=1) as client:
        result = check_connection(client)
    for line in render_check(result):
        click.echo(line)


@conns.command("rm")
@click.argument("name")
def rm(name: str) -> None:
    """Delete saved connection NAME."""
    store = _store()
    store.remove(name)
    click.echo(f"Removed connection {name!r}.")
