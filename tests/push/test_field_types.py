"""Every custom field type is converted from what people write to what Pipedrive stores."""

from __future__ import annotations

from pathlib import Path

from .conftest import Account, Push, write_jsonl

# Column (readable field name) -> cell as a person would write it.
CELLS = {
    "name": "Types Person",
    "Account code": "T-100",  # varchar
    "Competitor": "Globex",  # varchar_auto
    "Internal notes": "line one\nline two",  # text
    "Seats requested": "1,250.5",  # double, thousands separator
    "Annual budget": "12 000,50 EUR",  # monetary with currency in the cell
    "Renewal date": "31.12.2025",  # date, day-first with dots
    "Trial period": "2025-01-01..2025-02-15",  # daterange
    "Preferred call time": "9:30 pm",  # time
    "Office hours": "09:00 - 17:30",  # timerange
    "Products of interest": "CRM; api",  # set, labels in any case
    "Lead source": "referral",  # enum, label in any case
    "Account manager": "ada.hoffmann@acme.example",  # user by email
    "Partner organization": "3",  # org by id
    "Technical contact": "2",  # people by id
    "Support hotline": "+44 20 7946 0000",  # phone
    "Billing address": "1 Main Street, Springfield",  # address
}


def _options(account: Account, name: str) -> dict[str, int]:
    for field in account.get("personFields"):
        if field["field_name"] == name:
            return {o["label"]: o["id"] for o in field["options"] or []}
    raise KeyError(name)


def test_every_custom_field_type_round_trips(account: Account, push: Push) -> None:
    result, items = push("persons", [CELLS])
    assert result.applied == 1, items[0].message
    person = account.get(f"persons/{items[0].record_id}")
    custom = person["custom_fields"]

    def value(name: str) -> object:
        return custom[account.field_code("person", name)]

    assert value("Account code") == "T-100"
    assert value("Competitor") == "Globex"
    assert value("Internal notes") == "line one\nline two"
    assert value("Seats requested") == 1250.5
    assert value("Annual budget") == {"value": 12000.5, "currency": "EUR"}
    assert value("Renewal date") == "2025-12-31"
    assert value("Trial period") == {"value": "2025-01-01", "until": "2025-02-15"}
    assert value("Preferred call time")["value"] == "21:30:00"  # type: ignore[index]
    office = value("Office hours")
    assert (office["value"], office["until"]) == ("09:00:00", "17:30:00")  # type: ignore[index]
    products = _options(account, "Products of interest")
    assert sorted(value("Products of interest")) == sorted([products["CRM"], products["API"]])  # type: ignore[arg-type]
    assert value("Lead source") == _options(account, "Lead source")["Referral"]
    assert value("Account manager") == 1
    assert value("Partner organization") == 3
    assert value("Technical contact") == 2
    assert value("Support hotline") == "+44 20 7946 0000"
    assert value("Billing address")["value"] == "1 Main Street, Springfield"  # type: ignore[index]


def test_same_values_again_are_unchanged_for_every_type(account: Account, push: Push) -> None:
    _, created = push("persons", [CELLS])
    again = {"id": str(created[0].record_id), **CELLS}
    before = account.writes()
    _, items = push("persons", [again], mode="update")
    assert items[0].action == "skip", [c.name for c in items[0].changes]
    assert account.writes() == before


def test_monetary_from_amount_and_currency_columns(account: Account, push: Push) -> None:
    _, items = push(
        "persons",
        [{"name": "Money", "annual_budget": "1500", "annual_budget_currency": "usd"}],
    )
    person = account.get(f"persons/{items[0].record_id}")
    code = account.field_code("person", "Annual budget")
    assert person["custom_fields"][code] == {"value": 1500, "currency": "USD"}


def test_deal_system_fields_by_natural_key(account: Account, push: Push) -> None:
    pipeline = account.get("pipelines")[0]
    stage = next(s for s in account.get("stages") if s["pipeline_id"] == pipeline["id"])
    result, items = push(
        "deals",
        [
            {
                "title": "Natural keys",
                "value": "2 500 EUR",
                "owner": "ada.hoffmann@acme.example",
                "pipeline": pipeline["name"],
                "stage": stage["name"],
                "status": "Open",
                "expected_close_date": "Dec 31, 2025",
                "visible_to": "company",
            }
        ],
    )
    assert result.applied == 1, items[0].message
    deal = account.get(f"deals/{items[0].record_id}")
    assert (deal["value"], deal["currency"], deal["owner_id"]) == (2500, "EUR", 1)
    assert (deal["pipeline_id"], deal["stage_id"]) == (pipeline["id"], stage["id"])
    assert deal["expected_close_date"] == "2025-12-31" and deal["visible_to"] == 7


def test_jsonl_values_keep_their_json_types(account: Account, push: Push, tmp_path: Path) -> None:
    source = write_jsonl(
        tmp_path / "p.jsonl",
        [{"name": "Json", "Seats requested": 3, "Products of interest": ["CRM", "Billing"]}],
    )
    result, items = push("persons", source)
    assert result.applied == 1, items[0].message
    person = account.get(f"persons/{items[0].record_id}")
    assert person["custom_fields"][account.field_code("person", "Seats requested")] == 3
