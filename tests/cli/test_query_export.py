"""`pdsync query` and `pdsync export` end to end: a real emulator, real syncs, real files."""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer


@pytest.fixture(scope="module")
def account() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=60, seed=5, rate_limits=False)) as server:
        yield server


def run(server: EmulatorServer, *args: str) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        [*args, "--base-url", server.url],
        env={"PIPEDRIVE_API_TOKEN": server.config.token, "PDSYNC_TARGET": None},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


@pytest.fixture(scope="module")
def replica(account: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> str:
    target = f"sqlite:///{tmp_path_factory.mktemp('rep') / 'pd.db'}"
    code, _, err = run(account, "sync", "deals", "deal_fields", "--target", target)
    assert code == 0, err
    return target


def custom_columns(target: str) -> list[str]:
    with open_destination(target, readonly=True) as dest:  # type: ignore[attr-defined]
        present = set(dest.table_columns("deals"))
        return [
            f.column for f in dest.read_fields("deal") if len(f.key) == 40 and f.column in present
        ]


def test_query_formats(account: EmulatorServer, replica: str) -> None:
    sql = "SELECT id, title FROM deals ORDER BY id LIMIT 3"
    code, table, _ = run(account, "query", sql, "--target", replica)
    assert code == 0 and table.splitlines()[0].split() == ["id", "title"]
    assert table.strip().endswith("(3 rows)")
    _, as_csv, _ = run(account, "query", sql, "--target", replica, "--format", "csv")
    rows = list(csv.reader(io.StringIO(as_csv)))
    assert rows[0] == ["id", "title"] and len(rows) == 4
    _, as_json, _ = run(account, "query", sql, "--target", replica, "--format", "json")
    records = json.loads(as_json)
    assert [r["id"] for r in records] == [int(r[0]) for r in rows[1:]]
    assert [r["title"] for r in records] == [r[1] for r in rows[1:]]


def test_query_table_is_capped(account: EmulatorServer, replica: str) -> None:
    code, out, _ = run(
        account, "query", "SELECT id FROM deals", "--target", replica, "--max-rows", "2"
    )
    assert code == 0 and "more not shown" in out and len(out.splitlines()) == 5


def test_query_refresh_syncs_first_into_duckdb_and_files(
    account: EmulatorServer, replica: str, tmp_path: Path
) -> None:
    with open_destination(replica, readonly=True) as dest:  # type: ignore[attr-defined]
        expected = dest.count("deals")
    for target in (f"duckdb:///{tmp_path}/pd.duckdb", f"file://{tmp_path}/files?format=parquet"):
        code, out, err = run(
            account,
            "query",
            "SELECT count(*) AS n FROM deals",
            "--target",
            target,
            "--refresh",
            "--format",
            "json",
        )
        assert code == 0, err
        assert json.loads(out)[0]["n"] == expected > 0


def test_export_formats_and_custom_fields(
    account: EmulatorServer, replica: str, tmp_path: Path
) -> None:
    custom = custom_columns(replica)
    assert custom, "the emulated account has custom deal fields"
    with open_destination(replica, readonly=True) as dest:  # type: ignore[attr-defined]
        alive = dest.count("deals", include_deleted=False)
    code, out, err = run(account, "export", "deals", "--target", replica)
    assert code == 0, err
    rows = list(csv.DictReader(io.StringIO(out)))
    assert len(rows) == alive and set(custom) <= set(rows[0])
    assert "_pdsync_synced_at" not in rows[0] and "_pdsync_deleted_at" not in rows[0]
    jsonl = tmp_path / "deals.jsonl"
    code, _, err = run(account, "export", "deals", "--target", replica, "-o", str(jsonl))
    assert code == 0 and f"Exported {alive} rows" in err
    assert [json.loads(line)["id"] for line in jsonl.read_text().splitlines()] == [
        int(r["id"]) for r in rows
    ]
    parquet = tmp_path / "out" / "deals.parquet"
    code, _, err = run(
        account, "export", "deals", "--target", replica, "-o", str(parquet), "--where", "id <= 10"
    )
    table = pq.read_table(parquet)
    assert code == 0 and sorted(table.column("id").to_pylist()) == [
        int(r["id"]) for r in rows if int(r["id"]) <= 10
    ]
    assert set(custom) <= set(table.column_names)


def test_export_live_matches_the_replica(account: EmulatorServer, replica: str) -> None:
    code, live, err = run(account, "export", "deals", "--live", "--format", "jsonl")
    assert code == 0, err
    _, stored, _ = run(
        account, "export", "deals", "--target", replica, "--format", "jsonl", "--include-deleted"
    )
    live_rows = {r["id"]: r for r in map(json.loads, live.splitlines())}
    stored_rows = {r["id"]: r for r in map(json.loads, stored.splitlines())}
    assert live_rows.keys() <= stored_rows.keys() and len(live_rows) >= 50
    some = next(iter(live_rows))
    for column in [*custom_columns(replica), "title", "value"]:
        assert live_rows[some][column] == stored_rows[some][column], column


@pytest.mark.parametrize(
    ("args", "message", "exit_code"),
    [
        (["query", "SELECT nope FROM nowhere"], "Query failed", 7),
        (["query", "select 1", "--format", "xml"], "Invalid value", 2),
        (["export", "dealz"], "No table 'dealz'", 7),
        (["export", "dealz", "--live"], "Unknown stream", 2),
        (["export", "deals", "--where", "nonsense ("], "Query failed", 7),
        (["export", "deals", "--live", "--where", "id > 1"], "apply to the replica", 2),
    ],
)
def test_bad_input_is_one_clear_line(
    account: EmulatorServer, replica: str, args: list[str], message: str, exit_code: int
) -> None:
    live = "--live" in args and "--where" not in args
    extra = [] if live else ["--target", replica]
    code, _, err = run(account, *args, *extra)
    assert code == exit_code and message in err and "Traceback" not in err


def test_missing_replica(account: EmulatorServer, tmp_path: Path) -> None:
    code, _, err = run(account, "query", "select 1", "--target", f"sqlite:///{tmp_path}/none.db")
    assert code == 7 and "pdsync sync" in err
    assert not (tmp_path / "none.db").exists()
