"""The DuckDB destination: the conformance suite, plus what only DuckDB has."""

from __future__ import annotations

import builtins
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance import DEALS, SYNCED, DestinationConformance, deal, rows_of, state

from pdsync.destinations import Batch, Destination, open_destination
from pdsync.destinations.duckdb import DuckDBDestination
from pdsync.errors import ConfigError, DestinationError, MissingDependencyError
from pdsync.schema import Column, TableSchema


@pytest.fixture
def destination_factory(tmp_path: Path) -> Callable[..., Destination]:
    url = f"duckdb:///{tmp_path / 'replica.duckdb'}"

    def factory(readonly: bool = False) -> Destination:
        return open_destination(url, readonly=readonly)

    return factory


class TestDuckDBConformance(DestinationConformance):
    pass


class TestDuckDBWithoutArrow(DestinationConformance):
    """The same suite on the fallback loader used when pyarrow is not installed."""

    @pytest.fixture(autouse=True)
    def _no_arrow(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setattr("pdsync.destinations.duckdb._import_arrow", lambda: None)


def test_real_types(tmp_path: Path) -> None:
    schema = TableSchema(
        "things",
        (
            Column("id", "integer"),
            Column("flag", "boolean"),
            Column("tags", "json"),
            Column("price", "real"),
            Column("seen", "timestamp"),
            Column("day", "date"),
        ),
    )
    row = {
        "id": 1,
        "flag": True,
        "tags": ["a", "é"],
        "price": 2.5,
        "seen": SYNCED,
        "day": "2024-06-01",
    }
    with DuckDBDestination(str(tmp_path / "t.duckdb")) as dest:
        dest.write_batch(Batch("things", schema, [row, {"id": 2, "flag": False}]))
        types = dict(
            dest.query(
                "SELECT column_name, data_type FROM information_schema.columns WHERE table_name = 'things'"
            )
        )
        assert (
            types["flag"] == "BOOLEAN" and types["seen"] == "TIMESTAMP" and types["day"] == "DATE"
        )
        got = list(
            dest.query(
                "SELECT flag, tags::VARCHAR, price, year(seen), day::VARCHAR FROM things ORDER BY id"
            )
        )
        assert got == [
            (True, '["a","é"]', 2.5, 2024, "2024-06-01"),
            (False, None, None, None, None),
        ]


def test_readonly_and_missing(tmp_path: Path) -> None:
    with pytest.raises(DestinationError, match="No DuckDB replica"):
        open_destination(f"duckdb:///{tmp_path}/missing.duckdb", readonly=True)
    path = tmp_path / "ro.duckdb"
    with DuckDBDestination(str(path)) as dest:
        dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))
    with DuckDBDestination(str(path), readonly=True) as ro:
        assert ro.count("deals") == 1
        assert rows_of(ro, "deals", ["id", "title"]) == [(1, "t1")]
        with pytest.raises(DestinationError, match="read-only"):
            ro.write_batch(Batch("deals", DEALS, [deal(2)]))
        with pytest.raises(DestinationError):
            ro.query("DELETE FROM deals")


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    import duckdb

    path = tmp_path / "app.duckdb"
    with duckdb.connect(str(path)) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(DestinationError, match="not a pdsync replica"):
        DuckDBDestination(str(path))


def test_not_a_duckdb_file(tmp_path: Path) -> None:
    path = tmp_path / "notes.duckdb"
    path.write_text("notes\n" * 1000)
    with pytest.raises(DestinationError, match="Cannot open"):
        DuckDBDestination(str(path))


def test_bad_urls() -> None:
    for url in ("duckdb://host/x.duckdb", "duckdb:///"):
        with pytest.raises(ConfigError) as info:
            open_destination(url)
        assert info.value.hint


def test_missing_driver_gives_the_install_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_import = builtins.__import__

    def no_duckdb(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "duckdb":
            raise ImportError("No module named 'duckdb'")
        return real_import(name, *args, **kwargs)

    monkeypatch.delitem(sys.modules, "duckdb")
    monkeypatch.setattr(builtins, "__import__", no_duckdb)
    with pytest.raises(MissingDependencyError) as info:
        open_destination(f"duckdb:///{tmp_path}/x.duckdb")
    assert info.value.hint == "pip install 'pdsync[duckdb]'"
