"""Helpers for tests against the Pipedrive emulator (skipped while it is not built)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.errors import NotFoundError

USER_FIELD = "App user id"
GROUP_FIELD = "App group id"
ROLE_FIELD = "Job role"
PLAN_FIELD = "Plan"
SOURCE_FIELD = "Signup source"


@contextmanager
def emulator(**options: Any) -> Iterator[Any]:
    server = pytest.importorskip("pdsync.emulator.server")
    from pdsync.emulator.config import EmulatorConfig

    config = EmulatorConfig(**{"deals": 50, "seed": 1, "rate_limits": False, **options})
    with server.EmulatorServer(config) as srv:
        yield srv


def client_for(srv: Any) -> PipedriveClient:
    client = PipedriveClient(Connection(api_token=srv.config.token, base_url=srv.url))
    _require_search(client)
    return client


def _require_search(client: PipedriveClient) -> None:
    """The rules find people by exact-match search; skip while the emulator lacks it."""
    params = {"term": "x", "exact_match": "true", "fields": "custom_fields"}
    try:
        client.get("persons/search", params=params)
    except NotFoundError:
        client.close()
        pytest.skip("the emulator does not serve GET /api/v2/persons/search yet")


def create_fields(client: PipedriveClient) -> None:
    """The custom fields the tests' config maps to, created through the API."""
    client.post("personFields", json={"field_name": USER_FIELD, "field_type": "varchar"})
    client.post(
        "personFields",
        json={
            "field_name": ROLE_FIELD,
            "field_type": "enum",
            "options": [{"label": "Engineer"}, {"label": "Founder"}],
        },
    )
    client.post("organizationFields", json={"field_name": GROUP_FIELD, "field_type": "varchar"})
    client.post("organizationFields", json={"field_name": PLAN_FIELD, "field_type": "varchar"})
    client.post("dealFields", json={"field_name": SOURCE_FIELD, "field_type": "varchar"})


def field_key(client: PipedriveClient, endpoint: str, name: str) -> str:
    for item in client.get(endpoint, params={"limit": 500})["data"]:
        if item["field_name"] == name:
            return str(item["field_code"])
    raise AssertionError(f"no field {name!r} in {endpoint}")


def all_persons(client: PipedriveClient) -> list[dict[str, Any]]:
    """Every live person (a full scan: the ground truth, independent of search)."""
    found: list[dict[str, Any]] = []
    cursor = None
    while True:
        params: dict[str, Any] = {"limit": 500}
        if cursor:
            params["cursor"] = cursor
        page = client.get("persons", params=params)
        found += page["data"]
        cursor = (page.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return found


def persons_with(client: PipedriveClient, key: str, value: str) -> list[dict[str, Any]]:
    """Every live person whose custom field ``key`` equals ``value``."""
    return [p for p in all_persons(client) if (p.get("custom_fields") or {}).get(key) == value]


def all_leads(client: PipedriveClient) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    start = 0
    while True:
        page = client.get("leads", version="v1", params={"start": start, "limit": 500})
        found += page["data"] or []
        more = (page.get("additional_data") or {}).get("pagination") or {}
        if not more.get("more_items_in_collection"):
            return found
        start = int(more["next_start"])


def leads_of(client: PipedriveClient, person_id: int) -> list[dict[str, Any]]:
    data = client.get("leads", version="v1", params={"person_id": person_id, "limit": 500})["data"]
    return list(data or [])
