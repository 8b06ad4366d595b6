"""Custom fields as readable typed columns: mapping, evolution across syncs, round trips."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdsync.catalog import FIELDS_TABLE, FieldCatalog, FieldMapping, field_catalog, table_schema
from pdsync.catalog.registry import get_stream
from pdsync.errors import SchemaError

from .factories import EVERY_TYPE, field_def, key_of, v2_custom_values

NOW = "2024-01-01T00:00:00Z"


def build(defs: list[dict[str, Any]], previous: tuple[FieldMapping, ...] = ()) -> FieldCatalog:
    return field_catalog("deal", defs, previous, now=NOW)


def test_every_field_type_gets_its_typed_columns() -> None:
    columns = {c.name: c.type for c in build(EVERY_TYPE).columns()}
    assert columns["nickname"] == "text"
    assert columns["score"] == "real"
    assert (columns["budget"], columns["budget_currency"]) == ("real", "text")
    assert (columns["signed_on"], columns["contract_period_until"]) == ("date", "date")
    assert (columns["call_at"], columns["call_at_timezone"]) == ("time", "text")
    assert columns["office_hours_until"] == "time"
    assert (columns["colour"], columns["colour_id"]) == ("text", "integer")
    assert (columns["tags"], columns["tags_ids"]) == ("json", "json")
    assert columns["account_manager_id"] == columns["partner_org_id"] == "integer"
    assert columns["champion_id"] == "integer"
    assert {"hq", "hq_locality", "hq_country", "hq_postal_code"} <= set(columns)
    assert "title" not in columns  # system fields are the stream's own columns


def test_values_become_labels_ids_currency_until_and_address_parts() -> None:
    row = build(EVERY_TYPE).to_row_values(v2_custom_values())
    assert row["budget"] == 1200.5 and row["budget_currency"] == "EUR"
    assert row["colour"] == "Blue, dark" and row["colour_id"] == 12
    assert row["tags"] == ["Red", "Blue, dark"] and row["tags_ids"] == [11, 12]
    assert row["contract_period"] == "2024-01-01"
    assert row["contract_period_until"] == "2024-12-31"
    assert row["call_at"] == "09:30:00" and row["call_at_timezone"] == "Europe/London"
    assert row["hq"] == "1 Main St, Tallinn" and row["hq_locality"] == "Tallinn"
    assert row["hq_subpremise"] is None
    assert row["account_manager_id"] == 7


def test_empty_values_give_nulls_in_every_column() -> None:
    catalog = build(EVERY_TYPE)
    row = catalog.to_row_values({})
    assert set(row) == {c.name for c in catalog.columns()}
    assert all(v is None for v in row.values())


def test_v1_flat_values_read_like_v2_ones() -> None:
    catalog = build(EVERY_TYPE)
    record = {
        key_of("Colour"): "12",
        key_of("Tags"): "11,12",
        key_of("Budget"): 99,
        key_of("Budget") + "_currency": "USD",
        key_of("Contract period"): "2024-01-01",
        key_of("Contract period") + "_until": "2024-02-01",
        key_of("Account manager"): {"id": 7, "name": "Ann", "value": 7},
        key_of("HQ"): "Somewhere",
        key_of("HQ") + "_country": "Latvia",
    }
    row = catalog.to_row_values_v1(record)
    assert (row["colour"], row["colour_id"]) == ("Blue, dark", 12)
    assert row["tags_ids"] == [11, 12]
    assert (row["budget"], row["budget_currency"]) == (99.0, "USD")
    assert row["contract_period_until"] == "2024-02-01"
    assert row["account_manager_id"] == 7
    assert (row["hq"], row["hq_country"]) == ("Somewhere", "Latvia")


def test_option_label_objects_and_unknown_options_do_not_crash() -> None:
    catalog = build(EVERY_TYPE)
    row = catalog.to_row_values(
        {key_of("Colour"): {"id": 99, "label": "Green"}, key_of("Tags"): [99]}
    )
    assert (row["colour"], row["colour_id"]) == ("Green", 99)
    assert (row["tags"], row["tags_ids"]) == ([None], [99])


def test_a_rename_keeps_the_column() -> None:
    first = build([field_def("Budget", "monetary")])
    renamed = field_def("Budget", "monetary") | {"field_name": "Annual budget (EUR)"}
    second = build([renamed], first.mappings())
    (mapping,) = second.custom()
    assert mapping.column == "budget"
    assert mapping.name == "Annual budget (EUR)"
    assert second.resolve("Annual budget (EUR)") is mapping


def test_a_deleted_field_keeps_its_column_but_writes_nothing() -> None:
    first = build([field_def("Budget", "monetary"), field_def("Nickname", "varchar")])
    second = build([field_def("Nickname", "varchar")], first.mappings())
    budget = second.resolve(key_of("Budget"))
    assert budget is not None and budget.deleted
    assert {"budget", "budget_currency"} <= {c.name for c in second.columns()}
    assert "budget" not in second.to_row_values({key_of("Budget"): {"value": 1}})
    with pytest.raises(SchemaError, match="deleted"):
        second.from_names({"budget": 5})
    # ... and comes back to life, same column, if Pipedrive restores it.
    third = build([field_def("Budget", "monetary")], second.mappings())
    assert third.resolve(key_of("Budget")) == FieldMapping(
        "deal", key_of("Budget"), "Budget", "monetary", "budget", {}, NOW
    )


def test_a_new_field_adds_columns_without_touching_old_ones() -> None:
    first = build([field_def("Nickname", "varchar")])
    second = build(
        [field_def("Nickname", "varchar"), field_def("nickname!", "enum")], first.mappings()
    )
    assert [m.column for m in second.custom()] == ["nickname", "nickname_2"]
    deals = table_schema(get_stream("deals"), second)
    assert {"nickname", "nickname_2", "nickname_2_id"} <= set(deals.column_names)


def test_collisions_with_system_columns_and_each_other_are_suffixed() -> None:
    catalog = build(
        [
            field_def("Title", "varchar"),  # deals.title
            field_def("Owner", "user"),  # owner_id is a system column
            field_def("Was seen", "boolean"),  # a leads column: deal fields serve leads too
            field_def("Budget", "monetary"),
            field_def("Budget currency", "varchar"),  # budget_currency is Budget's
            field_def("BUDGET", "varchar"),
        ]
    )
    columns = [m.column for m in catalog.custom()]
    assert columns == [
        "title_2",
        "owner_2",
        "was_seen_2",
        "budget",
        "budget_currency_2",
        "budget_2",
    ]
    for stream in ("deals", "archived_deals", "leads"):
        names = table_schema(get_stream(stream), catalog).column_names
        assert len(names) == len(set(names)), stream


def test_unknown_field_types_become_json_and_are_reported() -> None:
    catalog = build([field_def("Future", "hologram")])
    assert [(c.name, c.type) for c in catalog.columns()] == [("future", "json")]
    assert catalog.to_row_values({key_of("Future"): {"x": [1]}}) == {"future": {"x": [1]}}
    assert catalog.unknown_types() == ("hologram",)


def test_resolve_by_key_column_derived_column_or_name() -> None:
    catalog = build(EVERY_TYPE)
    budget = catalog.resolve("Budget")
    assert budget is not None
    assert catalog.resolve(budget.key) is budget
    assert catalog.resolve("budget_currency") is budget
    assert catalog.resolve("budget") is budget
    assert catalog.resolve("BUDGET") is budget
    assert catalog.resolve("no such field") is None
    assert catalog.resolve("Title") is not None  # system fields resolve too


def test_ambiguous_names_ask_for_the_column() -> None:
    catalog = build(
        [field_def("Twin", "varchar"), field_def("Twin", "varchar") | {"field_code": "k2"}]
    )
    with pytest.raises(SchemaError, match="twin, twin_2"):
        catalog.resolve("Twin")


def test_from_names_turns_labels_into_option_ids_and_columns_into_objects() -> None:
    catalog = build(EVERY_TYPE)
    out = catalog.from_names(
        {
            "title": "Big deal",
            "Colour": "blue, DARK",
            "tags": "Red",
            "budget": 10,
            "budget_currency": "USD",
            "account_manager_id": 3,
        }
    )
    assert out == {
        "title": "Big deal",
        key_of("Colour"): 12,
        key_of("Tags"): [11],
        key_of("Budget"): {"value": 10, "currency": "USD"},
        key_of("Account manager"): 3,
    }


def test_from_names_rejects_unknown_fields_and_options_with_a_hint() -> None:
    catalog = build(EVERY_TYPE)
    with pytest.raises(SchemaError) as err:
        catalog.from_names({"Colour": "Purple"})
    assert "'Red'" in err.value.hint
    with pytest.raises(SchemaError) as err:
        catalog.from_names({"nope": 1})
    assert "pdsync discover" in err.value.hint


def test_mappings_round_trip_through_the_fields_table() -> None:
    catalog = build(EVERY_TYPE)
    rows = [m.to_row() for m in catalog.mappings()]
    assert set(rows[0]) == set(FIELDS_TABLE.column_names)
    restored = tuple(FieldMapping.from_row(r) for r in rows)
    assert restored == catalog.mappings()
    as_text = [r | {"options": '{"11": "Red"}'} for r in rows]
    assert FieldMapping.from_row(as_text[0]).options == {11: "Red"}


def test_v1_field_definitions_are_accepted() -> None:
    v1 = [
        {"key": "abc", "name": "Colour", "field_type": "enum", "edit_flag": True,
         "options": [{"id": 1, "label": "Red"}]},
        {"key": "abc_currency", "name": "sub", "field_type": "varchar", "is_subfield": True},
        {"key": "title", "name": "Title", "field_type": "varchar", "edit_flag": False},
    ]  # fmt: skip
    catalog = build(v1)
    assert [m.column for m in catalog.custom()] == ["colour"]
    assert catalog.to_row_values({"abc": 1}) == {"colour": "Red", "colour_id": 1}


# --- round trip: readable row -> API keys -> readable row ---------------------------

names = st.text(min_size=1, max_size=80)
TYPES = ["varchar", "double", "monetary", "enum", "set", "daterange", "user", "address", "date"]


def _value(field_type: str, draw: st.DrawFn) -> Any:
    if field_type == "varchar":
        return draw(st.text(max_size=20))
    if field_type == "double":
        return draw(st.floats(allow_nan=False, allow_infinity=False))
    if field_type == "monetary":
        return {
            "value": draw(st.floats(-1e9, 1e9)),
            "currency": draw(st.sampled_from(["EUR", "USD"])),
        }
    if field_type == "enum":
        return draw(st.sampled_from([11, 12]))
    if field_type == "set":
        return draw(st.lists(st.sampled_from([11, 12]), min_size=1, max_size=2, unique=True))
    if field_type == "daterange":
        return {"value": "2024-01-01", "until": "2024-02-01"}
    if field_type == "user":
        return draw(st.integers(1, 10**9))
    if field_type == "address":
        return {"value": draw(st.text(max_size=20)), "country": "Estonia"}
    return "2024-03-04"


@st.composite
def catalogs_and_values(draw: st.DrawFn) -> tuple[FieldCatalog, dict[str, Any]]:
    defs, values = [], {}
    for i, name in enumerate(draw(st.lists(names, min_size=1, max_size=8))):
        field_type = draw(st.sampled_from(TYPES))
        fdef = field_def(name, field_type) | {"field_code": f"{i:040x}"}
        defs.append(fdef)
        values[fdef["field_code"]] = _value(field_type, draw)
    return build(defs), values


def _api_equal(catalog: FieldCatalog, key: str, sent: Any, got: Any) -> bool:
    mapping = catalog.resolve(key)
    assert mapping is not None
    if mapping.field_type == "address":  # parts left out come back as nulls
        return {k: v for k, v in got.items() if v is not None} == {
            k: v for k, v in sent.items() if v is not None
        }
    return bool(got == sent)


@given(catalogs_and_values())
def test_round_trip_readable_columns_to_keys_and_back(
    case: tuple[FieldCatalog, dict[str, Any]],
) -> None:
    catalog, api_values = case
    row = catalog.to_row_values(api_values)
    back = catalog.from_names(row)
    assert set(back) == set(api_values)
    for key, sent in api_values.items():
        assert _api_equal(catalog, key, sent, back[key]), (key, sent, back[key])
    assert catalog.to_row_values(back) == row
    for mapping in catalog.custom():  # every column and key resolves to its own field
        assert catalog.resolve(mapping.key) is mapping
        assert all(catalog.resolve(c) is mapping for c in mapping.column_names)
