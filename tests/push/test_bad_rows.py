"""Bad rows are reported one by one, clearly, while the good rows are applied."""

from __future__ import annotations

from pathlib import Path

from .conftest import Account, Push, write_jsonl


def test_each_bad_row_is_reported_and_good_rows_applied(account: Account, push: Push) -> None:
    rows = [
        {"name": "Good One", "Seats requested": "2"},
        {"name": "Wrong Type", "Seats requested": "many"},
        {"name": "Bad Option", "Lead source": "Carrier pigeon"},
        {"name": "", "Seats requested": "4"},  # missing required name
        {"name": "Bad Date", "Renewal date": "31/31/2025"},
        {"name": "Good Two", "Seats requested": "5"},
    ]
    result, items = push("persons", rows)
    by_row = {i.row: i for i in items}
    assert [i.action for i in items] == ["create", "error", "error", "error", "error", "create"]
    assert "'many' is not a number" in by_row[2].message
    assert "unknown option 'Carrier pigeon'" in by_row[3].message
    assert "allowed: Website, Referral" in by_row[3].message
    assert "missing required field name" in by_row[4].message
    assert "not a real date" in by_row[5].message or "not a date" in by_row[5].message
    assert result.applied == 2 and result.errors == 4
    assert account.get(f"persons/{by_row[6].record_id}")["name"] == "Good Two"


def test_unknown_column_names_the_column_and_suggests(push: Push, tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "u.jsonl",
        [{"name": "Fine"}, {"name": "Typo", "Acount code": "X"}],
    )
    result, items = push("persons", source)
    assert items[0].action == "create"
    assert items[1].action == "error"
    assert "unknown column 'Acount code'" in items[1].message
    assert "account_code" in items[1].message  # the suggestion
    assert result.applied == 1


def test_same_key_twice_in_one_file_is_an_error_on_the_second(account: Account, push: Push) -> None:
    result, items = push(
        "persons",
        [
            {"name": "Dup Key", "email": "dup@example.com"},
            {"name": "Dup Key Again", "email": "DUP@example.com"},
        ],
        key="email",
    )
    assert [i.action for i in items] == ["create", "error"]
    assert "same email as row 1" in items[1].message
    assert result.applied == 1


def test_map_renames_columns_and_ignore_drops_them(account: Account, push: Push) -> None:
    _, items = push(
        "persons",
        [{"Full name": "Mapped", "E-mail": "mapped@example.com", "junk": "x"}],
        mappings={"Full name": "name", "E-mail": "email"},
        ignore=frozenset({"junk"}),
    )
    person = account.get(f"persons/{items[0].record_id}")
    assert person["name"] == "Mapped" and person["emails"][0]["value"] == "mapped@example.com"


def test_unknown_owner_email_lists_known_users(push: Push) -> None:
    _, items = push("deals", [{"title": "Owner?", "owner": "ghost@acme.example"}])
    assert items[0].action == "error"
    assert "no user named 'ghost@acme.example'" in items[0].message
    assert "ada.hoffmann@acme.example" in items[0].message


def test_broken_json_line_is_a_row_error(push: Push, tmp_path: Path) -> None:
    source = tmp_path / "b.jsonl"
    source.write_text('{"name": "Ok"}\n{"name": \n', encoding="utf-8")
    _result, items = push("persons", source)
    assert [i.action for i in items] == ["create", "error"]
    assert "not valid JSON" in items[1].message
