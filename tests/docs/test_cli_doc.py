"""docs/cli.md is generated from the click tree and must list every command and option."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from pdsync.cli import COMMANDS, main

from .scripts import DOCS, load_script

gen = load_script("gen_cli_doc")


def _sections(doc: str) -> dict[str, str]:
    """`## `pdsync x y`` heading -> its text, up to the next heading of that level."""
    parts = re.split(r"^## `(pdsync[^`]*)`\n", doc, flags=re.M)
    return dict(zip(parts[1::2], parts[2::2], strict=True))


def _all_commands() -> list[tuple[str, click.Command, click.Context]]:
    """Walk the tree independently of the generator, so a generator that skips one fails."""
    found = []

    def visit(command: click.Command, name: str, parent: click.Context | None) -> None:
        ctx = click.Context(command, info_name=name.split()[-1], parent=parent)
        found.append((name, command, ctx))
        if isinstance(command, click.Group):
            for sub_name in command.list_commands(ctx):
                sub = command.get_command(ctx, sub_name)
                assert sub is not None, f"{name} {sub_name} does not load"
                visit(sub, f"{name} {sub_name}", ctx)

    visit(main, "pdsync", None)
    return found


def test_cli_doc_is_up_to_date() -> None:
    doc = (DOCS / "cli.md").read_text("utf-8")
    assert doc == gen.render(), f"docs/cli.md is stale: run {gen.REGENERATE}"


def test_every_command_and_option_is_documented() -> None:
    sections = _sections(gen.render())
    commands = _all_commands()
    assert {name.split()[1] for name, _, _ in commands[1:]} == set(COMMANDS)
    for name, command, ctx in commands:
        assert name in sections, f"no section for {name}"
        text = sections[name]
        for param in command.get_params(ctx):
            if isinstance(param, click.Option) and param is not command.get_help_option(ctx):
                for flag in param.opts + param.secondary_opts:
                    assert flag in text, f"{name}: {flag} is not documented"
            if isinstance(param, click.Argument):
                assert param.make_metavar(ctx) in text, f"{name}: argument {param.name}"


def test_environment_variables_and_defaults_are_shown() -> None:
    sections = _sections(gen.render())
    assert "env: `PDSYNC_LOG_LEVEL`" in sections["pdsync"]
    assert "env: `PDSYNC_TARGET`" in sections["pdsync query"]
    assert "[default: 8765]" in sections["pdsync emulator serve"]


def test_internal_links_point_to_sections() -> None:
    doc = gen.render()
    anchors = {gen.anchor(tuple(name.split())) for name in _sections(doc)}
    for target in re.findall(r"\]\(#([^)]+)\)", doc):
        assert target in anchors, f"broken link #{target}"


def test_check_mode_reports_a_stale_page(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    stale = tmp_path / "cli.md"
    stale.write_text("# old\n", "utf-8")
    monkeypatch.setattr(gen, "DOC", stale)
    assert gen.main_(["--check"]) == 1
    assert gen.main_([]) == 0
    assert gen.main_(["--check"]) == 0
