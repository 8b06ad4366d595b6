from __future__ import annotations

import csv
import re
from importlib import resources

import pytest

from pdsync.emulator.costs import CostTable, default_cost


@pytest.fixture(scope="module")
def table() -> CostTable:
    return CostTable.load()


@pytest.mark.parametrize(
    ("method", "path", "operation_id", "cost"),
    [
        ("GET", "/api/v2/deals", "getDeals", 10),
        ("GET", "/api/v2/deals/42", "getDeal", 1),
        ("GET", "/api/v2/deals/archived", "getArchivedDeals", 20),
        ("POST", "/api/v2/deals", "addDeal", 5),
        ("DELETE", "/api/v2/deals/42", "deleteDeal", 3),
        ("GET", "/api/v2/persons/search", "searchPersons", 20),
        ("GET", "/api/v1/deals", "getDeals", 20),
        ("GET", "/api/v1/leads/archived", "getArchivedLeads", 40),
        ("GET", "/api/v1/recents", "getRecents", 20),
        ("POST", "/api/v1/webhooks", "addWebhook", 10),
        ("DELETE", "/api/v1/webhooks/7", "deleteWebhook", 6),
        ("POST", "/oauth/token", "get-tokens", 0),
    ],
)
def test_known_operations_cost_what_the_specs_say(
    table: CostTable, method: str, path: str, operation_id: str, cost: int
) -> None:
    op = table.lookup(method, path)
    assert (op.operation_id, op.cost, op.known) == (operation_id, cost, True)


def test_every_spec_operation_is_found_by_a_concrete_path(table: CostTable) -> None:
    text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text("utf-8")
    for row in csv.DictReader(text.splitlines(), delimiter="\t"):
        concrete = re.sub(r"\{[^}]+\}", "123", row["path"]).rstrip("/")
        op = table.lookup(row["method"], concrete)
        assert op.known, row
        # A literal sibling (e.g. /deals/archived) may win, but only with a template that
        # matches this concrete path as well; the cost must be the spec's for that template.
        if op.template.rstrip("/") == row["path"].rstrip("/"):
            assert op.cost == int(row["x_token_cost"]), row


def test_search_operations_are_flagged(table: CostTable) -> None:
    assert table.lookup("GET", "/api/v2/itemSearch").is_search
    assert table.lookup("GET", "/api/v2/deals/search").is_search
    assert not table.lookup("GET", "/api/v2/deals").is_search


def test_unknown_operations_get_typical_costs_and_grouped_names(table: CostTable) -> None:
    op = table.lookup("GET", "/api/v2/widgets/17")
    assert not op.known
    assert op.operation_id == "GET /api/v2/widgets/{id}"
    assert op.cost == 1
    assert default_cost("GET", "/api/v1/widgets") == 20
    assert default_cost("GET", "/api/v1/widgets/3") == 2
    assert default_cost("POST", "/api/v1/widgets") == 10
    assert default_cost("DELETE", "/api/v1/widgets/3") == 6
    assert default_cost("PATCH", "/api/v2/widgets/3") == 5
    assert default_cost("DELETE", "/api/v2/widgets/3") == 3
    assert default_cost("GET", "/api/v2/widgets/search") == 20
