"""Selection that scales: patterns, excludes, opt-in streams and the extended-requests switch."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from sync_helpers import CAPABLE

from pdsync.catalog.registry import CATALOG
from pdsync.emulator.server import EmulatorServer
from pdsync.errors import ConfigError
from pdsync.sync.replication import parse_replication, select_streams
from pdsync.sync.run import OPT_IN_STREAMS, default_streams

OPT_IN = OPT_IN_STREAMS


def names(**kwargs: object) -> list[str]:
    return [s.name for s in select_streams(CAPABLE, opt_in=OPT_IN, **kwargs)]  # type: ignore[arg-type]


def test_a_pattern_on_the_command_line_selects_the_streams_it_matches_except_opt_in() -> None:
    assert names(requested=["mail*"]) == ["mail_threads"]  # mail_messages is opt-in
    assert names(requested=["mail*", "mail_messages"]) == ["mail_messages", "mail_threads"]
    assert set(names(requested=["project_*"])) == {
        "project_fields", "project_boards", "project_phases", "project_templates",
    }  # fmt: skip


def test_without_a_selection_every_stream_but_the_opt_in_ones() -> None:
    chosen = names()
    assert chosen == default_streams()
    assert "deal_flow" not in chosen and "deal_installments" in chosen
    assert {"deal_flow", "deal_changelog", "mail_messages", "deal_followers"} <= OPT_IN


def test_star_minus_a_list_in_the_replication_file() -> None:
    config = parse_replication(
        {"streams": {"*": None, "deal_flow": None}, "exclude": ["mail_*", "webhooks"]}
    )
    chosen = names(config=config)
    assert "deal_flow" in chosen  # named: opt-in honoured
    assert "deal_changelog" not in chosen  # opt-in, not named
    assert not any(n.startswith("mail_") for n in chosen) and "webhooks" not in chosen
    wanted = [
        n for n in CATALOG
        if (n not in OPT_IN or n == "deal_flow") and not n.startswith("mail_") and n != "webhooks"
    ]  # fmt: skip
    assert chosen == wanted


def test_command_line_excludes_apply_too() -> None:
    assert "notes" not in names(exclude=["notes", "*_fields"])
    assert not any(n.endswith("_fields") for n in names(exclude=["*_fields"]))


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"requested": ["mial*"]}, "Unknown stream"),
        ({"exclude": ["dealz"]}, "Unknown stream to exclude"),
        ({"requested": ["deals"], "exclude": ["deal*"]}, "No stream is left"),
    ],
)
def test_mistakes_are_config_errors_that_say_what_to_do(
    kwargs: dict[str, object], message: str
) -> None:
    with pytest.raises(ConfigError) as err:
        names(**kwargs)
    assert message in err.value.message and err.value.hint


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"exclude": [3]}, "exclude"),
        ({"exclude": {"a": 1}}, "exclude"),
        ({"defaults": {"extended_requests": "no"}}, "extended_requests"),
    ],
)
def test_bad_replication_keys_are_named(doc: dict[str, object], message: str) -> None:
    with pytest.raises(ConfigError) as err:
        parse_replication(doc)
    assert message in err.value.message


def test_discover_json_marks_each_streams_cost_class() -> None:
    from click.testing import CliRunner

    from pdsync.cli import main

    result = CliRunner().invoke(main, ["discover", "--offline", "--json"])
    assert result.exit_code == 0, result.output
    streams = {s["name"]: s for s in json.loads(result.output)["streams"]}
    assert set(streams) == set(CATALOG)
    assert streams["deals"]["cost_class"] == "one listing"
    assert streams["deal_flow"]["cost_class"] == "per parent" and streams["deal_flow"]["opt_in"]
    assert streams["filters"]["cost_class"] == "per record"
    assert streams["filters"]["extended"] == {"path": "filters/{id}", "columns": ["conditions"]}
    assert streams["mail_threads"]["fanout"][0] == {"folder": "inbox"}


def test_sync_a_pattern_from_the_command_line(account: EmulatorServer, tmp_path: Path) -> None:
    from click.testing import CliRunner

    from pdsync.cli import main

    db = tmp_path / "mail.db"
    result = CliRunner().invoke(
        main,
        ["sync", "mail*", "--target", f"sqlite:///{db}", "--base-url", account.url],
        env={"PIPEDRIVE_API_TOKEN": account.config.token},
        catch_exceptions=False,
    )
    assert result.exit_code == 0, result.stderr
    assert "mail_threads" in result.stdout and "mail_messages" not in result.stdout
    assert "Opt-in streams matched but not synced" in result.stderr
    assert "mail_messages" in result.stderr
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM mail_threads").fetchone()[0] > 0


def test_opt_in_streams_a_narrow_pattern_left_out_are_named() -> None:
    from pdsync.sync.replication import opt_in_left_out

    assert opt_in_left_out(["mail*"], None, OPT_IN) == ["mail_messages"]
    assert opt_in_left_out(["mail*", "mail_messages"], None, OPT_IN) == []
    star = parse_replication({"streams": {"*": None, "deal_*": None}})
    assert "deal_flow" in opt_in_left_out([], star, OPT_IN)
    assert opt_in_left_out([], parse_replication({"streams": {"*": None}}), OPT_IN) == []
