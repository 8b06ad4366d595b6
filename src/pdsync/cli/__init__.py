"""The ``pdsync`` command line: a thin layer that parses flags and prints.

Every behaviour lives in the library modules; each subcommand is a small module
in this package, imported only when it runs, so ``pdsync --help`` stays fast.
Errors from the library are :class:`pdsync.errors.PdsyncError`; they are printed
as one line (what is wrong, then what to do) and mapped to the documented exit
codes, never as a traceback.
"""

from __future__ import annotations

import importlib
import logging
import sys
from typing import Any

import click

from pdsync import __version__
from pdsync.errors import PdsyncError, exit_code_for
from pdsync.redact import install_log_redaction, redact

# command name -> "module:attribute" of its click command, in help order.
COMMANDS: dict[str, str] = {
    "demo": "pdsync.cli.demo:demo",
    "check": "pdsync.cli.check:check",
    "conns": "pdsync.cli.conns:conns",
    "config": "pdsync.cli.config_cmd:config",
    "auth": "pdsync.cli.auth:auth",
    "discover": "pdsync.cli.discover:discover",
    "sync": "pdsync.cli.sync:sync",
    "verify": "pdsync.cli.verify:verify",
    "query": "pdsync.cli.query:query",
    "export": "pdsync.cli.export:export",
    "push": "pdsync.cli.push:push",
    "bisync": "pdsync.cli.bisync:bisync",
    "backup": "pdsync.cli.backup:backup",
    "restore": "pdsync.cli.backup:restore",
    "users": "pdsync.cli.actions:users",
    "leads": "pdsync.cli.actions:leads",
    "merge": "pdsync.cli.actions:merge",
    "api": "pdsync.cli.api:api",
    "events": "pdsync.cli.events:events",
    "listen": "pdsync.cli.listen:listen",
    "emulator": "pdsync.cli.emulator:emulator",
}


class LazyGroup(click.Group):
    """A group whose subcommands are imported on first use."""

    def list_commands(self, ctx: click.Context) -> list[str]:
        return list(COMMANDS)

    def get_command(self, ctx: click.Context, cmd_name: str) -> click.Command | None:
        target = COMMANDS.get(cmd_name)
        if target is None:
            return None
        module_name, attr = target.split(":")
        command = getattr(importlib.import_module(module_name), attr)
        assert isinstance(command, click.Command)
        return command

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except PdsyncError as exc:
            report_error(exc)
            ctx.exit(exc.exit_code)
        except KeyboardInterrupt:
            click.echo("Interrupted; state saved up to the last committed batch.", err=True)
            ctx.exit(130)


def report_error(exc: PdsyncError) -> None:
    """Print an error as the user should read it: what is wrong, then what to do."""
    click.secho(f"Error: {exc.message}", fg="red", err=True)
    if exc.hint:
        click.echo(f"  → {exc.hint}", err=True)


@click.group(cls=LazyGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="pdsync")
@click.option(
    "--log-level",
    type=click.Choice(["error", "warning", "info", "debug"], case_sensitive=False),
    default="warning",
    envvar="PDSYNC_LOG_LEVEL",
    show_default=True,
    help="Diagnostic log level (to stderr). Secrets are masked at every level.",
)
def main(log_level: str) -> None:
    """pdsync moves data between Pipedrive CRM and SQLite, DuckDB, PostgreSQL and files."""
    configure_logging(log_level)


def configure_logging(level: str) -> None:
    """Log to stderr through the redacting filter, so no level can print a token."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level.upper())
    install_log_redaction(root)


def run() -> None:
    """Entry point for ``python -m pdsync``: like ``main`` but never shows a traceback for ours."""
    try:
        main()
    except PdsyncError as exc:  # raised outside a subcommand's invoke
        report_error(exc)
        sys.exit(exit_code_for(exc))
    except Exception as exc:  # last line of defence: still no secret in the output
        click.secho(f"Unexpected error: {redact(repr(exc))}", fg="red", err=True)
        click.echo(
            "  → This is a bug in pdsync; please report it with the command you ran.", err=True
        )
        sys.exit(1)
