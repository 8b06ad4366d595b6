"""Column names are safe and stable whatever a user typed as a field name."""

from __future__ import annotations

import re

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdsync.catalog.naming import MAX_IDENTIFIER, allocate, safe_identifier, snake_case

SAFE = re.compile(r"^[a-z][a-z0-9_]*$")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Lead Source", "lead_source"),
        ("leadSource", "lead_source"),
        ("Crème brûlée", "creme_brulee"),
        ("a'; DROP TABLE deals; --", "a_drop_table_deals"),
        ("first.name", "first_name"),
        ('say "hi"', "say_hi"),
        ("2024 budget", "f_2024_budget"),
        ("Order", "order_field"),
        ("select", "select_field"),
        ("_pdsync_deleted_at", "pdsync_deleted_at"),
        ("  spaced   out  ", "spaced_out"),
    ],
)
def test_awful_names_become_readable_identifiers(name: str, expected: str) -> None:
    assert safe_identifier(name) == expected


def test_emoji_only_names_get_distinct_stable_names() -> None:
    rocket, fire = safe_identifier("🚀"), safe_identifier("🔥")
    assert rocket != fire
    assert rocket == safe_identifier("🚀")
    assert SAFE.match(rocket)
    assert snake_case("🚀 Launch") == "launch"


def test_long_names_are_capped_with_a_stable_hash() -> None:
    long_a, long_b = "x" * 200 + "a", "x" * 200 + "b"
    col_a = allocate(long_a, ("", "_admin_area_level_1"), set())
    col_b = allocate(long_b, ("", "_admin_area_level_1"), set())
    assert col_a != col_b
    assert len(col_a + "_admin_area_level_1") <= MAX_IDENTIFIER
    assert col_a == allocate(long_a, ("", "_admin_area_level_1"), set())


def test_collisions_get_numbered_suffixes_checked_on_every_derived_column() -> None:
    taken = {"budget", "status_id"}
    assert allocate("Budget", ("", "_currency"), taken) == "budget_2"
    assert allocate("Status", ("", "_id"), taken) == "status_2"  # status_id is taken
    assert allocate("Status", ("_id",), {"status_id", "status_2_id"}) == "status_3"


@given(st.text(max_size=300), st.sets(st.text(alphabet="abc_", max_size=5), max_size=20))
def test_any_name_gives_a_safe_free_identifier(name: str, taken: set[str]) -> None:
    suffixes = ("", "_until")
    column = allocate(name, suffixes, taken)
    for suffix in suffixes:
        full = column + suffix
        assert SAFE.match(full), full
        assert len(full) <= MAX_IDENTIFIER
        assert full not in taken
        assert not full.startswith("_pdsync_")
