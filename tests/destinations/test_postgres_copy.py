"""The column-wise COPY text builder: exact text, and a round trip through a real server."""

from __future__ import annotations

import math
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from test_postgres import SERVER, _server_or_skip

from pdsync.destinations.postgres_copy import copy_text_chunks

psycopg = pytest.importorskip("psycopg")

AWFUL_TEXT = [
    "plain",
    "tab\there",
    "new\nline",
    "cr\rhere",
    "back\\slash",
    "\\N",
    "nul\x00x",
    "🚀",
    "",
]


def text_of(columns: list[list[Any]], rows_per_chunk: int = 500) -> str:
    chunks = copy_text_chunks(columns, rows_per_chunk)
    assert chunks is not None
    return "".join(chunks)


def test_formats_each_type_as_postgres_reads_it() -> None:
    columns: list[list[Any]] = [[1, None], [1.5, 2], [True, None], ["a\tb", None], [None, None]]
    assert text_of(columns) == "1\t1.5\tt\ta\\tb\t\\N\n\\N\t2\t\\N\t\\N\t\\N\n"


def test_escapes_only_what_needs_it_and_replaces_nul() -> None:
    got = text_of([AWFUL_TEXT]).split("\n")[:-1]
    assert got == [
        "plain",
        "tab\\there",
        "new\\nline",
        "cr\\rhere",
        "back\\\\slash",
        "\\\\N",
        "nul\ufffdx",
        "🚀",
        "",
    ]


def test_a_text_column_mixing_bools_numbers_and_strings() -> None:
    assert text_of([[True, 3, "x\ty", None, 2.5]]) == "t\n3\nx\\ty\n\\N\n2.5\n"


def test_chunks_hold_whole_rows() -> None:
    chunks = copy_text_chunks([list(range(5)), ["v"] * 5], rows_per_chunk=2)
    assert chunks is not None
    assert list(chunks) == ["0\tv\n1\tv\n", "2\tv\n3\tv\n", "4\tv\n"]


def test_an_unknown_type_asks_for_the_row_by_row_path() -> None:
    assert copy_text_chunks([[1, 2], [date(2024, 1, 1), None]]) is None


@pytest.fixture
def conn() -> Iterator[Any]:
    _server_or_skip()
    schema = f"pdsync_copy_{uuid.uuid4().hex[:10]}"
    with psycopg.connect(SERVER, autocommit=True) as connection:
        connection.execute(f'CREATE SCHEMA "{schema}"')
        connection.execute(f'SET search_path TO "{schema}"')
        connection.execute("SET TIME ZONE 'UTC'")
        try:
            yield connection
        finally:
            connection.execute(f'DROP SCHEMA "{schema}" CASCADE')


def test_round_trip_through_a_real_server(conn: Any) -> None:
    count = len(AWFUL_TEXT)
    columns: list[list[Any]] = [
        list(range(count)),
        AWFUL_TEXT,
        [1.25, math.inf, -math.inf, 0.1, None, 1e300, -0.0, 3, 7.5],
        [True, False, None] * 3,
        ['{"a": [1, "\\t"]}'] * count,
        ["2024-05-01T12:00:00Z", None, *["2024-05-01 12:00:00+02:00"] * (count - 2)],
    ]
    conn.execute(
        "CREATE TABLE t (id bigint, s text, f double precision, b boolean, j jsonb, ts timestamptz)"
    )
    with conn.cursor() as cursor, cursor.copy("COPY t FROM STDIN") as copy:
        for chunk in copy_text_chunks(columns, rows_per_chunk=4) or ():
            copy.write(chunk)
    rows = conn.execute("SELECT id, s, f, b, j, ts::text FROM t ORDER BY id").fetchall()
    assert [r[1] for r in rows] == [s.replace("\x00", "\ufffd") for s in AWFUL_TEXT]
    assert [r[2] for r in rows][:4] == [1.25, math.inf, -math.inf, 0.1]
    assert [r[3] for r in rows][:3] == [True, False, None]
    assert rows[0][4] == {"a": [1, "\t"]}
    assert rows[0][5] == "2024-05-01 12:00:00+00" and rows[1][5] is None
