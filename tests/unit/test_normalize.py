"""API records (v2 and v1 shapes) become typed rows."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from pdsync.catalog import field_catalog, get_stream, table_schema
from pdsync.errors import SchemaError
from pdsync.sync.normalize import Normalizer, normalize
from pdsync.textrepair import repair_text

BUDGET = "a" * 40
COLOUR = "b" * 40
FIELD_DEFS = [
    {"field_code": BUDGET, "field_name": "Budget", "field_type": "monetary", "is_custom_field": True},
    {"field_code": COLOUR, "field_name": "Colour", "field_type": "enum", "is_custom_field": True,
     "options": [{"id": 5, "label": "Red"}]},
]  # fmt: skip
DEAL_FIELDS = field_catalog("deal", FIELD_DEFS, now="2024-01-01T00:00:00Z")


def v2_person(**changes: Any) -> dict[str, Any]:
    person = {
        "id": 9,
        "name": "Ann Smith",
        "owner_id": 1,
        "org_id": None,
        "emails": [
            {"value": "ann@home.example", "primary": False, "label": "home"},
            {"value": "ann@work.example", "primary": True, "label": "work"},
        ],
        "phones": [{"value": "+372 555", "primary": False, "label": "work"}],
        "is_deleted": False,
        "add_time": "2024-01-02T03:04:05Z",
        "update_time": "2024-01-02T03:04:05.123Z",
        "postal_address": {"value": "Main St 1", "locality": "Tartu", "country": "Estonia"},
        "custom_fields": {},
        "brand_new_key_from_pipedrive": {"x": 1},
    }
    return person | changes


def test_v2_person_row_has_exactly_the_table_columns() -> None:
    persons = get_stream("persons")
    row = normalize(persons, v2_person())
    schema = table_schema(persons)
    assert set(row) == set(schema.column_names) - {"_pdsync_synced_at", "_pdsync_deleted_at"}
    assert "brand_new_key_from_pipedrive" not in row
    assert row["primary_email"] == "ann@work.example"
    assert row["primary_phone"] == "+372 555"  # no primary flag: the first one
    assert row["emails"][0]["label"] == "home"  # arrays kept as JSON values
    assert row["update_time"] == "2024-01-02T03:04:05Z"
    assert row["postal_address"] == "Main St 1"
    assert row["postal_address_locality"] == "Tartu"
    assert row["is_deleted"] is False


def test_v2_deal_custom_fields_become_readable_columns() -> None:
    deal = {
        "id": 1,
        "title": "Big",
        "value": 10,
        "update_time": "2024-05-01T10:00:00+02:00",
        "label_ids": [1],
        "custom_fields": {BUDGET: {"value": 5.5, "currency": "EUR"}, COLOUR: 5},
    }
    row = Normalizer(get_stream("deals"), DEAL_FIELDS)(deal)
    assert row["value"] == 10.0 and isinstance(row["value"], float)
    assert row["update_time"] == "2024-05-01T08:00:00Z"
    assert (row["budget"], row["budget_currency"]) == (5.5, "EUR")
    assert (row["colour"], row["colour_id"]) == ("Red", 5)
    assert row["status"] is None  # missing keys are nulls, not errors


def test_v1_lead_with_flat_custom_fields_and_nested_value() -> None:
    lead = {
        "id": "3f0c1d1e-0000-4000-8000-000000000001",
        "title": "Lead",
        "owner_id": 4,
        "value": {"amount": 250, "currency": "USD"},
        "is_archived": False,
        "visible_to": "3",
        "add_time": "2020-10-14T11:30:36.551Z",
        "update_time": "2020-10-14 11:30:36",
        BUDGET: 99,
        BUDGET + "_currency": "USD",
        COLOUR: "5",
    }
    row = normalize(get_stream("leads"), lead, DEAL_FIELDS)
    assert (row["value"], row["currency"]) == (250.0, "USD")
    assert row["visible_to"] == 3
    assert row["add_time"] == "2020-10-14T11:30:36Z"
    assert row["update_time"] == "2020-10-14T11:30:36Z"  # v1 times are UTC
    assert (row["budget"], row["budget_currency"], row["colour"]) == (99.0, "USD", "Red")


def test_v1_note_flags_and_nested_objects() -> None:
    note = {
        "id": 7,
        "content": "<p>hi</p>",
        "user_id": 2,
        "deal_id": "15",
        "active_flag": 1,
        "pinned_to_deal_flag": "0",
        "add_time": "2024-01-01 00:00:00",
        "user": {"email": "x@example.com", "name": "X"},
    }
    row = normalize(get_stream("notes"), note)
    assert row["active_flag"] is True and row["pinned_to_deal_flag"] is False
    assert row["deal_id"] == 15
    assert "user" not in row


def test_v1_reference_objects_become_their_id_and_children_get_the_parent_id() -> None:
    participant = {
        "id": 3,
        "person_id": {"name": "Ann", "value": 9, "email": [{"value": "a@x"}]},
        "added_by_user_id": {"id": 2, "name": "Bob"},
        "active_flag": True,
        "add_time": "2024-01-01 00:00:00",
    }
    row = normalize(get_stream("deal_participants"), participant, parent_id=42)
    assert (row["person_id"], row["added_by_user_id"], row["deal_id"]) == (9, 2, 42)
    follower = normalize(
        get_stream("deal_followers"), {"user_id": 5, "add_time": None}, parent_id=42
    )
    assert follower == {"deal_id": 42, "user_id": 5, "add_time": None}


def test_time_and_date_columns() -> None:
    activity = {"id": 1, "due_date": "2024-03-01", "due_time": "09:30", "duration": "01:00:00"}
    row = normalize(get_stream("activities"), activity)
    assert (row["due_date"], row["due_time"], row["duration"]) == (
        "2024-03-01",
        "09:30:00",
        "01:00:00",
    )


def test_missing_primary_key_is_a_schema_error() -> None:
    with pytest.raises(SchemaError, match="primary key"):
        normalize(get_stream("deals"), {"title": "no id"})


def test_a_value_of_the_wrong_type_names_stream_record_and_column() -> None:
    with pytest.raises(SchemaError) as err:
        normalize(get_stream("deals"), {"id": 1, "owner_id": "not a number"})
    assert "deals record 1, column 'owner_id'" in err.value.message
    assert err.value.hint


def test_non_object_records_are_rejected_clearly() -> None:
    with pytest.raises(SchemaError, match="expected a record object"):
        normalize(get_stream("deals"), ["not", "a", "dict"])  # type: ignore[arg-type]


def test_goals_and_hex_ids() -> None:
    goal = {"id": "abc123", "title": "Q1", "type": {"name": "deals_won"}, "is_active": True}
    row = normalize(get_stream("goals"), goal)
    assert row["id"] == "abc123" and row["type"] == {"name": "deals_won"}


# -- text that is not valid Unicode --------------------------------------------------------

NOTE_FIELD = "c" * 40
BAD_DEFS = [
    *FIELD_DEFS,
    {"field_code": NOTE_FIELD, "field_name": "Note \ud800", "field_type": "varchar",
     "is_custom_field": True},
    {"field_code": "d" * 40, "field_name": "Size", "field_type": "enum", "is_custom_field": True,
     "options": [{"id": 7, "label": "L\x00XL"}]},
]  # fmt: skip


def test_lone_surrogates_and_nul_are_repaired_everywhere_and_counted() -> None:
    catalog = field_catalog("person", BAD_DEFS, now="2024-01-01T00:00:00Z")
    assert {m.name for m in catalog.custom()} >= {"Note \ufffd"}  # field names too
    normalizer = Normalizer(get_stream("persons"), catalog)
    bad = v2_person(
        name="Ann \ud800",
        notes="a\x00b",
        emails=[{"value": "x\udfff@example.com", "primary": True, "label\ud800": "w"}],
        custom_fields={NOTE_FIELD: "\ud83d\ude00 and \udc00", "d" * 40: 7},
    )
    rows = normalizer.rows([v2_person(id=1), bad, v2_person(id=3)])
    row = rows[1]
    assert row["name"] == "Ann \ufffd" and row["notes"] == "a\ufffdb"
    assert row["emails"] == [{"value": "x\ufffd@example.com", "primary": True, "label\ufffd": "w"}]
    assert row["primary_email"] == "x\ufffd@example.com"
    note_column = catalog.resolve(NOTE_FIELD)
    size_column = catalog.resolve("d" * 40)
    assert note_column is not None and size_column is not None
    assert row[note_column.column] == "\U0001f600 and \ufffd"  # a split pair is joined
    assert row[size_column.column] == "L\ufffdXL"  # labels come from repaired definitions
    assert rows[0] == normalize(get_stream("persons"), v2_person(id=1), catalog)
    assert dict(normalizer.repairs) == {
        "name": 1,
        "notes": 1,
        "emails": 1,
        "primary_email": 1,
        note_column.column: 1,
    }


def test_clean_pages_are_left_as_built() -> None:
    normalizer = Normalizer(get_stream("persons"))
    records = [v2_person(id=i, name=f"Émile {i} 😀") for i in range(20)]
    assert normalizer.rows(records) == [normalize(get_stream("persons"), r) for r in records]
    assert not normalizer.repairs


@settings(max_examples=60, deadline=None)
@given(st.text(st.characters(codec=None), max_size=12), st.text(st.characters(codec=None)))
def test_any_text_becomes_storable_text(name: str, note: str) -> None:
    normalizer = Normalizer(get_stream("persons"))
    (row,) = normalizer.rows([v2_person(name=name, emails=[{"value": note, "primary": True}])])
    assert row["name"] == repair_text(name) and row["primary_email"] == repair_text(note)
    for value in (row["name"], row["primary_email"], row["emails"][0]["value"]):
        value.encode("utf-8")  # every destination stores UTF-8
        assert "\x00" not in value
    assert sum(normalizer.repairs.values()) == (name != repair_text(name)) + 2 * (
        note != repair_text(note)
    )
