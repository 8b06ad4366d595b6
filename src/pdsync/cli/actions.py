"""``pdsync users find``, ``pdsync leads create|update``, ``pdsync merge``: single actions."""

from __future__ import annotations

import json
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.push.actions import create_lead, find_users, merge_records, update_lead

__all__ = ["leads", "merge", "users"]


def _echo(data: Any, as_json: bool, line: str) -> None:
    click.echo(json.dumps(data, indent=2, default=str) if as_json else line)


@click.group()
def users() -> None:
    """Look up Pipedrive users."""


@users.command("find")
@click.argument("term")
@click.option("--json", "as_json", is_flag=True, help="Print the users as JSON.")
@connection_options
def users_find(conn_flags: ConnectionFlags, term: str, as_json: bool) -> None:
    """Find users by name, or by email when TERM contains @."""
    with open_client(conn_flags) as client:
        found = find_users(client, term)
    if as_json:
        click.echo(json.dumps(found, indent=2, default=str))
        return
    for user in found:
        click.echo(f"{user.get('id'):>8}  {user.get('name', '')}  <{user.get('email', '')}>")
    click.echo(f"{len(found)} users found", err=True)


_LEAD_OPTIONS = (
    click.option("--title", help="The lead's title."),
    click.option("--person", help="Person id or email."),
    click.option("--org", "organization", help="Organization id or name."),
    click.option("--owner", help="Owner's user id or email."),
    click.option("--value", help="Amount, e.g. '1200 EUR'."),
    click.option("--expected-close-date", help="A date, e.g. 2025-06-30."),
    click.option("--set", "sets", multiple=True, metavar="FIELD=VALUE", help="Any other field."),
    click.option("--json", "as_json", is_flag=True, help="Print the lead as JSON."),
)


def _lead_options(command: Any) -> Any:
    for option in reversed(_LEAD_OPTIONS):
        command = option(command)
    return command


def _lead_values(flags: dict[str, Any]) -> dict[str, Any]:
    values = {k: v for k, v in flags.items() if v not in (None, "") and k not in ("sets",)}
    for pair in flags.get("sets") or ():
        name, sep, value = pair.partition("=")
        if not sep:
            raise click.BadParameter(f"{pair!r} is not FIELD=VALUE", param_hint="--set")
        values[name.strip()] = value
    return values


@click.group()
def leads() -> None:
    """Create and update leads."""


@leads.command("create")
@_lead_options
@connection_options
def leads_create(conn_flags: ConnectionFlags, as_json: bool, **flags: Any) -> None:
    """Create a lead (needs --title and --person or --org)."""
    with open_client(conn_flags) as client:
        lead = create_lead(client, _lead_values(flags))
    _echo(lead, as_json, f"Created lead {lead.get('id')}: {lead.get('title')}")


@leads.command("update")
@click.argument("lead_id")
@_lead_options
@connection_options
def leads_update(conn_flags: ConnectionFlags, lead_id: str, as_json: bool, **flags: Any) -> None:
    """Update the given fields of lead LEAD_ID (only changed fields are sent)."""
    with open_client(conn_flags) as client:
        lead = update_lead(client, lead_id, _lead_values(flags))
    _echo(lead, as_json, f"Lead {lead.get('id')} is up to date")


@click.command()
@click.argument(
    "object_name", metavar="OBJECT", type=click.Choice(["persons", "organizations", "deals"])
)
@click.argument("duplicate", type=int)
@click.argument("keep", type=int)
@click.option("--yes", "-y", is_flag=True, help="Do not ask for confirmation.")
@click.option("--json", "as_json", is_flag=True, help="Print the merged record as JSON.")
@connection_options
def merge(
    conn_flags: ConnectionFlags,
    object_name: str,
    duplicate: int,
    keep: int,
    yes: bool,
    as_json: bool,
) -> None:
    """Merge record DUPLICATE into record KEEP (KEEP survives; its values win)."""
    if not yes:
        click.confirm(f"Merge {object_name} #{duplicate} into #{keep}?", abort=True, err=True)
    with open_client(conn_flags) as client:
        merged = merge_records(client, object_name, duplicate, keep)
    _echo(merged, as_json, f"Merged {object_name} #{duplicate} into #{merged.get('id', keep)}")
