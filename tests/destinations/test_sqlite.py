"""The SQLite destination: the conformance suite, plus what only SQLite has (files, URLs, WAL)."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conformance import DEALS, SYNCED, DestinationConformance, deal, rows_of, state

from pdsync.destinations import Batch, Destination, open_destination, sqlite_write
from pdsync.destinations.sqlite import SQLiteDestination
from pdsync.errors import ConfigError, DestinationError, StateError
from pdsync.schema import Column, TableSchema


@pytest.fixture
def destination_factory(tmp_path: Path) -> Callable[..., Destination]:
    url = f"sqlite:///{tmp_path / 'replica.db'}"

    def factory(readonly: bool = False) -> Destination:
        return open_destination(url, readonly=readonly)

    return factory


class TestSQLiteConformance(DestinationConformance):
    pass


def test_url_forms(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    relative = open_destination("sqlite:///rel/pd.db")
    absolute = open_destination(f"sqlite:///{tmp_path}/abs.db")  # four slashes in total
    home = open_destination("sqlite:///~/h.db")
    bare = open_destination("bare.sqlite")
    default = open_destination(None)
    for dest in (relative, absolute, home, bare, default):
        dest.close()
    assert (tmp_path / "rel" / "pd.db").is_file()
    assert (tmp_path / "abs.db").is_file()
    assert (tmp_path / "home" / "h.db").is_file()
    assert (tmp_path / "bare.sqlite").is_file()
    assert (tmp_path / "pipedrive.db").is_file()
    assert absolute.url == f"sqlite:///{tmp_path}/abs.db"


@pytest.mark.parametrize(
    ("url", "error"),
    [
        ("sqlite://host/x.db", ConfigError),
        ("sqlite:///", ConfigError),
        ("sqlite:///x.db?synchronous=off", ConfigError),
        ("mysql://u:pw@h/db", ConfigError),
        ("not a url", ConfigError),
    ],
)
def test_bad_urls_are_config_errors(url: str, error: type[Exception], tmp_path: Path) -> None:
    with pytest.raises(error) as info:
        open_destination(url)
    assert info.value.hint  # type: ignore[attr-defined]
    assert "pw" not in str(info.value)


def test_wal_and_synchronous(tmp_path: Path) -> None:
    dest = SQLiteDestination(tmp_path / "w.db")
    assert list(dest.query("PRAGMA journal_mode")) == [("wal",)]
    assert list(dest.query("PRAGMA synchronous")) == [(1,)]  # NORMAL
    dest.close()
    full = open_destination(f"sqlite:///{tmp_path}/f.db?synchronous=full")
    assert list(full.query("PRAGMA synchronous")) == [(2,)]
    full.close()


def test_typed_columns_and_values(tmp_path: Path) -> None:
    schema = TableSchema(
        "things",
        (
            Column("id", "integer"),
            Column("flag", "boolean"),
            Column("tags", "json"),
            Column("price", "real"),
            Column("seen", "timestamp"),
            Column("nested", "text"),
        ),
        cursor="seen",
    )
    row = {
        "id": 1,
        "flag": True,
        "tags": ["a", "é"],
        "price": 2.5,
        "seen": SYNCED,
        "nested": {"k": 1},
    }
    with SQLiteDestination(tmp_path / "t.db") as dest:
        dest.write_batch(Batch("things", schema, [row, {"id": 2, "flag": False}]))
        types = {r[1]: r[2] for r in dest.query('PRAGMA table_info("things")')}
        assert types["id"] == "INTEGER" and types["flag"] == "INTEGER" and types["tags"] == "TEXT"
        assert list(
            dest.query("SELECT flag, tags, price, seen, nested FROM things ORDER BY id")
        ) == [
            (1, '["a","é"]', 2.5, SYNCED, '{"k":1}'),
            (0, None, None, None, None),
        ]
        plans = " ".join(
            str(r) for r in dest.query("EXPLAIN QUERY PLAN SELECT * FROM things WHERE seen > ''")
        )
        assert "USING INDEX" in plans


def test_empty_sqlite_file_is_adopted(tmp_path: Path) -> None:
    path = tmp_path / "empty.db"
    sqlite3.connect(path).close()
    with SQLiteDestination(path) as dest:
        assert dest.tables() == []
        assert list(dest.query("SELECT value FROM _pdsync_meta WHERE key = 'replica'")) == [
            ("pdsync",)
        ]


def test_foreign_database_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "app.db"
    with sqlite3.connect(path) as conn:
        conn.execute("CREATE TABLE users (id INTEGER)")
    with pytest.raises(DestinationError, match="not a pdsync replica") as info:
        SQLiteDestination(path)
    assert "new file" in info.value.hint
    with sqlite3.connect(path) as conn:  # and it was left untouched
        assert [r[0] for r in conn.execute("SELECT name FROM sqlite_master")] == ["users"]


def test_newer_replica_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "new.db"
    SQLiteDestination(path).close()
    with sqlite3.connect(path) as conn:
        conn.execute("UPDATE _pdsync_meta SET value = '99' WHERE key = 'schema_version'")
    with pytest.raises(StateError, match="newer pdsync"):
        SQLiteDestination(path)


def test_non_sqlite_file_is_refused(tmp_path: Path) -> None:
    path = tmp_path / "notes.db"
    path.write_text("these are my notes, not a database\n" * 100)
    with pytest.raises(DestinationError, match="not a SQLite database"):
        SQLiteDestination(path)


def test_unwritable_paths(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(DestinationError, match="Cannot create the directory"):
        SQLiteDestination(blocker / "sub" / "x.db")
    with pytest.raises(DestinationError, match="Cannot open"):
        SQLiteDestination(tmp_path)  # a directory, not a file


def test_readonly(tmp_path: Path) -> None:
    with pytest.raises(DestinationError, match="No SQLite replica"):
        open_destination(f"sqlite:///{tmp_path}/missing.db", readonly=True)
    path = tmp_path / "ro.db"
    with SQLiteDestination(path) as dest:
        dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))
    with SQLiteDestination(path, readonly=True) as ro:
        assert ro.count("deals") == 1
        assert ro.read_state().get("deals").bookmark == SYNCED
        with pytest.raises(DestinationError, match="read-only"):
            ro.write_batch(Batch("deals", DEALS, [deal(2)]))
        with pytest.raises(DestinationError):
            ro.query("DELETE FROM deals")


def test_exception_while_saving_state_rolls_back_rows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    dest = SQLiteDestination(tmp_path / "a.db")
    dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))

    def explode(*args: Any) -> None:
        raise RuntimeError("disk vanished")

    monkeypatch.setattr(sqlite_write, "_save_state", explode)
    with pytest.raises(RuntimeError):
        dest.write_batch(
            Batch("deals", DEALS, [deal(1, "new"), deal(2)], state=state("2025-01-01T00:00:00Z"))
        )
    monkeypatch.undo()
    assert rows_of(dest, "deals", ["id", "title"]) == [(1, "t1")]
    assert dest.read_state().get("deals").bookmark == SYNCED
    dest.write_batch(Batch("deals", DEALS, [deal(2)]))  # the connection is still usable
    assert dest.count("deals") == 2
    dest.close()


def test_reserved_and_invalid_names(tmp_path: Path) -> None:
    with SQLiteDestination(tmp_path / "n.db") as dest:
        with pytest.raises(Exception, match="reserved"):
            dest.ensure_table(TableSchema("_pdsync_state", DEALS.columns))
        with pytest.raises(Exception, match="NUL"):
            dest.ensure_table(TableSchema("t", (Column("id", "integer"), Column("a\x00b", "text"))))
        with pytest.raises(Exception, match="primary key"):
            dest.ensure_table(TableSchema("t", (Column("x", "integer"),)))


def test_columns_null_in_a_batch_of_new_rows_are_unbound_yet_updates_still_clear_them(
    tmp_path: Path,
) -> None:
    with SQLiteDestination(tmp_path / "n.db") as dest:
        # Only new rows, "value" NULL in every one: the column is left to its default.
        dest.write_batch(Batch("deals", DEALS, [deal(1, value=None), deal(2, value=None)]))
        dest.write_batch(Batch("deals", DEALS, [deal(3), deal(3, title="again")]))
        assert rows_of(dest, "deals", ["id", "title", "value"]) == [
            (1, "t1", None), (2, "t2", None), (3, "again3", 4.5),
        ]  # fmt: skip
        # A batch updating a row binds every column: a value that became NULL is cleared.
        result = dest.write_batch(Batch("deals", DEALS, [deal(3, value=None), deal(4, value=None)]))
        assert (result.inserted, result.updated) == (1, 1)
        assert rows_of(dest, "deals", ["id", "value"])[2:] == [(3, None), (4, None)]
