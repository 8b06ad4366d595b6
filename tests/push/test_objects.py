"""Each pushable object writes through the right API version and shape."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from .conftest import Account, Push


def test_organizations_insert_and_update(account: Account, push: Push) -> None:
    _, items = push("organizations", [{"name": "Push Org", "address": "2 Side St, Tartu"}])
    org_id = items[0].record_id
    _, updated = push("organizations", [{"id": str(org_id), "name": "Push Org 2"}], mode="update")
    assert updated[0].action == "update"
    assert account.get(f"organizations/{org_id}")["name"] == "Push Org 2"


def test_activities_with_relations(account: Account, push: Push) -> None:
    result, items = push(
        "activities",
        [
            {
                "subject": "Call back",
                "type": "call",
                "deal_id": "1",
                "due_date": "2025-03-04",
                "due_time": "14:30",
                "done": "no",
            }
        ],
    )
    assert result.applied == 1, items[0].message
    activity = account.get(f"activities/{items[0].record_id}")
    assert (activity["subject"], activity["deal_id"], activity["due_date"]) == (
        "Call back",
        1,
        "2025-03-04",
    )
    assert activity["done"] is False


def test_products_insert(account: Account, push: Push) -> None:
    result, items = push("products", [{"name": "Widget", "code": "W-1", "tax": "20"}])
    assert result.applied == 1, items[0].message
    assert account.get(f"products/{items[0].record_id}")["code"] == "W-1"


def test_leads_use_v1_and_need_a_person_or_org(account: Account, push: Push) -> None:
    result, items = push(
        "leads",
        [
            {"title": "Lead with org", "organization": "2", "value": "900 EUR"},
            {"title": "Lead without anyone"},
        ],
    )
    assert [i.action for i in items] == ["create", "error"]
    assert "needs one of: person_id, organization_id" in items[1].message
    lead = account.get(f"leads/{items[0].record_id}", version="v1")
    assert lead["organization_id"] == 2 and lead["value"] == {"amount": 900, "currency": "EUR"}
    ops = account.stats()["requests_by_operation"]
    assert ops.get("addLead") == 1 and result.applied == 1


def test_notes_use_v1_and_update_with_put(account: Account, push: Push) -> None:
    _, items = push("notes", [{"content": "First note", "deal": "1"}])
    note_id = items[0].record_id
    _, updated = push("notes", [{"id": str(note_id), "content": "Edited"}], mode="update")
    assert updated[0].action == "update"
    assert account.get(f"notes/{note_id}", version="v1")["content"] == "Edited"
    assert account.stats()["requests_by_operation"].get("updateNote") == 1


def test_replica_matching_uses_no_search_call(account: Account, push: Push, tmp_path: Path) -> None:
    person = account.get("persons/10")
    email = person["emails"][0]["value"]
    replica = tmp_path / "pipedrive.db"
    with sqlite3.connect(replica) as db:
        db.execute(
            "CREATE TABLE persons (id INTEGER, name TEXT, primary_email TEXT, account_code TEXT, _pdsync_deleted_at TEXT)"
        )
        db.execute(
            "INSERT INTO persons VALUES (10, ?, ?, NULL, NULL)", (person["name"], email.upper())
        )
        db.execute("INSERT INTO persons VALUES (11, 'Gone', ?, NULL, '2024-01-01')", (email,))
    _, items = push(
        "persons",
        [{"email": email, "account_code": "FROM-REPLICA"}],
        mode="update",
        key="email",
        replica=f"sqlite:///{replica}",
    )
    assert items[0].action == "update" and items[0].record_id == 10
    ops = account.stats()["requests_by_operation"]
    assert not any("search" in op.lower() for op in ops)
