"""``pdsync discover``: every stream, and per stream every column with its type and source."""

from __future__ import annotations

import json
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.discover import Discovery
from pdsync.discover import discover as run_discover

__all__ = ["discover", "render_discovery"]


def _stream_header(info: dict[str, Any]) -> str:
    facts = [
        f"{info['version']} {info['api_path']}",
        f"pk={','.join(info['primary_key'])}",
        info["mode"] + (f" on {info['cursor']}" if info["cursor"] else ""),
        f"deletes={info['delete_strategy']}",
    ]
    if info["parent"]:
        facts.append(f"parent={info['parent']['stream']}")
    if info["token_cost"] is not None:
        facts.append(f"{info['token_cost']} tokens/call")
    facts.append(info["cost_class"] + (", opt-in" if info["opt_in"] else ""))
    return f"{info['name']}  ({'; '.join(facts)})"


def _column_line(column: dict[str, Any], width: int) -> str:
    line = f"    {column['name']:<{width}}  {column['type']:<9}  {column['source']}"
    custom = column.get("custom_field")
    if custom:
        gone = ", deleted in Pipedrive" if custom["deleted"] else ""
        line += f'  [custom "{custom["name"]}" {custom["field_type"]}{gone}]'
    return line


def render_discovery(discovery: Discovery, *, columns: bool = True) -> list[str]:
    """The human listing: a header line per stream, then its columns."""
    data = discovery.as_dict()
    lines = [f"warning: {w}" for w in data["warnings"]]
    for info in data["streams"]:
        lines.append(_stream_header(info))
        if columns:
            width = max(len(c["name"]) for c in info["columns"])
            lines.extend(_column_line(c, width) for c in info["columns"])
    if discovery.offline:
        lines.append("(offline: custom fields are not shown; drop --offline to read them)")
    return lines


@click.command()
@connection_options
@click.argument("streams", nargs=-1, metavar="[STREAM]...")
@click.option("--json", "as_json", is_flag=True, help="Print the catalog as JSON.")
@click.option(
    "--offline",
    is_flag=True,
    help="Describe the catalog without calling Pipedrive (no custom fields).",
)
@click.option("--no-columns", is_flag=True, help="Only one line per stream.")
def discover(
    conn_flags: ConnectionFlags,
    streams: tuple[str, ...],
    as_json: bool,
    offline: bool,
    no_columns: bool,
) -> None:
    """List the streams pdsync replicates, and per stream every column.

    Each column shows its type and where it comes from; custom fields show their
    Pipedrive name, hash key and field type. Reads the *Fields endpoints (about
    10 tokens per entity); --offline needs no connection.
    """
    if offline:
        result = run_discover(None, streams or None)
    else:
        with open_client(conn_flags) as client:
            result = run_discover(client, streams or None)
    if as_json:
        click.echo(json.dumps(result.as_dict(), indent=2, ensure_ascii=False))
        return
    for line in render_discovery(result, columns=not no_columns):
        click.echo(line)
