"""The replication file and stream selection."""

from __future__ import annotations

from datetime import datetime, timezone

import pytest

from pdsync.errors import ConfigError
from pdsync.sync.replication import (
    parse_replication,
    select_streams,
    table_name,
    target_with_schema,
)

CATALOG = {
    "deals": True,
    "persons": True,
    "deal_fields": False,
    "person_fields": False,
    "users": False,
}


def test_no_file_selects_everything_in_catalog_order() -> None:
    chosen = select_streams(CATALOG)
    assert [s.name for s in chosen] == list(CATALOG)
    assert {s.name: s.mode for s in chosen}["users"] == "full_refresh"
    assert {s.name: s.mode for s in chosen}["deals"] == "incremental"


def test_patterns_defaults_and_overrides_resolve_like_sling() -> None:
    config = parse_replication(
        {
            "defaults": {
                "mode": "full-refresh",
                "object": "crm.pd_{stream_name}",
                "since": "2024-01-01",
            },
            "streams": {
                "*": None,
                "*_fields": {"object": "meta.{stream_name}"},
                "persons": {"mode": "incremental"},
                "users": {"disabled": True},
            },
        }
    )
    chosen = {s.name: s for s in select_streams(CATALOG, config=config)}
    assert set(chosen) == {"deals", "persons", "deal_fields", "person_fields"}
    assert chosen["deals"].mode == "full_refresh" and chosen["deals"].table == "pd_deals"
    assert chosen["persons"].mode == "incremental"
    assert chosen["deal_fields"].table == "deal_fields"
    assert chosen["deals"].since == datetime(2024, 1, 1, tzinfo=timezone.utc)


def test_command_line_names_and_full_refresh_win() -> None:
    config = parse_replication({"streams": {"users": {"disabled": True}}})
    chosen = select_streams(CATALOG, requested=["users", "deals"], config=config, full_refresh=True)
    assert [(s.name, s.mode) for s in chosen] == [
        ("users", "full_refresh"),
        ("deals", "full_refresh"),
    ]


def test_unknown_names_suggest_the_closest() -> None:
    with pytest.raises(ConfigError) as exc:
        select_streams(CATALOG, requested=["persns"])
    assert "persons" in exc.value.hint


@pytest.mark.parametrize(
    ("doc", "message"),
    [
        ({"defaults": {"mode": "often"}}, "mode"),
        ({"streams": {"deals": {"disabled": "yes"}}}, "true or false"),
        ({"streams": {"deals": {"primary_key": "id"}}}, "Unknown key 'primary_key'"),
        ({"source": 42}, "non-empty string"),
        ({"defaults": {"since": "soon"}}, "not a date"),
        (["deals"], "mapping"),
    ],
)
def test_invalid_documents(doc: object, message: str) -> None:
    with pytest.raises(ConfigError) as exc:
        select_streams(CATALOG, config=parse_replication(doc))
    assert message in str(exc.value)


def test_table_names() -> None:
    assert table_name("main.{stream_name}", "deals") == "deals"
    assert table_name("pd_{stream_name}", "deals") == "pd_deals"
    with pytest.raises(ConfigError):
        table_name("{nope}", "deals")


def test_the_object_template_names_the_postgresql_schema() -> None:
    config = parse_replication(
        {"defaults": {"object": "crm.{stream_name}"}, "streams": {"deals": None, "users": None}}
    )
    chosen = select_streams(CATALOG, config=config)
    assert {(s.table, s.schema) for s in chosen} == {("deals", "crm"), ("users", "crm")}
    pg = "postgresql://u@h:5432/db"
    assert target_with_schema(pg, chosen) == pg + "?schema=crm"
    assert target_with_schema(pg + "?sslmode=require", chosen) == pg + "?sslmode=require&schema=crm"
    # A URL that names its schema wins; other destinations have no schemas to set.
    assert target_with_schema(pg + "?schema=mine", chosen) == pg + "?schema=mine"
    assert target_with_schema("sqlite:///x.db", chosen) == "sqlite:///x.db"
    # 'main'/'public' are the databases' defaults, and a bare template has no schema.
    plain = select_streams(
        CATALOG, config=parse_replication({"defaults": {"object": "main.{stream_name}"}})
    )
    assert target_with_schema(pg, plain) == pg


def test_streams_in_two_schemas_are_refused_clearly() -> None:
    config = parse_replication(
        {
            "defaults": {"object": "crm.{stream_name}"},
            "streams": {"deals": None, "users": {"object": "meta.{stream_name}"}},
        }
    )
    chosen = select_streams(CATALOG, config=config)
    with pytest.raises(ConfigError, match="several schemas"):
        target_with_schema("postgresql://u@h/db", chosen)
