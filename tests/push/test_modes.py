"""Every push mode against the emulator: insert, update, upsert, delete, merge."""

from __future__ import annotations

from pathlib import Path

import pytest

from pdsync.errors import ConfigError, NotFoundError, PushError
from pdsync.push import Journal, PushOptions, read_rows, run_push

from .conftest import Account, Push, write_csv


@pytest.fixture
def searchable(account: Account) -> None:
    try:
        account.get("persons/search", term="x", fields="name", exact_match="true")
    except NotFoundError:
        pytest.skip("the emulator does not serve v2 search yet")


def _person(account: Account, person_id: int) -> dict:
    return account.get(f"persons/{person_id}")


def _gone(account: Account, path: str) -> bool:
    """Deleted (soft: ``is_deleted``) or not found at all."""
    try:
        return bool(account.get(path)["is_deleted"])
    except NotFoundError:
        return True


def test_insert_creates_every_good_row(account: Account, push: Push) -> None:
    result, items = push(
        "persons",
        [
            {"name": "Ann Insert", "email": "ann.insert@example.com"},
            {"name": "Bob Insert", "email": "bob.insert@example.com; b2@example.com"},
        ],
    )
    assert result.applied == 2 and result.failed == 0
    ann = _person(account, items[0].record_id)
    assert ann["name"] == "Ann Insert"
    assert ann["emails"][0]["value"] == "ann.insert@example.com"
    bob = _person(account, items[1].record_id)
    assert [e["value"] for e in bob["emails"]] == ["bob.insert@example.com", "b2@example.com"]
    assert [e["primary"] for e in bob["emails"]] == [True, False]


def test_update_by_id_sends_only_changed_fields(account: Account, push: Push) -> None:
    before = _person(account, 1)
    code = account.field_code("person", "Account code")
    result, items = push(
        "persons",
        [
            {"id": "1", "name": before["name"], "Account code": "PUSH-1"},
            {"id": "2", "name": _person(account, 2)["name"]},
        ],
        mode="update",
    )
    update, skip = items
    assert update.action == "update" and [c.code for c in update.changes] == [code]
    assert update.body == {"custom_fields": {code: "PUSH-1"}}
    assert skip.action == "skip" and skip.message == "unchanged"
    assert _person(account, 1)["custom_fields"][code] == "PUSH-1"
    assert result.applied == 1


def test_update_of_missing_record_is_a_row_error(push: Push) -> None:
    result, items = push("persons", [{"id": "999999", "name": "Nobody"}], mode="update")
    assert items[0].action == "error" and "no persons with id" in items[0].message
    assert result.applied == 0


def test_upsert_by_email_updates_or_creates(account: Account, push: Push, searchable: None) -> None:
    existing = _person(account, 3)
    email = existing["emails"][0]["value"]
    _, items = push(
        "persons",
        [
            {"email": email, "account_code": "Upserted"},
            {"email": "new.upsert@example.com", "name": "New Upsert"},
        ],
        mode="upsert",
        key="email",
    )
    assert [i.action for i in items] == ["update", "create"]
    assert items[0].record_id == 3
    code = account.field_code("person", "Account code")
    assert _person(account, 3)["custom_fields"][code] == "Upserted"
    assert _person(account, items[1].record_id)["name"] == "New Upsert"


def test_ambiguous_match_is_a_row_error_never_a_guess(
    account: Account, push: Push, searchable: None
) -> None:
    push("persons", [{"name": "Twin Same"}, {"name": "Twin Same "}])  # two people, one name
    before = account.writes()
    _, items = push(
        "persons", [{"name": "Twin Same", "account_code": "x"}], mode="update", key="name"
    )
    assert items[0].action == "error" and "2 persons match" in items[0].message
    assert account.writes() == before


def test_delete_needs_confirmation_then_deletes(account: Account, push: Push) -> None:
    rows = [{"id": "4"}, {"id": "5"}, {"id": "999999"}]
    with pytest.raises(PushError, match="not confirmed"):
        push("persons", rows, mode="delete")
    assert account.get("persons/4")["id"] == 4  # nothing deleted
    result, items = push("persons", rows, mode="delete", yes=True)
    assert [i.action for i in items] == ["delete", "delete", "skip"]
    assert result.applied == 2
    assert _gone(account, "persons/4") and _gone(account, "persons/5")


def test_delete_confirm_callback_sees_the_count(account: Account, tmp_path: Path) -> None:
    source = write_csv(tmp_path / "d.csv", [{"id": "6"}, {"id": "7"}])
    asked: list[tuple[int, str]] = []
    with Journal(None) as journal:
        result = run_push(
            account.client,
            read_rows(str(source)),
            PushOptions("persons", "delete"),
            journal,
            confirm=lambda n, action: asked.append((n, action)) or True,
        )
    assert asked == [(2, "delete")] and result.applied == 2


def test_merge_folds_duplicate_into_survivor(account: Account, push: Push) -> None:
    result, items = push("persons", [{"id": "8", "merge_with_id": "9"}], mode="merge", yes=True)
    assert items[0].action == "merge" and items[0].record_id == 9
    assert result.applied == 1
    assert _gone(account, "persons/8") and not _gone(account, "persons/9")


def test_merge_is_refused_for_objects_without_merge(push: Push) -> None:
    with pytest.raises(ConfigError, match="cannot be pushed with --mode merge"):
        push("products", [{"id": "1", "merge_with_id": "2"}], mode="merge")


def test_dry_run_makes_zero_write_calls(account: Account, push: Push) -> None:
    before = account.writes()
    result, items = push(
        "persons",
        [
            {"id": "1", "account_code": "Dry"},
            {"id": "2", "name": "Renamed Dry"},
            {"id": "999999", "name": "Missing"},
        ],
        mode="update",
        dry_run=True,
    )
    assert [i.action for i in items] == ["update", "update", "error"]
    assert items[0].status == "planned"
    assert account.writes() == before == 0
    code = account.field_code("person", "Account code")
    assert result.applied == 0 and _person(account, 1)["custom_fields"][code] != "Dry"
