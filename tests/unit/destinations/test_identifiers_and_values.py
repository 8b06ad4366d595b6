"""Identifier quoting and allocation, value encoding, destination URLs."""

from __future__ import annotations

from datetime import date, datetime, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdsync.destinations.identifiers import allocate_physical, quote
from pdsync.destinations.urls import DEFAULT_TARGET, parse_destination_url, sqlite_path
from pdsync.destinations.values import compile_encoder, make_row_encoder
from pdsync.errors import ConfigError, SchemaError
from pdsync.schema import Column

# Valid identifiers: no NUL, no lone surrogate (both are refused, tested below).
names = st.text(
    st.characters(blacklist_characters="\x00", blacklist_categories=("Cs",)),
    min_size=1,
    max_size=80,
)


def test_quote_doubles_inner_quotes() -> None:
    assert quote('say "hi"') == '"say ""hi"""'
    with pytest.raises(SchemaError):
        quote("")


@pytest.mark.parametrize("bad", ["", "a\x00b", "\ud800", "deal \udfff"])
def test_names_no_database_can_store_are_refused_clearly(bad: str) -> None:
    with pytest.raises(SchemaError, match="Invalid column name"):
        allocate_physical({}, [bad], max_bytes=63)


@given(existing=st.lists(names, max_size=5, unique=True), wanted=st.lists(names, max_size=12))
def test_allocation_is_distinct_stable_and_bounded(existing: list[str], wanted: list[str]) -> None:
    first = allocate_physical({}, existing, max_bytes=63)
    mapping = allocate_physical(first, wanted, max_bytes=63)
    assert {k: mapping[k] for k in first} == first  # earlier choices never move
    physical = list(mapping.values())
    assert len({p.lower() for p in physical}) == len(physical)
    assert all(len(p.encode()) <= 63 for p in physical)
    assert allocate_physical(first, wanted, max_bytes=63) == mapping  # deterministic


def test_case_collision_gets_a_suffix() -> None:
    assert allocate_physical({}, ["Case", "case", "CASE"]) == {
        "Case": "Case",
        "case": "case__2",
        "CASE": "CASE__3",
    }


def test_row_encoder() -> None:
    columns = [
        Column("id", "integer"),
        Column("ok", "boolean"),
        Column("meta", "json"),
        Column("at", "timestamp"),
        Column("day", "date"),
        Column("label", "text"),
        Column("synced", "timestamp"),
    ]
    encode = make_row_encoder(columns, {"synced": "S"})
    row = {
        "id": 1,
        "ok": "false",
        "meta": {"a": [1]},
        "at": datetime(2024, 1, 2, 3, 4, 5, tzinfo=timezone.utc),
        "day": date(2024, 1, 2),
        "label": ["x"],
    }
    assert encode(row) == (1, 0, '{"a":[1]}', "2024-01-02T03:04:05Z", "2024-01-02", '["x"]', "S")
    assert encode({"synced": "mine"}) == (None, None, None, None, None, None, "mine")


def test_urls() -> None:
    assert sqlite_path(parse_destination_url(None)) == "pipedrive.db"
    assert parse_destination_url(None).raw == DEFAULT_TARGET
    assert sqlite_path(parse_destination_url("sqlite:////data/pd.db")) == "/data/pd.db"
    assert sqlite_path(parse_destination_url("sqlite:///:memory:")) == ":memory:"
    assert sqlite_path(parse_destination_url("sqlite:///my%20file.db")) == "my file.db"
    pg = parse_destination_url("postgresql://bob:s3cr3tpw@db:5432/pd?sslmode=require")
    assert pg.host == "db" and pg.options == {"sslmode": "require"}
    assert "s3cr3tpw" not in pg.safe and "s3cr3tpw" not in repr(pg)
    with pytest.raises(ConfigError, match="Not a destination URL"):
        parse_destination_url("pipedrive")


def test_compiled_encoder_passes_bindable_columns_through_and_converts_the_rest() -> None:
    columns = (
        Column("id", "integer"),
        Column("title", "text"),
        Column("ok", "boolean"),
        Column("meta", "json"),
        Column("synced", "timestamp"),
    )
    encoder = compile_encoder(columns)
    assert compile_encoder(columns) is encoder  # planned once per table
    rows = [
        {"id": 1, "title": "a", "ok": True, "meta": "x"},
        {"id": 2, "title": {"nested": 1}, "ok": "no", "meta": None, "synced": "mine"},
        {"id": 3},  # ragged: missing keys are NULL, or the batch's constant
    ]
    assert encoder.rows(rows, {"synced": "S"}) == [
        (1, "a", True, '"x"', "S"),
        (2, '{"nested":1}', 0, None, "mine"),
        (3, None, None, None, "S"),
    ]
    uniform = [{"id": i, "title": f"t{i}"} for i in range(3)]
    assert encoder.columns(uniform, {"synced": "S"}) == [
        [0, 1, 2],
        ["t0", "t1", "t2"],
        [None] * 3,
        [None] * 3,
        ["S"] * 3,
    ]
    assert encoder.rows([]) == []
