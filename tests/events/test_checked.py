"""The shape checks around every Pipedrive call of delivery (events_dest/checked.py)."""

from __future__ import annotations

from typing import Any

import pytest

from pdsync.api.failures import UnreadableBodyError
from pdsync.errors import PaginationError, PdsyncError, ServerError, ValidationError
from pdsync.events_dest.checked import CheckedClient, expected_shape, shape_problem


@pytest.mark.parametrize(
    ("method", "path", "shape"),
    [
        ("GET", "persons/search", "search"),
        ("GET", "organizations/search", "search"),
        ("GET", "persons/42", "record"),
        ("GET", "leads/0b6c4f4e-1c2d-4e5f-8a9b-0c1d2e3f4a5b", "record"),
        ("GET", "leads", "list"),
        ("GET", "deals", "list"),
        ("GET", "personFields", "list"),
        ("POST", "persons", "record"),
        ("PATCH", "persons/42", "record"),
        ("PUT", "persons/42/merge", "record"),
    ],
)
def test_each_call_expects_the_shape_pipedrive_answers_it_with(
    method: str, path: str, shape: str
) -> None:
    assert expected_shape(method, path) == shape


@pytest.mark.parametrize(
    ("shape", "body", "ok"),
    [
        ("list", {"success": True, "data": []}, True),
        ("list", {"success": True, "data": [{"id": 1}]}, True),
        ("list", {"success": True, "data": None}, False),
        ("list", {"success": True, "data": [None]}, False),
        ("list", {"success": False, "data": []}, False),
        ("search", {"success": True, "data": {"items": []}}, True),
        ("search", {"success": True, "data": None}, False),
        ("search", {"success": True, "data": {}}, False),
        ("record", {"success": True, "data": {"id": 7}}, True),
        ("record", {"success": True, "data": {"name": "no id"}}, False),
        ("record", {"success": True, "data": None}, False),
        ("record", {}, False),
    ],
)
def test_only_a_normal_answer_passes(shape: Any, body: dict[str, Any], ok: bool) -> None:
    assert (shape_problem(shape, body) is None) is ok


class Answers:
    def __init__(self, outcome: dict[str, Any] | Exception) -> None:
        self.outcome = outcome

    def request(self, method: str, path: str, **_: Any) -> dict[str, Any]:
        if isinstance(self.outcome, Exception):
            raise self.outcome
        return self.outcome


@pytest.mark.parametrize(
    ("outcome", "said"),
    [
        ({"success": True, "data": None}, "data: null"),
        (
            UnreadableBodyError("Pipedrive answered 200 with a body that is not JSON.", status=200),
            "not JSON",
        ),
        (PaginationError("Pipedrive returned the same cursor twice."), "same cursor"),
    ],
)
def test_anomalies_become_transient_server_errors_with_the_reason(
    outcome: dict[str, Any] | Exception, said: str
) -> None:
    with pytest.raises(ServerError) as raised:
        CheckedClient(Answers(outcome)).request("GET", "deals")
    assert raised.value.transient and said in raised.value.message
    assert "GET deals" in raised.value.message


def test_pipedrives_refusals_pass_through_unchanged() -> None:
    refusal = ValidationError("POST persons: The 'visible_to' field must be one of: 1, 3, 5, 7.")
    with pytest.raises(PdsyncError) as raised:
        CheckedClient(Answers(refusal)).request("POST", "persons", json={"visible_to": 2})
    assert raised.value is refusal and not raised.value.transient
