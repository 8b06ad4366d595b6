"""``pdsync push``: write rows from a CSV, JSONL or Parquet file back to Pipedrive."""

from __future__ import annotations

import sys
from pathlib import Path

import click

from pdsync.cli.connopts import ConnectionFlags, connection_options, open_client
from pdsync.errors import ConfigError, PushError
from pdsync.push import (
    MODES,
    OBJECTS,
    Journal,
    PlanItem,
    PushOptions,
    PushResult,
    default_journal_path,
    detect_format,
    read_rows,
    render_item,
    run_push,
    write_report,
)

__all__ = ["parse_mappings", "push"]


def parse_mappings(pairs: tuple[str, ...]) -> dict[str, str]:
    """``("Full name=name", ...)`` → ``{"Full name": "name"}``."""
    mappings: dict[str, str] = {}
    for pair in pairs:
        column, sep, target = pair.partition("=")
        if not sep or not column.strip() or not target.strip():
            raise ConfigError(
                f"--map {pair!r} is not COLUMN=FIELD.", hint='Write it as --map "E-mail=email".'
            )
        mappings[column.strip()] = target.strip()
    return mappings


@click.command()
@click.argument("object_name", metavar="OBJECT", type=click.Choice(sorted(OBJECTS)))
@click.option(
    "--input",
    "-i",
    "source",
    metavar="FILE",
    required=True,
    help="CSV/TSV, JSONL or Parquet file, or - for standard input (CSV unless --format).",
)
@click.option(
    "--format",
    "fmt",
    type=click.Choice(["csv", "jsonl", "parquet"]),
    help="Input format; by default read from the file's suffix.",
)
@click.option(
    "--mode",
    "-m",
    type=click.Choice(MODES),
    default="insert",
    show_default=True,
    help="What each row does; objects support different modes (see above).",
)
@click.option(
    "--key",
    "-k",
    help="Field records are matched on: id (default but for insert), email, name, title, "
    "code or any custom field. Not for links.",
)
@click.option(
    "--map", "maps", multiple=True, metavar="COLUMN=FIELD", help="Read a column as a field."
)
@click.option("--ignore", multiple=True, metavar="COLUMN", help="Leave a column out.")
@click.option("--dry-run", is_flag=True, help="Print the plan; make no write call, no journal.")
@click.option(
    "--report",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Write one line per row (action, id, status, key, message) to FILE.csv or .jsonl.",
)
@click.option("--yes", "-y", is_flag=True, help="Confirm deletes and merges without a prompt.")
@click.option(
    "--create-missing", is_flag=True, help="Create organizations a row names but Pipedrive lacks."
)
@click.option(
    "--replica", metavar="URL", help="sqlite:///pipedrive.db: match on a replica, no search."
)
@click.option(
    "--date-order",
    type=click.Choice(["dmy", "mdy"]),
    help="How to read ambiguous dates like 01/02/2024 (otherwise a row error).",
)
@click.option(
    "--journal",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Journal file (default: beside the input; none for stdin).",
)
@click.option("--fresh", is_flag=True, help="Forget earlier runs of this file (journal reset).")
@click.option("--quiet", "-q", is_flag=True, help="Print only the summary and errors.")
@connection_options
def push(
    conn_flags: ConnectionFlags,
    object_name: str,
    source: str,
    fmt: str | None,
    mode: str,
    key: str | None,
    maps: tuple[str, ...],
    ignore: tuple[str, ...],
    dry_run: bool,
    report: Path | None,
    yes: bool,
    create_missing: bool,
    replica: str | None,
    date_order: str | None,
    journal: Path | None,
    fresh: bool,
    quiet: bool,
) -> None:
    """Create, update, upsert, delete or merge OBJECT records from a file.

    \b
    Records: deals, persons, organizations, activities, products, leads, notes
      (insert, update, upsert, delete; merge for deals, persons, organizations).
    Links, matched on the pair the row names (--key does not apply):
      deal_products      deal + product (id, code or name) + item_price, quantity,
                         ... (insert attaches, update, upsert, delete)
      deal_participants  deal + person (id, email or name) (insert, upsert, delete)
      deal_followers, person_followers, organization_followers, product_followers
                         parent + user (id, email or name) (insert, upsert, delete)

    Columns name fields by their readable name, column name or key; values are
    converted by field type (option labels, 1200 EUR, dates, yes/no, several emails).
    Each row is planned first (--dry-run shows the plan and writes nothing), then
    applied once: a journal next to the input makes a rerun skip what was applied.
    Deletes and merges ask for confirmation unless --yes is given.
    """
    options = PushOptions(
        object_name=object_name,
        mode=mode,
        key=key,
        mappings=parse_mappings(maps),
        ignore=frozenset(ignore),
        dry_run=dry_run,
        create_missing=create_missing,
        replica=replica,
        date_order=date_order,  # type: ignore[arg-type]
        yes=yes,
    )
    rows = read_rows(source, detect_format(source, fmt))
    journal_path = journal or (
        None if source == "-" else default_journal_path(source, object_name, mode)
    )
    with open_client(conn_flags) as client, Journal(journal_path, dry_run=dry_run) as jrnl:
        if fresh and not dry_run:
            jrnl.reset()
        result = run_push(
            client,
            rows,
            options,
            jrnl,
            confirm=lambda count, action: _confirm(count, action, object_name, source),
            on_plan=lambda item: _show_plan(item, object_name, dry_run, quiet),
            on_apply=lambda item: _show_applied(item, object_name, quiet),
        )
        if report is not None:
            written = write_report(report, jrnl.items(), dry_run=dry_run)
            click.echo(f"Report: {written} rows written to {report}", err=True)
    _finish(result, report, journal_path)


def _show_plan(item: PlanItem, object_name: str, dry_run: bool, quiet: bool) -> None:
    if dry_run and (not quiet or item.action == "error"):
        click.echo(render_item(item, object_name))
    elif item.action == "error":
        click.echo(render_item(item, object_name), err=True)


def _show_applied(item: PlanItem, object_name: str, quiet: bool) -> None:
    if item.status == "failed":
        click.echo(f"row {item.row:>5}  failed  {item.message}", err=True)
    elif not quiet:
        click.echo(f"row {item.row:>5}  {item.action:<6} {object_name} #{item.record_id}")


def _confirm(count: int, action: str, object_name: str, source: str) -> bool:
    click.echo(f"{count} {object_name} will be {action}d in Pipedrive.", err=True)
    if source == "-" or not sys.stdin.isatty():
        return False
    return click.confirm("Go ahead?", default=False, err=True)


def _finish(result: PushResult, report: Path | None, journal_path: Path | None) -> None:
    click.echo(result.planned.line(), err=True)
    if result.dry_run:
        click.echo("Dry run: nothing was written.", err=True)
        if result.errors:
            # A plan with row errors fails, so scripts can gate the real run on the dry run.
            raise PushError(
                f"{result.errors} rows would not be pushed.",
                hint=f"Fix them (see {report or 'the plan above'}) before the real run.",
            )
        return
    click.echo(f"Applied {result.applied}, failed {result.failed}.", err=True)
    bad = result.failed + result.errors
    if bad:
        where = f"see {report}" if report else "rerun with --report FILE to get each row's message"
        resume = " Applied rows are skipped on a rerun." if journal_path else ""
        raise PushError(
            f"{bad} rows were not pushed.",
            hint=f"Fix them ({where}) and run the same command again.{resume}",
        )
