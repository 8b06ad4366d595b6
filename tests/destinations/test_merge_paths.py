"""The statements a DuckDB merge runs instead of the upsert (UPDATE … FROM, INSERT).

``SQLDestination._upsert`` counts the batch's keys already present, updates those and
inserts the others: the ``ON CONFLICT DO UPDATE`` result without its row-by-row probes. These tests pin each path down
by the SQL it ran AND by the data it left, so a wrong shortcut cannot hide.
"""

from __future__ import annotations

import gc
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from conformance import DEALS, deal, rows_of

from pdsync.destinations import Batch, open_destination
from pdsync.destinations.duckdb import DuckDBDestination
from pdsync.destinations.values import compile_encoder
from pdsync.errors import DestinationError
from pdsync.schema import DELETED_AT, Column, TableSchema

TITLES = TableSchema("deals", (Column("id", "integer"), Column("title", "text")))
KEYS_ONLY = TableSchema("deals", (Column("id", "integer"),))


class Recording(DuckDBDestination):
    """A DuckDB destination that remembers the first word pair of every statement."""

    def __init__(self, path: str) -> None:
        self.statements: list[str] = []
        super().__init__(path)

    def _run(self, sql: str, params: Any = ()) -> list[tuple[Any, ...]]:
        self.statements.append(sql)
        return super()._run(sql, params)

    def merges(self) -> list[str]:
        kinds = ('INSERT INTO "deals"', 'UPDATE "deals"')
        found = [s for s in self.statements if s.startswith(kinds)]
        self.statements.clear()
        return ["upsert" if "ON CONFLICT" in s else s.split()[0].lower() for s in found]


@pytest.fixture
def dest(tmp_path: Path) -> Iterator[Recording]:
    destination = Recording(str(tmp_path / "r.duckdb"))
    yield destination
    destination.close()


def test_new_keys_take_a_plain_insert(dest: Recording) -> None:
    result = dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)]))
    assert (result.inserted, result.updated) == (2, 0)
    assert dest.merges() == ["insert"]
    assert rows_of(dest, "deals", ["id", "title"]) == [(1, "t1"), (2, "t2")]


def test_known_keys_take_an_update_that_keeps_other_columns(dest: Recording) -> None:
    dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)]))
    dest.write_batch(Batch("deals", DEALS, deleted_ids=[2]))
    dest.statements.clear()
    # Only id and title: value and update_time must keep their data; the mark is cleared.
    result = dest.write_batch(Batch("deals", TITLES, [{"id": 2, "title": "x"}, {"id": 1}]))
    assert (result.inserted, result.updated) == (0, 2)
    assert dest.merges() == ["update"]
    assert rows_of(dest, "deals", ["id", "title", "value", DELETED_AT]) == [
        (1, None, 1.5, None),
        (2, "x", 3.0, None),
    ]


def test_duplicate_keys_in_one_batch_update_last_wins(dest: Recording) -> None:
    dest.write_batch(Batch("deals", DEALS, [deal(1)]))
    result = dest.write_batch(Batch("deals", DEALS, [deal(1, "a"), deal(1, "b")]))
    assert (result.inserted, result.updated) == (0, 1)
    assert rows_of(dest, "deals", ["id", "title"]) == [(1, "b1")]


def test_mixed_keys_update_the_known_and_insert_the_new(dest: Recording) -> None:
    dest.write_batch(Batch("deals", DEALS, [deal(1)]))
    dest.statements.clear()
    result = dest.write_batch(Batch("deals", DEALS, [deal(1, "new"), deal(2)]))
    assert (result.inserted, result.updated) == (1, 1)
    assert dest.merges() == ["update", "insert"]
    assert rows_of(dest, "deals", ["id", "title"]) == [(1, "new1"), (2, "t2")]


def test_a_key_only_table_updates_only_its_bookkeeping(dest: Recording) -> None:
    dest.write_batch(Batch("deals", KEYS_ONLY, [{"id": 1}]))
    dest.statements.clear()
    result = dest.write_batch(Batch("deals", KEYS_ONLY, [{"id": 1}]))
    assert (result.inserted, result.updated) == (0, 1)
    # _pdsync_synced_at is a non-key column, so the update still runs and stamps it.
    assert dest.merges() == ["update"]
    assert dest.count("deals") == 1


def test_append_of_known_keys_still_fails_whole(dest: Recording) -> None:
    dest.write_batch(Batch("deals", DEALS, [deal(1)]))
    with pytest.raises(DestinationError):
        dest.write_batch(Batch("deals", DEALS, [deal(1), deal(2)], mode="append"))
    assert rows_of(dest, "deals", ["id"]) == [(1,)]
    appended = dest.write_batch(Batch("deals", DEALS, [deal(2)], mode="append"))
    assert (appended.inserted, appended.updated) == (1, 0)


def test_a_refresh_still_upserts_into_staging(dest: Recording) -> None:
    dest.write_batch(Batch("deals", DEALS, [deal(1)], mode="replace_begin"))
    dest.write_batch(Batch("deals", DEALS, [deal(1, "again")], mode="replace_rows"))
    result = dest.write_batch(Batch("deals", DEALS, mode="replace_commit"))
    assert (result.inserted, result.updated) == (1, 0)
    assert rows_of(dest, "deals", ["id", "title"]) == [(1, "again1")]


def test_the_update_path_is_idempotent_across_reopen(tmp_path: Path) -> None:
    url = f"duckdb:///{tmp_path / 'r.duckdb'}"
    rows = [deal(i) for i in range(1, 1001)]
    for _ in range(2):
        with open_destination(url) as dest:
            dest.write_batch(Batch("deals", DEALS, rows))
    with open_destination(url, readonly=True) as dest:
        assert dest.count("deals") == 1000
        assert rows_of(dest, "deals", ["id", "title"])[-1] == (1000, "t1000")


def test_encoding_pauses_gc_and_always_restores_it() -> None:
    encoder = compile_encoder(DEALS.columns)
    seen: list[bool] = []

    class Probe(dict[str, Any]):
        def __getitem__(self, key: str) -> Any:
            seen.append(gc.isenabled())
            raise RuntimeError("boom")

    assert gc.isenabled()
    with pytest.raises(RuntimeError):
        encoder.columns([Probe(deal(1))])
    assert seen == [False] and gc.isenabled()
    gc.disable()
    try:
        encoder.columns([deal(1)])
        assert not gc.isenabled()  # a caller's own choice is left alone
    finally:
        gc.enable()
