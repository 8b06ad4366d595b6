"""Links: deal products (v2), deal participants (v1) and followers (v2) of deals,
persons, organizations and products — every mode each supports, against the emulator."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest

from pdsync.emulator.config import EmulatorConfig
from pdsync.errors import ConfigError
from pdsync.push import Journal, PushOptions, read_rows, run_push

from .conftest import Account, Push, write_csv

ADA = "ada.hoffmann@acme.example"  # user 1
BRUNO = "bruno.obrien@acme.example"  # user 2
DEAL_2 = "Baltic Byte GmbH — Pilot project"  # deal 2: product 9 attached, user 5 follows


def _ops(account: Account) -> dict[str, int]:
    ops: dict[str, int] = account.stats()["requests_by_operation"]
    return ops


def _attached(account: Account, deal: int) -> list[dict[str, Any]]:
    return list(account.get(f"deals/{deal}/products"))


def _followers(account: Account, path: str) -> set[int]:
    return {f["user_id"] for f in account.get(f"{path}/followers")}


def test_deal_products_insert_by_title_and_code_then_upsert_sends_only_changes(
    account: Account, push: Push
) -> None:
    rows = [
        {"deal": DEAL_2, "product": "SKU-00003", "item_price": "1.200,50", "quantity": "2"},
        {"deal": "3", "product": "sku-00001", "price": "99", "qty": "1", "comments": "x"},
    ]
    result, items = push("deal_products", rows)
    assert [i.action for i in items] == ["create", "create"] and result.applied == 2
    added = {p["product_id"]: p for p in _attached(account, 2)}[3]
    assert (added["item_price"], added["quantity"], added["sum"]) == (1200.5, 2, 2401.0)
    assert items[0].record_id == added["id"] and items[0].parent_id == 2

    patches = _ops(account).get("updateDealProduct", 0)
    again = [{**rows[0], "quantity": "5"}, rows[1]]
    result, items = push("deal_products", again, mode="upsert")
    assert [i.action for i in items] == ["update", "skip"]
    assert items[0].body == {"quantity": 5} and items[1].message == "unchanged"
    assert _ops(account)["updateDealProduct"] == patches + 1
    assert {p["product_id"]: p["quantity"] for p in _attached(account, 2)}[3] == 5


def test_deal_products_update_and_delete(account: Account, push: Push) -> None:
    rows = [
        {"deal_id": "2", "product_id": "9", "discount": "10", "is_enabled": "no"},
        {"deal_id": "2", "product_id": "1", "discount": "5"},  # not attached
    ]
    result, items = push("deal_products", rows, mode="update")
    assert [i.action for i in items] == ["update", "error"]
    assert "has no such deal product" in items[1].message
    attachment = _attached(account, 2)[0]
    assert (attachment["discount"], attachment["is_enabled"]) == (10, False)

    result, items = push("deal_products", [{"deal": "2", "product": "9"}], mode="delete", yes=True)
    assert items[0].action == "delete" and result.applied == 1
    assert _attached(account, 2) == []


def test_deal_product_attached_twice_is_ambiguous_never_a_guess(
    account: Account, push: Push
) -> None:
    for _ in range(2):
        account.client.request(
            "POST", "deals/4/products", json={"product_id": 2, "item_price": 5, "quantity": 1}
        )
    rows = [
        {"deal": "4", "product": "2", "quantity": "3"},
        {"deal": "2", "product": "9", "quantity": "7"},
    ]
    result, items = push("deal_products", rows, mode="upsert")
    assert items[0].action == "error" and "has 2 deal products for product_id 2" in items[0].message
    assert items[1].action == "update" and result.applied == 1


def test_deal_product_bad_rows_are_reported_and_good_rows_applied(
    account: Account, push: Push
) -> None:
    rows = [
        {"deal": "2", "product": "SKU-00004", "item_price": "10", "quantity": "1"},
        {"deal": "2", "product": "SKU-00004", "item_price": "11", "quantity": "1"},  # same pair
        {"deal": "2", "product": "SKU-00005", "item_price": "ten", "quantity": "1"},
        {"deal": "2", "product": "SKU-00006", "quantity": "1"},  # no price
        {"deal": "987654", "product": "SKU-00006", "item_price": "1", "quantity": "1"},
        {"deal": "No such deal", "product": "1", "item_price": "1", "quantity": "1"},
        {"product": "1", "item_price": "1", "quantity": "1"},
        {"deal": "2", "product": "SKU-00007", "item_price": "1", "quantity": "1", "colour": "red"},
    ]
    result, items = push("deal_products", rows, mode="upsert")
    actions = [i.action for i in items]
    assert actions == ["create"] + ["error"] * 7 and result.applied == 1
    messages = [i.message for i in items[1:]]
    assert "same deal and product id as row 1" in messages[0]
    assert "'ten' is not a number" in messages[1]
    assert "missing required field item_price" in messages[2]
    assert "no deal #987654" in messages[3]
    assert "no deal named 'No such deal'" in messages[4]
    assert "needs a deal id column" in messages[5]
    assert "unknown column 'colour'" in messages[6]


def test_participants_by_person_email_insert_skip_and_delete(account: Account, push: Push) -> None:
    existing = account.get("deals/2/participants", "v1")[0]["person_id"]["value"]
    email = account.get(f"persons/{existing}")["emails"][0]["value"]
    newcomer = account.get("persons/1")["emails"][0]["value"]
    rows = [{"deal": "2", "person": email}, {"deal": "2", "person": newcomer}]
    posts = _ops(account).get("addDealParticipant", 0)
    _, items = push("deal_participants", rows)
    assert [i.action for i in items] == ["skip", "create"]
    assert items[0].message == "already a participant"
    assert _ops(account)["addDealParticipant"] == posts + 1
    people = {p["person_id"]["value"] for p in account.get("deals/2/participants", "v1")}
    assert people == {existing, 1}

    _, items = push("deal_participants", [rows[1]], mode="delete", yes=True)
    assert items[0].action == "delete" and items[0].record_id is not None
    assert {p["person_id"]["value"] for p in account.get("deals/2/participants", "v1")} == {
        existing
    }
    _, items = push("deal_participants", [rows[1]], mode="delete", yes=True)
    assert items[0].action == "skip" and "nothing to delete" in items[0].message


@pytest.mark.parametrize(
    ("object_name", "parent_column", "parent_value", "path"),
    [
        ("deal_followers", "deal", DEAL_2, "deals/2"),
        ("person_followers", "person", "rosa.garca@initech.example", "persons/1"),
        ("organization_followers", "organization", "3", "organizations/3"),
        ("product_followers", "product", "SKU-00002", "products/2"),
    ],
)
def test_followers_added_once_then_removed(
    account: Account,
    push: Push,
    object_name: str,
    parent_column: str,
    parent_value: str,
    path: str,
) -> None:
    before = _followers(account, path)
    already = next(iter(before))
    rows = [
        {parent_column: parent_value, "user": ADA if 1 not in before else BRUNO},
        {parent_column: parent_value, "user": str(already)},  # Pipedrive would answer 400
    ]
    result, items = push(object_name, rows, mode="upsert")
    assert [i.action for i in items] == ["create", "skip"] and result.failed == 0
    assert items[1].message == "already a follower"
    added = items[0].record_id
    assert _followers(account, path) == before | {added}

    lists = sum(n for op, n in _ops(account).items() if op.endswith("Followers"))
    result, items = push(object_name, rows, mode="delete", yes=True)
    assert [i.action for i in items] == ["delete", "delete"] and result.applied == 2
    # One list call for the parent, however many rows name it.
    assert sum(n for op, n in _ops(account).items() if op.endswith("Followers")) == lists + 1
    assert _followers(account, path) == before - {already}


def test_followers_have_no_update_mode_and_no_key(account: Account, push: Push) -> None:
    with pytest.raises(ConfigError, match="has no fields to update") as caught:
        push("deal_followers", [{"deal": "2", "user": ADA}], mode="update")
    assert "insert, upsert, delete" in caught.value.hint
    with pytest.raises(ConfigError, match="always matched on their deal_id and product_id"):
        push("deal_products", [{"deal": "2", "product": "9"}], mode="upsert", key="id")
    with pytest.raises(ConfigError, match="cannot be pushed with --mode merge"):
        push("deal_products", [{"deal": "2", "product": "9"}], mode="merge")


def test_dry_run_of_links_makes_no_write_call(account: Account, push: Push) -> None:
    rows = [{"deal": "2", "user": "1"}, {"deal": "3", "user": "1"}, {"deal": "3", "user": "6"}]
    _, items = push("deal_followers", rows, dry_run=True)
    assert 1 not in _followers(account, "deals/2") | _followers(account, "deals/3")
    assert [i.action for i in items] == ["create", "create", "error"]
    assert items[2].message == "column 'user': no user #6 in this company"
    assert all(i.status == "planned" for i in items)
    products = [{"deal": "2", "product": "9", "quantity": "1"}]
    push("deal_products", products, mode="delete", dry_run=True)
    push("deal_participants", [{"deal": "2", "person": "1"}], dry_run=True)
    assert account.writes() == 0


def test_lost_follow_answer_is_read_back_not_resent(tmp_path: Path) -> None:
    script = tmp_path / "faults.json"
    rule = {"fault": "reset", "match": "POST /api/v2/deals/3/followers", "nth": 1, "apply": True}
    script.write_text(json.dumps([rule]), encoding="utf-8")
    account = Account(
        EmulatorConfig(seed=1, deals=50, rate_limits=False, faults=f"script={script}")
    )
    source = write_csv(tmp_path / "in.csv", [{"deal": "3", "user": ADA}])
    with Journal(tmp_path / "j.db") as journal:
        result = run_push(
            account.client, read_rows(str(source)), PushOptions("deal_followers"), journal
        )
        item = next(journal.items())
    assert result.applied == 1 and item.record_id == 1 and "found by read-back" in item.message
    assert _ops(account)["addDealFollower"] == 1
    account.close()


def test_lost_attach_answer_is_read_back_not_attached_twice(tmp_path: Path) -> None:
    script = tmp_path / "faults.json"
    rule = {"fault": "reset", "match": "POST /api/v2/deals/5/products", "nth": 1, "apply": True}
    script.write_text(json.dumps([rule]), encoding="utf-8")
    account = Account(
        EmulatorConfig(seed=1, deals=50, rate_limits=False, faults=f"script={script}")
    )
    before = len(_attached(account, 5))
    row = {"deal": "5", "product": "4", "item_price": "42", "quantity": "3"}
    source = write_csv(tmp_path / "in.csv", [row])
    with Journal(tmp_path / "j.db") as journal:
        options = PushOptions("deal_products")
        result = run_push(account.client, read_rows(str(source)), options, journal)
    assert result.applied == 1 and len(_attached(account, 5)) == before + 1
    assert _ops(account)["addDealProduct"] == 1
    account.close()


def test_rerun_reads_back_a_link_left_sending(account: Account, push: Push, tmp_path: Path) -> None:
    journal = tmp_path / "journal.db"
    rows = [
        {"deal": "6", "product": "7", "item_price": "3", "quantity": "1"},
        {"deal": "6", "product": "8", "item_price": "4", "quantity": "1"},
    ]
    _, first = push("deal_products", rows, journal=journal)
    with sqlite3.connect(journal) as db:
        db.execute("UPDATE rows SET status='sending', record_id=NULL WHERE row_number=2")
    posts = _ops(account)["addDealProduct"]
    _, items = push("deal_products", rows, journal=journal)
    assert _ops(account)["addDealProduct"] == posts  # found, not attached again
    assert items[1].status == "done" and items[1].record_id == first[1].record_id
    assert items[0].status == "done" and "earlier run" in items[0].message
    assert [p["product_id"] for p in _attached(account, 6)].count(8) == 1


def test_journal_of_an_earlier_version_gains_the_parent_column(
    account: Account, push: Push, tmp_path: Path
) -> None:
    journal = tmp_path / "old.db"
    with sqlite3.connect(journal) as db:  # the schema before links were pushable
        db.executescript(
            "CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);"
            "CREATE TABLE rows (row_number INTEGER PRIMARY KEY, row_hash TEXT NOT NULL,"
            " match_key TEXT, action TEXT NOT NULL, status TEXT NOT NULL, record_id TEXT,"
            " body TEXT, changes TEXT, merge_with TEXT, message TEXT NOT NULL DEFAULT '',"
            " key_value TEXT, sent_at REAL, attempts INTEGER NOT NULL DEFAULT 0,"
            " run INTEGER NOT NULL);"
        )
    push("deal_followers", [{"deal": "9", "user": "4"}], journal=journal, dry_run=True)
    with sqlite3.connect(journal) as db:  # a dry run leaves the file as it was
        assert "parent_id" not in {r[1] for r in db.execute("PRAGMA table_info(rows)")}
    result, items = push("deal_followers", [{"deal": "9", "user": "4"}], journal=journal)
    assert result.applied == 1, items[0].message
    assert items[0].parent_id == 9
