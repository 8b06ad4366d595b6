"""``pdsync check``: prove that the token and company domain work."""

from __future__ import annotations

import json

import click

from pdsync.api.check import CheckResult, check_connection
from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client

__all__ = ["check", "render_check"]


def render_check(result: CheckResult) -> list[str]:
    """The human report, one line per fact the API told us."""
    company = result.company_name or "?"
    if result.company_domain:
        company += f" ({result.company_domain}.pipedrive.com)"
    user = f"{result.user_name or '?'}"
    if result.user_email:
        user += f" <{result.user_email}>"
    user += " (admin)" if result.is_admin else " (not admin)"
    lines = [
        "✓ Connected to Pipedrive",
        f"  company   {company}",
        f"  user      {user}",
        f"  auth      {result.auth_method}",
        f"  api       {result.root_url}",
    ]
    rate = result.rate
    if rate.burst_limit is not None and rate.burst_remaining is not None:
        lines.append(
            f"  burst     {rate.burst_remaining}/{rate.burst_limit} requests left in the 2 s window"
        )
    if rate.daily_remaining is not None:
        total = f"/{rate.daily_limit:,}" if rate.daily_limit is not None else ""
        lines.append(f"  daily     {rate.daily_remaining:,}{total} tokens left today")
    return lines


@click.command()
@connection_options
@click.option("--json", "as_json", is_flag=True, help="Print the result as JSON.")
def check(conn_flags: ConnectionFlags, as_json: bool) -> None:
    """Check that the token and company domain work (calls /v1/users/me).

    Prints the company, the user, the auth method and the rate-limit budget left.
    Exits 0 when connected; otherwise one line saying what is wrong, what to do,
    and the documented exit code (see docs/exit-codes.md).
    """
    with open_client(conn_flags, max_retries=1) as client:
        result = check_connection(client)
    if as_json:
        click.echo(json.dumps({"ok": True, **result.as_dict()}, indent=2))
    else:
        for line in render_check(result):
            click.echo(line)
