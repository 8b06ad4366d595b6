"""`pdsync sync` from the command line: a real run, and every kind of bad input."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path

import pytest
from click.testing import CliRunner
from sync_helpers import make_client

from pdsync.api.ratelimit import RateGovernor
from pdsync.cli import main
from pdsync.emulator.server import EmulatorServer


def invoke(server: EmulatorServer, *args: str) -> tuple[int, str, str]:
    runner = CliRunner()
    result = runner.invoke(
        main,
        ["sync", *args, "--base-url", server.url],
        env={"PIPEDRIVE_API_TOKEN": server.config.token},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


def test_sync_with_a_replication_file_and_json_logs(
    account: EmulatorServer, tmp_path: Path
) -> None:
    db = tmp_path / "out.db"
    config = tmp_path / "replication.yaml"
    config.write_text(
        f"target: sqlite:///{db}\n"
        "defaults:\n  mode: incremental\n  object: 'main.pd_{stream_name}'\n"
        "streams:\n  '*_fields':\n  deals:\n  person_fields:\n    disabled: true\n"
    )
    code, out, err = invoke(account, "--config", str(config), "--log-format", "json")
    assert code == 0, err
    summary = json.loads(out.strip().splitlines()[-1])
    assert summary["event"] == "summary" and summary["ok"] is True
    synced = {s["stream"] for s in summary["streams"]}
    assert "deals" in synced and "deal_fields" in synced and "person_fields" not in synced
    events = [json.loads(line)["event"] for line in err.strip().splitlines()]
    assert "batch_committed" in events and "stream_finished" in events
    with sqlite3.connect(db) as conn:
        assert conn.execute("SELECT COUNT(*) FROM pd_deals").fetchone()[0] > 100


@pytest.mark.parametrize(
    ("args", "text", "exit_code"),
    [
        (["dealz"], "Unknown stream: 'dealz'", 2),
        (["deals", "--since", "last tuesday"], "not a date", 2),
        (["deals", "--reconcile-every", "often"], "not a duration", 2),
        (["--config", "/nonexistent/replication.yaml"], "Cannot read the replication file", 2),
    ],
)
def test_bad_input_is_one_clear_line(
    account: EmulatorServer, tmp_path: Path, args: list[str], text: str, exit_code: int
) -> None:
    code, _, err = invoke(account, *args, "--target", f"sqlite:///{tmp_path / 'x.db'}")
    assert code == exit_code
    assert text in err and "Traceback" not in err


@pytest.mark.parametrize(
    ("content", "text"),
    [
        ("streams: [deals, persons]\n", "must be a mapping"),
        ("defaults:\n  mode: sometimes\n", "Use `incremental` or `full-refresh`"),
        ("streams:\n  deels:\n", "Unknown stream in"),
        ("target: sqlite:///x.db\nschedule: daily\n", "Unknown key 'schedule'"),
        ("streams: {deals: {mode: incremental}\n", "not valid YAML"),
        ("defaults:\n  object: '{schema}.{stream_name}'\n", "unknown placeholder"),
    ],
)
def test_invalid_replication_files(
    account: EmulatorServer, tmp_path: Path, content: str, text: str
) -> None:
    config = tmp_path / "replication.yaml"
    config.write_text(content)
    code, _, err = invoke(
        account, "--config", str(config), "--target", f"sqlite:///{tmp_path / 'x.db'}"
    )
    assert code == 2
    assert text in err and "Traceback" not in err


def test_unwritable_target_and_foreign_database(account: EmulatorServer, tmp_path: Path) -> None:
    code, _, err = invoke(account, "deals", "--target", "sqlite:////proc/no/such/dir/x.db")
    assert code == 7 and "Traceback" not in err and err.startswith("Error:")
    foreign = tmp_path / "app.db"
    with sqlite3.connect(foreign) as conn:
        conn.execute("CREATE TABLE invoices (id INTEGER PRIMARY KEY)")
    code, _, err = invoke(account, "deals", "--target", f"sqlite:///{foreign}")
    assert code == 7 and "not a pdsync replica" in err.lower() and "Traceback" not in err


def test_exhausted_daily_budget_stops_cleanly_and_the_next_run_completes(tmp_path: Path) -> None:
    from pdsync.emulator.config import EmulatorConfig

    db = tmp_path / "budget.db"
    with EmulatorServer(
        EmulatorConfig(deals=600, seed=5, rate_limits=True, daily_budget=45)
    ) as server:
        code, out, err = invoke(
            server, "deals", "persons", "activities", "--target", f"sqlite:///{db}"
        )
        assert code == 6 and "daily" in err.lower() and "Traceback" not in err
        assert "stopped early" in out
        with sqlite3.connect(db) as conn:
            saved = conn.execute("SELECT COUNT(*) FROM _pdsync_state").fetchone()[0]
        assert saved >= 1, "what was fetched before the stop is committed with its state"
    RateGovernor.forget_all()  # a new process would start without the exhausted governor
    with EmulatorServer(EmulatorConfig(deals=600, seed=5, rate_limits=False)) as server:
        code, out, err = invoke(
            server, "deals", "persons", "activities", "--target", f"sqlite:///{db}"
        )
        assert code == 0, err
        with sqlite3.connect(db) as conn:
            got = conn.execute("SELECT COUNT(*) FROM activities").fetchone()[0]
        with make_client(server) as client:
            assert got == len(list(client.iter_items("activities")))
