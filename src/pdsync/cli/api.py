"""``pdsync api``: any Pipedrive operation, with pdsync's auth, limits, retries and paging."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import ConfigError, MissingDependencyError
from pdsync.redact import redact

WRITE_METHODS = ("POST", "PUT", "PATCH")
METHODS = ("GET", "DELETE", *WRITE_METHODS)
HIDDEN_HEADERS = frozenset({"set-cookie", "authorization", "x-api-token"})


@click.command("api", context_settings={"ignore_unknown_options": False})
@click.argument("words", nargs=-1, metavar="[METHOD] PATH")
@click.option(
    "-f",
    "--field",
    "raw_fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="A string parameter (query for GET/DELETE, JSON body otherwise).",
)
@click.option(
    "-F",
    "--typed-field",
    "typed_fields",
    multiple=True,
    metavar="KEY=VALUE",
    help="A typed parameter: JSON (42, true, [1,2], {...}) or @file.json.",
)
@click.option(
    "--input",
    "input_file",
    type=click.Path(dir_okay=False, allow_dash=True),
    help="The JSON request body from a file ('-' for stdin); fields are added to it.",
)
@click.option("--paginate", is_flag=True, help="Follow every page; print one JSON array.")
@click.option("--jsonl", is_flag=True, help="With --paginate: one JSON record per line.")
@click.option("--jq", "jq_expr", metavar="EXPR", help="Filter the output with a jq expression.")
@click.option("--include", "-i", is_flag=True, help="Print the status and headers first.")
@click.option(
    "--no-validate",
    is_flag=True,
    help="Send even what the official spec would refuse (if the spec lags the API).",
)
@click.option(
    "--list",
    "list_ops",
    is_flag=True,
    help="List the operations (filtered by the words given) with their token cost.",
)
@connection_options
def api(
    words: tuple[str, ...],
    raw_fields: tuple[str, ...],
    typed_fields: tuple[str, ...],
    input_file: str | None,
    paginate: bool,
    jsonl: bool,
    jq_expr: str | None,
    include: bool,
    no_validate: bool,
    list_ops: bool,
    conn_flags: ConnectionFlags,
) -> None:  # fmt: skip
    """Call any operation of Pipedrive's API: `pdsync api /v1/recents -f since_timestamp=...`.

    PATH is /v1/..., /api/v1/... or /api/v2/...; METHOD defaults to GET. Parameters
    are checked against the official spec before anything is sent (no tokens spent on
    a typo). The token never appears in the output.
    """
    from pdsync.operations import ApiCall, OperationCatalog, validate_request
    from pdsync.operations import call as send_call
    from pdsync.operations import paginate as walk

    catalog = OperationCatalog.load()
    if list_ops:
        _print_operations(catalog.search(" ".join(words) or None))
        return
    method, path = _method_and_path(words)
    op, path_values = catalog.match(method, path)
    values = _fields(raw_fields, typed=False) + _fields(typed_fields, typed=True)
    body: Any = None
    query: dict[str, Any] = {}
    if method in WRITE_METHODS:
        body = _read_input(input_file) if input_file else {}
        if not isinstance(body, dict) and values:
            raise ConfigError("--input must hold a JSON object when fields are added to it.")
        if values:
            body.update(values)
    else:
        if input_file:
            raise ConfigError(f"{method} takes no body; give its parameters with -f name=value.")
        query = {name: _query_value(value) for name, value in values}
    if paginate and not op.paginated:
        raise ConfigError(f"{op.label()} is not a paged list; drop --paginate.")
    if not no_validate:
        validate_request(op, path_values, query, body if method in WRITE_METHODS else None)
    api_call = ApiCall(op, path, query, body)
    with open_client(conn_flags) as client:
        if paginate:
            records = walk(client, api_call, warn=lambda m: click.echo(f"warning: {m}", err=True))
            _print_records(records, jsonl=jsonl, jq_expr=jq_expr)
            return
        response = send_call(client, api_call)
    if include:
        click.echo(f"HTTP {response.status}")
        for name, value in response.headers.items():
            shown = "***" if name.lower() in HIDDEN_HEADERS else redact(value)
            click.echo(f"{name}: {shown}")
        click.echo()
    _print_json(response.body, jq_expr)


def _method_and_path(words: tuple[str, ...]) -> tuple[str, str]:
    if len(words) == 1:
        return "GET", words[0]
    if len(words) == 2 and words[0].upper() in METHODS:
        return words[0].upper(), words[1]
    raise ConfigError(
        "Give a PATH, or a METHOD and a PATH: `pdsync api /v1/recents`, "
        "`pdsync api PATCH /api/v2/deals/42 -F value=1200`.",
        hint=f"METHOD is one of {', '.join(METHODS)}; `pdsync api --list` lists the paths.",
    )


def _fields(pairs: Iterable[str], *, typed: bool) -> list[tuple[str, Any]]:
    values: list[tuple[str, Any]] = []
    for pair in pairs:
        name, sep, text = pair.partition("=")
        if not sep or not name:
            flag = "-F" if typed else "-f"
            raise ConfigError(f"{flag} {pair!r} is not KEY=VALUE.")
        values.append((name, _typed(text) if typed else text))
    return values


def _typed(text: str) -> Any:
    if text.startswith("@"):
        return _read_input(text[1:])
    try:
        return json.loads(text)
    except json.JSONDecodeError:
        return text  # a bare word is a string, as gh's -F does


def _read_input(source: str) -> Any:
    try:
        text = sys.stdin.read() if source == "-" else Path(source).read_text("utf-8")
    except OSError as exc:
        raise ConfigError(f"Cannot read {source}: {exc.strerror}.") from None
    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise ConfigError(f"{source} is not JSON: {exc.msg} at line {exc.lineno}.") from None


def _query_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(str(v) for v in value)
    if isinstance(value, dict):
        return json.dumps(value, separators=(",", ":"))
    return str(value)


def _print_json(value: Any, jq_expr: str | None) -> None:
    if jq_expr:
        for result in _jq(jq_expr, value):
            click.echo(result if isinstance(result, str) else _dumps(result))
        return
    click.echo(_dumps(value))


def _print_records(records: Iterable[dict[str, Any]], *, jsonl: bool, jq_expr: str | None) -> None:
    if jsonl:
        for record in records:
            if jq_expr:
                _print_json(record, jq_expr)
            else:
                click.echo(json.dumps(record, ensure_ascii=False))
        return
    _print_json(list(records), jq_expr)


def _dumps(value: Any) -> str:
    pretty = sys.stdout.isatty()
    if pretty:
        return json.dumps(value, indent=2, ensure_ascii=False)
    return json.dumps(value, separators=(",", ":"), ensure_ascii=False)


def _jq(expr: str, value: Any) -> list[Any]:
    try:
        import jq  # type: ignore[import-not-found,unused-ignore]
    except ImportError:
        raise MissingDependencyError("jq", "jq") from None
    try:
        program = jq.compile(expr)
    except ValueError as exc:
        raise ConfigError(f"--jq {expr!r} is not a jq program: {exc}.") from None
    return list(program.input_value(value).all())


def _print_operations(operations: list[Any]) -> None:
    if not operations:
        click.echo("No operation matches.", err=True)
        return
    for op in operations:
        cost = "?" if op.token_cost is None else str(op.token_cost)
        flag = " (deprecated)" if op.deprecated else ""
        click.echo(f"{op.method:<7}{op.path:<58}{cost:>4}  {op.summary}{flag}")
    click.echo(f"{len(operations)} operations; the number is the token cost of one call.", err=True)
