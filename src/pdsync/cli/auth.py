"""``pdsync auth login``: the OAuth authorization-code flow for a Marketplace app."""

from __future__ import annotations

import click

from pdsync.api.oauth_login import login as oauth_login
from pdsync.config import config_dir, load_connection
from pdsync.connstore import ConnectionStore
from pdsync.errors import ConfigError

__all__ = ["auth"]


@click.group()
def auth() -> None:
    """Authorize pdsync with OAuth 2.0 (for Pipedrive Marketplace apps)."""


@auth.command("login")
@click.argument("name")
@click.option("--client-id", help="The app's client id (else from connection NAME).")
@click.option("--client-secret", help="The app's client secret (else from connection NAME).")
@click.option(
    "--port",
    type=int,
    default=8765,
    show_default=True,
    help="Local port; the app's redirect URI must be http://127.0.0.1:PORT/callback.",
)
@click.option("--authorize-url", help="OAuth authorize endpoint (emulator, tests).")
@click.option("--token-url", help="OAuth token endpoint (emulator, tests).")
@click.option("--base-url", help="API root URL to save with the connection (emulator).")
@click.option(
    "--timeout",
    type=float,
    default=300.0,
    show_default=True,
    help="Seconds to wait for the browser redirect.",
)
def login(
    name: str,
    client_id: str | None,
    client_secret: str | None,
    port: int,
    authorize_url: str | None,
    token_url: str | None,
    base_url: str | None,
    timeout: float,
) -> None:
    """Authorize the app and save the refresh token as connection NAME.

    Prints the authorize URL, listens on 127.0.0.1 for Pipedrive's redirect, exchanges
    the code and saves client id, secret and refresh token (mode 0600).
    """
    store = ConnectionStore(config_dir())
    existing = {c.name: c.values for c in store.file_connections()}.get(name, {})
    flags = {
        "oauth_client_id": client_id,
        "oauth_client_secret": client_secret,
        "oauth_authorize_url": authorize_url,
        "oauth_token_url": token_url,
        "base_url": base_url,
    }
    merged = {**existing, **{k: v for k, v in flags.items() if v}}
    merged.pop("api_token", None)  # an API token would override the OAuth credentials
    connection = load_connection(flags=merged, env={}, config_dir=config_dir())
    if not connection.oauth_client_id or not connection.oauth_client_secret:
        raise ConfigError(
            "OAuth login needs the app's client id and client secret.",
            hint="Pass --client-id and --client-secret (from the app in Developer Hub).",
        )
    tokens = oauth_login(
        client_id=connection.oauth_client_id,
        client_secret=connection.oauth_client_secret,
        authorize_url=connection.authorize_url(),
        token_url=connection.token_url(),
        show_url=lambda url: click.echo(
            f"Open this URL in a browser and approve the app:\n\n  {url}\n"
        ),
        port=port,
        timeout=timeout,
    )
    if not tokens.refresh_token:
        raise ConfigError("The token response carried no refresh token; nothing to save.")
    store.set(name, {**merged, "oauth_refresh_token": tokens.refresh_token}, replace=True)
    where = tokens.api_domain or connection.root_url()
    click.echo(f"✓ Authorized. Saved connection {name!r} (OAuth 2.0, API at {where}).")
