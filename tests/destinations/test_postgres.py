"""The PostgreSQL destination against a real server: the conformance suite and more.

The server is ``PDSYNC_TEST_POSTGRES_URL`` (default ``postgresql://postgres@127.0.0.1:5432/test``).
Each test gets its own schema, dropped afterwards. Without a reachable server the tests
are skipped, unless ``CI`` is set: there they must run, so they fail instead.
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator

import pytest
from conformance import DEALS, SYNCED, DestinationConformance, deal, rows_of, state

from pdsync.destinations import Batch, Destination, open_destination
from pdsync.destinations.postgres import PostgresDestination, split_schema
from pdsync.errors import DestinationError
from pdsync.schema import Column, TableSchema

psycopg = pytest.importorskip("psycopg")

SERVER = os.environ.get("PDSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


def _server_or_skip() -> None:
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error as exc:
        reason = f"no PostgreSQL server at {SERVER} ({str(exc).strip()[:120]}); set PDSYNC_TEST_POSTGRES_URL"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so PostgreSQL tests must run: {reason}")
        pytest.skip(reason)


@pytest.fixture
def schema_url() -> Iterator[str]:
    _server_or_skip()
    schema = f"pdsync_test_{uuid.uuid4().hex[:12]}"
    separator = "&" if "?" in SERVER else "?"
    yield f"{SERVER}{separator}schema={schema}"
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')


@pytest.fixture
def destination_factory(schema_url: str) -> Callable[..., Destination]:
    def factory(readonly: bool = False) -> Destination:
        return open_destination(schema_url, readonly=readonly)

    return factory


class TestPostgresConformance(DestinationConformance):
    pass


def test_native_types_and_long_names(destination_factory: Callable[..., Destination]) -> None:
    long_a, long_b = "a" * 70 + "_one", "a" * 70 + "_two"
    schema = TableSchema(
        "things",
        (
            Column("id", "integer"),
            Column("flag", "boolean"),
            Column("tags", "json"),
            Column("seen", "timestamp"),
            Column(long_a, "text"),
            Column(long_b, "text"),
        ),
    )
    dest = destination_factory()
    effective = dest.ensure_table(schema)
    dest.write_batch(
        Batch(
            "things",
            schema,
            [{"id": 1, "flag": True, "tags": {"k": [1]}, "seen": SYNCED, long_a: "A", long_b: "B"}],
        )
    )
    physical = effective.column_names
    assert all(len(p.encode()) <= 63 for p in physical)
    assert len(set(physical)) == len(physical)
    (row,) = dest.query(
        "SELECT flag, tags, extract(year from seen), pg_typeof(seen)::text FROM things"
    )
    assert row == (True, {"k": [1]}, 2024, "timestamp with time zone")
    assert rows_of(dest, "things", [physical[4], physical[5]]) == [("A", "B")]
    dest.close()


def test_percent_and_question_marks_in_names(
    destination_factory: Callable[..., Destination],
) -> None:
    schema = TableSchema(
        "odd", (Column("id", "integer"), Column("50% off?", "text"), Column("%s", "text"))
    )
    dest = destination_factory()
    dest.write_batch(Batch("odd", schema, [{"id": 1, "50% off?": "yes", "%s": "x"}]))
    dest.write_batch(
        Batch("odd", schema, [{"id": 1, "50% off?": "still", "%s": "y"}], deleted_ids=[7])
    )
    assert rows_of(dest, "odd", ["50% off?", "%s"]) == [("still", "y")]
    assert list(dest.query("SELECT count(*) FROM odd WHERE \"50% off?\" LIKE 'st%'")) == [(1,)]
    dest.close()


def test_readonly_and_foreign_schema(schema_url: str) -> None:
    with open_destination(schema_url) as dest:  # type: ignore[attr-defined]
        dest.write_batch(Batch("deals", DEALS, [deal(1)], state=state(SYNCED)))
    with open_destination(schema_url, readonly=True) as ro:  # type: ignore[attr-defined]
        assert ro.count("deals") == 1
        assert ro.read_state().get("deals").bookmark == SYNCED
        with pytest.raises(DestinationError):
            ro.query("DELETE FROM deals")
    conninfo, schema = split_schema(schema_url)
    with psycopg.connect(conninfo, autocommit=True) as conn:
        conn.execute(f'CREATE SCHEMA "{schema}_app"')
        conn.execute(f'CREATE TABLE "{schema}_app".users (id int)')
    try:
        with pytest.raises(DestinationError, match="not a pdsync replica"):
            PostgresDestination(conninfo, schema=f"{schema}_app")
    finally:
        with psycopg.connect(conninfo, autocommit=True) as conn:
            conn.execute(f'DROP SCHEMA "{schema}_app" CASCADE')


def test_large_select_streams(destination_factory: Callable[..., Destination]) -> None:
    dest = destination_factory()
    dest.write_batch(Batch("deals", DEALS, [deal(i) for i in range(5000)]))
    result = dest.query("SELECT id FROM deals ORDER BY id")
    assert result.columns == ["id"]
    assert len(result.fetchmany(10)) == 10
    assert sum(1 for _ in result) == 4990
    dest.close()


def test_unreachable_server_is_a_clear_error() -> None:
    with pytest.raises(DestinationError) as info:
        open_destination("postgresql://nobody:s3cretpw@127.0.0.1:1/x?connect_timeout=2")
    assert "s3cretpw" not in str(info.value) and "s3cretpw" not in info.value.hint
    assert "Check host" in info.value.hint


def test_split_schema() -> None:
    assert split_schema("postgres://u@h:5/db?sslmode=require&schema=crm") == (
        "postgresql://u@h:5/db?sslmode=require",
        "crm",
    )
    assert split_schema("postgresql://u@h/db")[1] == "public"


def test_libpq_options_reach_the_server(schema_url: str) -> None:
    # libpq decodes only percent-escapes: a space re-encoded as "+" broke `options`.
    url = schema_url.replace("?", "?options=-c%20synchronous_commit%3Doff&", 1)
    assert "options=-c%20synchronous_commit%3Doff" in split_schema(url)[0]
    with open_destination(url) as dest:
        assert list(dest.query("SHOW synchronous_commit")) == [("off",)]


def test_nul_characters_are_replaced(destination_factory: Callable[..., Destination]) -> None:
    dest = destination_factory()
    dest.write_batch(Batch("deals", DEALS, [deal(1, title="a\x00b"), deal(2)]))
    assert rows_of(dest, "deals", ["title"]) == [("a\ufffdb1",), ("t2",)]
    dest.close()


def test_results_left_unread_do_not_block_later_queries(schema_url: str) -> None:
    """Each streamed SELECT gets a cursor name of its own; one left half-read stays harmless."""
    destination = open_destination(schema_url)
    try:
        for _ in range(200):
            assert destination.query("SELECT 1 AS x UNION ALL SELECT 2").fetchmany(1) == [(1,)]
        assert destination.query("SELECT 3 AS y").fetchmany(5) == [(3,)]
    finally:
        destination.close()
