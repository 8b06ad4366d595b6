"""``pdsync demo``: emulator → full sync → changes through the API → incremental sync → SQL."""

from __future__ import annotations

import click


@click.command("demo")
@click.option(
    "--path", default="pdsync-demo.db", show_default=True, help="Where to write the replica."
)
@click.option(
    "--deals",
    type=click.IntRange(10, 100_000),
    default=300,
    show_default=True,
    help="Account size.",
)
def demo(path: str, deals: int) -> None:
    """Try pdsync with no Pipedrive account: sync an emulated account into SQLite."""
    from pdsync.demo import run_demo

    run_demo(path, deals=deals, say=click.echo)
