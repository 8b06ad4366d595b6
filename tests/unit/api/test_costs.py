from __future__ import annotations

import pytest

from pdsync.api.costs import find_operation, is_search, token_cost


@pytest.mark.parametrize(
    "method,path,version,cost",
    [
        ("GET", "deals", "v2", 10),
        ("GET", "deals/42", "v2", 1),
        ("GET", "deals/search", "v2", 20),  # literal beats deals/{id}
        ("PATCH", "deals/42", "v2", 5),
        ("DELETE", "deals/42", "v2", 3),
        ("GET", "users/me", "v1", 2),
        ("GET", "/api/v1/users/me", "v1", 2),
        ("GET", "itemSearch", "v2", 20),
    ],
)
def test_costs_come_from_the_specs(method: str, path: str, version: str, cost: int) -> None:
    assert token_cost(method, path, version) == cost


def test_unknown_operations_get_a_typical_cost() -> None:
    assert find_operation("GET", "no/such/thing/here", "v2") is None
    assert token_cost("GET", "no/such/thing/here", "v2") == 10
    assert token_cost("GET", "no/such/thing/here", "v1") == 20


def test_search_detection() -> None:
    assert is_search("persons/search") and is_search("itemSearch/field")
    assert not is_search("deals") and not is_search("searchResults")
