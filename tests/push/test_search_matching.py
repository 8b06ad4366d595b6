"""Matching through exact-match search, on a client whose search is answered from the
emulator's own records (a stateful stand-in until the emulator serves v2 search)."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from pdsync.push import Journal, PushOptions, read_rows, run_push

from .conftest import Account, write_csv

_SEARCH_FIELDS = {"email": "emails", "phone": "phones"}


class SearchingClient:
    """Delegates to the emulator; answers ``<object>/search`` by scanning its records."""

    def __init__(self, account: Account) -> None:
        self.account = account
        self.searches = 0

    def request(
        self,
        method: str,
        path: str,
        *,
        version: Any = "v2",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        if method == "GET" and path.endswith("/search"):
            self.searches += 1
            return self._search(path.removesuffix("/search"), dict(params or {}))
        return self.account.client.request(method, path, version=version, params=params, json=json)

    def _search(self, collection: str, params: dict[str, Any]) -> dict[str, Any]:
        term = str(params["term"]).lower()
        field = _SEARCH_FIELDS.get(params["fields"], params["fields"])
        items = []
        for record in self.account.client.iter_items(collection):
            value = record.get(field)
            values = [v["value"] for v in value] if isinstance(value, list) else [value]
            if any(str(v).lower() == term for v in values if v is not None):
                items.append({"result_score": 1, "item": {"id": record["id"]}})
        return {"success": True, "data": {"items": items}, "additional_data": {"next_cursor": None}}


def _push(
    client: SearchingClient,
    tmp_path: Path,
    object_name: str,
    rows: list[dict[str, Any]],
    **opts: Any,
) -> list[Any]:
    source = write_csv(tmp_path / "in.csv", rows)
    with Journal(None, dry_run=bool(opts.get("dry_run"))) as journal:
        run_push(client, read_rows(str(source)), PushOptions(object_name, **opts), journal)
        return list(journal.items())


def test_upsert_by_email(account: Account, tmp_path: Path) -> None:
    client = SearchingClient(account)
    email = account.get("persons/3")["emails"][0]["value"]
    items = _push(
        client,
        tmp_path,
        "persons",
        [
            {"email": email.upper(), "account_code": "UP"},
            {"email": "fresh@example.com", "name": "F"},
        ],
        mode="upsert",
        key="email",
    )
    assert (items[0].action, items[0].record_id) == ("update", 3)
    assert items[1].action == "create" and client.searches == 2


def test_two_matches_are_an_error(account: Account, tmp_path: Path) -> None:
    client = SearchingClient(account)
    _push(client, tmp_path, "persons", [{"name": "Same Name"}, {"name": "Same Name"}])
    writes = account.writes()
    items = _push(
        client,
        tmp_path,
        "persons",
        [{"name": "Same Name", "account_code": "x"}],
        mode="update",
        key="name",
    )
    assert items[0].action == "error" and "2 persons match name 'Same Name'" in items[0].message
    assert account.writes() == writes


def test_organization_by_name_and_create_missing(account: Account, tmp_path: Path) -> None:
    client = SearchingClient(account)
    org = account.get("organizations/2")
    rows = [
        {"name": "Works There", "organization": org["name"]},
        {"name": "New Org Person", "organization": "Brand New Org"},
    ]
    items = _push(client, tmp_path, "persons", rows)
    assert items[0].action == "create" and items[1].action == "error"
    assert "no organization named 'Brand New Org'" in items[1].message
    assert "--create-missing" in items[1].message
    before = account.writes()
    planned = _push(client, tmp_path, "persons", rows[1:], dry_run=True, create_missing=True)
    assert planned[0].action == "create" and account.writes() == before  # dry run: no org made
    items = _push(client, tmp_path, "persons", rows[1:], create_missing=True)
    person = account.get(f"persons/{items[0].record_id}")
    assert account.get(f"organizations/{person['org_id']}")["name"] == "Brand New Org"


def test_merge_by_email(account: Account, tmp_path: Path) -> None:
    client = SearchingClient(account)
    dup = account.get("persons/14")["emails"][0]["value"]
    keep = account.get("persons/15")["emails"][0]["value"]
    items = _push(
        client,
        tmp_path,
        "persons",
        [{"email": dup, "merge_with": keep}],
        mode="merge",
        key="email",
        yes=True,
    )
    assert (items[0].action, items[0].status, items[0].merge_with) == ("merge", "done", 15)
    assert account.get("persons/14")["is_deleted"] is True
