"""``pdsync push``, ``users find``, ``leads``, ``merge`` over real HTTP against the emulator."""

from __future__ import annotations

import csv
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

from .conftest import WRITE_PREFIXES, write_csv


@pytest.fixture
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(seed=1, deals=50, rate_limits=False)) as srv:
        yield srv


def _run(server: EmulatorServer, *args: str, stdin: str | None = None) -> Any:
    runner = CliRunner()
    env = {"PIPEDRIVE_API_TOKEN": server.config.token, "PIPEDRIVE_BASE_URL": server.url}
    return runner.invoke(main, [*args, "--base-url", server.url], env=env, input=stdin)


def _writes(server: EmulatorServer) -> int:
    ops = httpx.get(server.url + "/_emulator/stats").json()["requests_by_operation"]
    return sum(n for op, n in ops.items() if op.lower().startswith(WRITE_PREFIXES))


def test_dry_run_prints_the_plan_and_writes_nothing(server: EmulatorServer, tmp_path: Path) -> None:
    source = write_csv(
        tmp_path / "p.csv",
        [{"id": "1", "Account code": "CLI-1"}, {"id": "999999", "Account code": "x"}],
    )
    report = tmp_path / "plan.csv"
    out = _run(
        server,
        "push",
        "persons",
        "-i",
        str(source),
        "--mode",
        "update",
        "--dry-run",
        "--report",
        str(report),
    )
    assert out.exit_code == 8, out.output  # the plan has a row error: the dry run fails
    assert "1 rows would not be pushed" in out.output
    assert "update persons #1" in out.output and "Account code: " in out.output
    assert "Plan: 0 to create, 1 to update" in out.output
    assert "Dry run: nothing was written." in out.output
    assert _writes(server) == 0
    lines = list(csv.DictReader(report.open()))
    assert [(r["action"], r["status"]) for r in lines] == [
        ("update", "planned"),
        ("error", "error"),
    ]
    assert not (tmp_path / "p.csv.persons-update.pdsync-journal").exists()


def test_push_reports_every_row_and_exits_8_on_bad_rows(
    server: EmulatorServer, tmp_path: Path
) -> None:
    source = write_csv(
        tmp_path / "p.csv", [{"name": "Cli Ok"}, {"name": "Cli Bad", "seats_requested": "lots"}]
    )
    report = tmp_path / "report.jsonl"
    out = _run(server, "push", "persons", "-i", str(source), "--report", str(report))
    assert out.exit_code == 8, out.output
    assert "1 rows were not pushed" in out.output
    lines = report.read_text().splitlines()
    assert '"status": "applied"' in lines[0] and '"status": "error"' in lines[1]


def test_delete_without_yes_is_refused_when_not_interactive(
    server: EmulatorServer, tmp_path: Path
) -> None:
    source = write_csv(tmp_path / "d.csv", [{"id": "3"}])
    out = _run(server, "push", "persons", "-i", str(source), "--mode", "delete")
    assert out.exit_code == 8
    assert "1 persons will be deleted" in out.output and "not confirmed" in out.output
    assert _writes(server) == 0
    out = _run(server, "push", "persons", "-i", str(source), "--mode", "delete", "--yes")
    assert out.exit_code == 0, out.output
    assert _writes(server) == 1


def test_stdin_input(server: EmulatorServer) -> None:
    out = _run(server, "push", "persons", "-i", "-", stdin="name\nFrom Stdin\n")
    assert out.exit_code == 0, out.output
    assert "Applied 1, failed 0." in out.output


def test_bad_flags_are_clear_errors(server: EmulatorServer, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "p.csv", [{"name": "x"}])
    out = _run(server, "push", "persons", "-i", str(source), "--map", "nonsense")
    assert out.exit_code == 2 and "is not COLUMN=FIELD" in out.output
    out = _run(
        server, "push", "activities", "-i", str(source), "--mode", "update", "--key", "subject"
    )
    assert out.exit_code == 2 and "--key id" in out.output
    assert "Traceback" not in out.output


def test_users_find(server: EmulatorServer) -> None:
    out = _run(server, "users", "find", "ada.hoffmann@acme.example")
    assert out.exit_code == 0, out.output
    assert "Ada Hoffmann" in out.output


def test_leads_create_and_update(server: EmulatorServer) -> None:
    out = _run(
        server,
        "leads",
        "create",
        "--title",
        "CLI lead",
        "--org",
        "2",
        "--value",
        "100 EUR",
        "--owner",
        "ada.hoffmann@acme.example",
    )
    assert out.exit_code == 0, out.output
    lead_id = out.output.split("Created lead ")[1].split(":")[0]
    out = _run(server, "leads", "update", lead_id, "--title", "CLI lead renamed", "--json")
    assert out.exit_code == 0, out.output
    assert '"title": "CLI lead renamed"' in out.output


def test_merge_two_persons(server: EmulatorServer) -> None:
    out = _run(server, "merge", "persons", "12", "13", "--yes")
    assert out.exit_code == 0, out.output
    assert "Merged persons #12 into #13" in out.output
    out = _run(server, "merge", "persons", "13", "13", "--yes")
    assert out.exit_code == 2 and "merged with itself" in out.output


def test_links_over_http_with_report_and_clear_mode_errors(
    server: EmulatorServer, tmp_path: Path
) -> None:
    source = write_csv(
        tmp_path / "lines.csv",
        [
            {"deal": "7", "product": "SKU-00003", "price": "1,200", "quantity": "2"},
            {"deal": "7", "product": "sku-00003", "price": "5", "quantity": "1"},
        ],
    )
    report = tmp_path / "lines.jsonl"
    args = ["push", "deal_products", "-i", str(source), "-m", "upsert", "--report", str(report)]
    out = _run(server, *args)
    assert out.exit_code == 8, out.output
    assert "same deal and product id as row 1" in out.output
    lines = [json.loads(line) for line in report.read_text().splitlines()]
    assert [(r["action"], r["status"]) for r in lines] == [
        ("create", "applied"),
        ("error", "error"),
    ]
    assert lines[0]["key"] == "deal_id=7 product_id=3" and lines[0]["id"] is not None

    followers = write_csv(tmp_path / "f.csv", [{"deal": "7", "user": "1"}])
    out = _run(server, "push", "deal_followers", "-i", str(followers), "--mode", "update")
    assert out.exit_code == 2
    assert "deal_followers cannot be pushed with --mode update" in out.output
    assert "A follower has no fields to update" in out.output
    assert "insert, upsert, delete" in out.output
