"""`pdsync bisync` from the command line: a cycle, a dry run, conflicts listed and resolved."""

from __future__ import annotations

import sqlite3
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(seed=1, deals=30, rate_limits=False)) as running:
        yield running


def test_cycle_dry_run_conflicts_and_resolve(server: EmulatorServer, tmp_path: Path) -> None:
    db_path = tmp_path / "replica.db"
    env = {"PIPEDRIVE_API_TOKEN": server.config.token}
    common = ["--target", f"sqlite:///{db_path}", "--base-url", server.url]

    def pdsync(*args: str) -> str:
        result = CliRunner().invoke(main, ["bisync", *args], env=env)
        assert result.exit_code == 0, result.output
        return result.output

    assert "Pipedrive → database" in pdsync("persons", *common)
    with sqlite3.connect(db_path, isolation_level=None) as db:
        db.execute("UPDATE persons SET name = 'Local CLI' WHERE id = 4")
    raw = httpx.Client(base_url=server.url, headers={"x-api-token": server.config.token})
    assert raw.patch("/api/v2/persons/4", json={"name": "Remote CLI"}).status_code == 200

    planned = pdsync("persons", "--dry-run", *common)
    assert "Dry run" in planned and '"Local CLI"' in planned

    ran = pdsync("persons", "--conflict", "manual", *common)
    assert "conflict persons #4 name" in ran and "kept for `pdsync bisync resolve`" in ran
    listed = pdsync("conflicts", "--target", f"sqlite:///{db_path}")
    assert listed.startswith("#1 persons #4 name")

    resolved = pdsync("resolve", "1", "--take", "local", *common)
    assert "resolved" in resolved
    assert raw.get("/api/v2/persons/4").json()["data"]["name"] == "Local CLI"
    with sqlite3.connect(db_path) as db:
        assert db.execute("SELECT name FROM persons WHERE id = 4").fetchone() == ("Local CLI",)
        assert db.execute("SELECT count(*) FROM _pdsync_changes").fetchone() == (0,)
    assert "No conflicts waiting" in pdsync("conflicts", "--target", f"sqlite:///{db_path}")
    raw.close()


def test_unknown_stream_and_bad_policy_say_what_to_do(tmp_path: Path) -> None:
    result = CliRunner().invoke(
        main, ["bisync", "pipelines", "--target", f"sqlite:///{tmp_path}/r.db"]
    )
    assert result.exit_code != 0 and "Two-way streams" in result.output
    result = CliRunner().invoke(
        main,
        ["bisync", "deals", "--conflict", "coin-toss", "--target", f"sqlite:///{tmp_path}/r.db"],
    )
    assert result.exit_code != 0 and "newest-wins" in result.output


def test_every_runs_cycle_after_cycle(
    server: EmulatorServer, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    naps: list[float] = []

    def nap(seconds: float) -> None:
        naps.append(seconds)
        if len(naps) == 2:
            raise KeyboardInterrupt  # the user stops the loop

    monkeypatch.setattr("pdsync.cli.bisync.time.sleep", nap)
    args = ["bisync", "persons", "--every", "5m", "--target", f"sqlite:///{tmp_path}/r.db"]
    result = CliRunner().invoke(
        main, [*args, "--base-url", server.url], env={"PIPEDRIVE_API_TOKEN": server.config.token}
    )
    assert naps == [300.0, 300.0]
    assert result.output.count("Pipedrive → database") == 2
    bad = CliRunner().invoke(
        main, ["bisync", "--every", "0", "--target", f"sqlite:///{tmp_path}/r.db"]
    )
    assert bad.exit_code != 0 and "positive interval" in bad.output
