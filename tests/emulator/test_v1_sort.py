"""v1 ``sort``: every documented v1 list honours it (several fields, v2 tie order), an
unknown field is a 400 envelope, and the ``ignore_sort`` quirk restores the old order."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.sorting import order_value

from .in_process import client_for
from .test_conformance import validate


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    with client_for(Emulator(EmulatorConfig(deals=300, rate_limits=False))) as c:
        yield c


def offset_walk(c: httpx.Client, path: str, limit: int = 37, **params: Any) -> list[dict[str, Any]]:
    rows: list[dict[str, Any]] = []
    start = 0
    while True:
        response = c.get(path, params={**params, "start": start, "limit": limit})
        assert response.status_code == 200, response.text
        body = response.json()
        rows += body["data"] or []
        pagination = body["additional_data"]["pagination"]
        if not pagination["more_items_in_collection"]:
            return rows
        start = pagination["next_start"]


def flat(value: Any) -> Any:
    return value["value"] if isinstance(value, dict) and "value" in value else value


def expected_order(rows: list[dict[str, Any]], fields: list[tuple[str, bool]]) -> list[Any]:
    """The documented order, computed independently: fields in turn, ties by id in the
    direction of the first field."""
    ordered = sorted(rows, key=lambda r: r["id"], reverse=fields[0][1])
    for name, descending in reversed(fields):
        ordered.sort(key=lambda r: order_value(flat(r.get(name))), reverse=descending)
    return [r["id"] for r in ordered]


@pytest.mark.parametrize(
    ("path", "sort", "fields"),
    [
        ("/v1/notes", "update_time ASC", [("update_time", False)]),
        ("/v1/notes", "deal_id DESC, update_time", [("deal_id", True), ("update_time", False)]),
        ("/v1/notes", "content", [("content", False)]),
        ("/v1/leads", "update_time ASC", [("update_time", False)]),
        ("/v1/leads", "title DESC,add_time ASC", [("title", True), ("add_time", False)]),
        ("/v1/leads", "id desc", [("id", True)]),
        ("/v1/leads", "expected_close_date, was_seen DESC", [("expected_close_date", False), ("was_seen", True)]),
        ("/v1/files", "update_time DESC", [("update_time", True)]),
        ("/v1/deals", "user_id DESC, update_time DESC", [("user_id", True), ("update_time", True)]),
        ("/v1/deals", "title", [("title", False)]),
        ("/v1/persons", "org_name ASC, name DESC", [("org_name", False), ("name", True)]),
        ("/v1/organizations", "update_time", [("update_time", False)]),
        ("/v1/activities", "due_date DESC", [("due_date", True)]),
        ("/v1/products", "name", [("name", False)]),
    ],
)  # fmt: skip
def test_v1_lists_come_in_the_order_sort_names(
    client: httpx.Client, path: str, sort: str, fields: list[tuple[str, bool]]
) -> None:
    unsorted = offset_walk(client, path, limit=100)
    rows = offset_walk(client, path, limit=len(unsorted) // 4, sort=sort)  # several pages
    assert len(rows) == len(unsorted) > 10
    assert sorted(map(str, (r["id"] for r in rows))) == sorted(
        map(str, (r["id"] for r in unsorted))
    )
    assert [r["id"] for r in rows] == expected_order(unsorted, fields)


def test_ties_break_by_id_in_the_direction_of_the_first_field(client: httpx.Client) -> None:
    for direction, reverse in (("ASC", False), ("DESC", True)):
        rows = offset_walk(client, "/v1/deals", limit=500, sort=f"user_id {direction}")
        owners = [r["user_id"]["value"] for r in rows]
        assert owners == sorted(owners, reverse=reverse)
        for owner in set(owners):
            ids = [r["id"] for r in rows if r["user_id"]["value"] == owner]
            assert ids == sorted(ids, reverse=reverse)


@pytest.mark.parametrize("quirks", [frozenset(), frozenset({"ignore_sort"})])
def test_keyset_walk_by_update_time_misses_no_note_or_lead(quirks: frozenset[str]) -> None:
    """The incremental walk of the sync-completeness issue: ask ``update_time ASC`` and
    move ``updated_since`` to the page's newest time; with the order honoured, nothing is
    skipped. Under ``ignore_sort`` (the emulator's old order) the same walk loses records."""
    emulator = Emulator(EmulatorConfig(deals=400, rate_limits=False, quirks=quirks))
    with client_for(emulator) as c:
        for path in ("/v1/notes", "/v1/leads"):
            everything = {r["id"] for r in offset_walk(c, path, limit=500)}
            seen: set[Any] = set()
            since = "2000-01-01T00:00:00Z"
            while True:
                params = {"sort": "update_time ASC", "updated_since": since, "limit": 10}
                page = c.get(path, params=params).json()
                rows = page["data"] or []
                seen |= {r["id"] for r in rows}
                if not page["additional_data"]["pagination"]["more_items_in_collection"]:
                    break
                newest = max(r["update_time"] for r in rows)
                since = newest.replace(" ", "T").removesuffix("Z")[:19] + "Z"
            if quirks:
                assert len(seen) < len(everything) / 2, path
            else:
                assert seen == everything, path


def test_a_write_moves_the_record_to_the_end_of_update_time_asc(client: httpx.Client) -> None:
    first = client.get("/v1/notes", params={"sort": "update_time ASC", "limit": 1}).json()
    note_id = first["data"][0]["id"]
    assert client.put(f"/v1/notes/{note_id}", json={"content": "<p>moved</p>"}).status_code == 200
    rows = offset_walk(client, "/v1/notes", limit=500, sort="update_time ASC")
    assert rows[-1]["id"] == note_id
    rows = offset_walk(client, "/v1/notes", limit=500, sort="update_time DESC")
    assert rows[0]["id"] == note_id


@pytest.mark.parametrize(
    ("path", "sort", "message"),
    [
        ("/v1/notes", "title ASC", "cannot sort notes by 'title'"),
        ("/v1/leads", "value", "cannot sort leads by 'value'"),
        ("/v1/files", "file_name", "cannot sort files by 'file_name'"),
        ("/v1/deals", "nested.key", "cannot sort deal records by 'nested.key'"),
        ("/v1/notes", "id SIDEWAYS", "'field ASC' or 'field DESC'"),
        ("/v1/notes", "id ASC DESC", "'field ASC' or 'field DESC'"),
    ],
)
def test_an_unknown_sort_is_a_400_envelope(
    client: httpx.Client, path: str, sort: str, message: str
) -> None:
    response = client.get(path, params={"sort": sort})
    assert response.status_code == 400
    body = response.json()
    assert body["success"] is False and body["data"] is None
    assert message in body["error"]
    validate("GET", "/api" + path, 400, body)


def test_ignore_sort_quirk_serves_the_default_order() -> None:
    quirky = Emulator(
        EmulatorConfig(deals=200, rate_limits=False, quirks=frozenset({"ignore_sort"}))
    )
    with client_for(quirky) as c:
        notes = offset_walk(c, "/v1/notes", sort="update_time DESC")
        assert [r["id"] for r in notes] == sorted(r["id"] for r in notes)
        times = [r["update_time"] for r in notes]
        assert times != sorted(times, reverse=True)
        leads = offset_walk(c, "/v1/leads", sort="update_time ASC")
        assert [r["add_time"] for r in leads] == sorted(r["add_time"] for r in leads)
        # Ignored means ignored: not even validated, as the emulator did before.
        assert c.get("/v1/notes", params={"sort": "nope"}).status_code == 200


def test_quirks_are_checked_and_reachable_from_the_cli() -> None:
    with pytest.raises(ValueError, match="unknown quirk 'sort_randomly'"):
        EmulatorConfig(quirks=frozenset({"sort_randomly"}))
    result = CliRunner().invoke(main, ["emulator", "serve", "--quirk", "sort_randomly"])
    assert result.exit_code == 2 and "ignore_sort" in result.output
    assert "--quirk" in CliRunner().invoke(main, ["emulator", "serve", "--help"]).output


def test_legacy_lists_sort_by_custom_fields_as_v1_shows_them() -> None:
    emulator = Emulator(EmulatorConfig(deals=150, rate_limits=False))
    fields = {f.field_type: f.key for f in emulator.store.fields["deal"] if f.is_custom}
    with client_for(emulator) as c:
        unsorted = offset_walk(c, "/v1/deals", limit=500)
        for kind in ("varchar", "monetary", "enum", "date"):
            key = fields[kind]
            rows = offset_walk(c, "/v1/deals", limit=40, sort=f"{key} DESC, id ASC")
            assert [r["id"] for r in rows] == expected_order(unsorted, [(key, True), ("id", False)])
            assert any(r[key] is not None for r in rows)
