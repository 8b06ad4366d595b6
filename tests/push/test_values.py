"""Pure conversions and input reading, without an API."""

from __future__ import annotations

from pathlib import Path

import pytest

from pdsync.errors import ConfigError
from pdsync.push import read_rows
from pdsync.push import values as v
from pdsync.push.payload import same
from pdsync.push.values import RowError


@pytest.mark.parametrize(
    ("cell", "expected"),
    [
        ("2024-12-31", "2024-12-31"),
        ("2024/12/31", "2024-12-31"),
        ("2024-12-31T23:10:00Z", "2024-12-31"),
        ("31.12.2024", "2024-12-31"),
        ("12/31/2024", "2024-12-31"),
        ("31/12/2024", "2024-12-31"),
        ("31 Dec 2024", "2024-12-31"),
        ("December 31, 2024", "2024-12-31"),
        ("5.1.24", "2024-01-05"),
    ],
)
def test_dates_in_common_formats(cell: str, expected: str) -> None:
    assert v.to_date(cell) == expected


def test_ambiguous_date_needs_an_order() -> None:
    with pytest.raises(RowError, match="ambiguous"):
        v.to_date("01/02/2024")
    assert v.to_date("01/02/2024", "dmy") == "2024-02-01"
    assert v.to_date("01/02/2024", "mdy") == "2024-01-02"
    with pytest.raises(RowError, match="not a real date"):
        v.to_date("2024-02-30")


@pytest.mark.parametrize(
    ("cell", "expected"),
    [("1200", 1200), ("1,200.50", 1200.5), ("1.200,50", 1200.5), ("1 200", 1200), ("0,5", 0.5)],
)
def test_numbers_as_written_in_most_locales(cell: str, expected: float) -> None:
    assert v.to_number(cell) == expected


def test_money() -> None:
    assert v.to_money("1200 EUR") == (1200, "EUR")
    assert v.to_money("usd 99.5") == (99.5, "USD")
    assert v.to_money("€1,200") == (1200, "EUR")
    assert v.to_money("10", "gbp") == (10, "GBP")
    with pytest.raises(RowError, match="says EUR but the currency column says USD"):
        v.to_money("10 EUR", "USD")


def test_booleans_and_rejects() -> None:
    assert [v.to_bool(x) for x in ("yes", "No", "1", "0", "TRUE", True)] == [
        True,
        False,
        True,
        False,
        True,
        True,
    ]
    with pytest.raises(RowError, match="not a boolean"):
        v.to_bool("maybe")


def test_options_and_sets() -> None:
    options = [(1, "Gold"), (2, "Silver, plated"), (3, "Bronze")]
    assert v.to_option("gold", options, "Tier") == 1
    assert v.to_option("3", options, "Tier") == 3
    assert v.to_options("Silver, plated", options, "Tier") == [2]
    assert v.to_options("Gold; Bronze; gold", options, "Tier") == [1, 3]
    with pytest.raises(RowError, match="allowed: Gold, Silver, plated, Bronze"):
        v.to_option("Platinum", options, "Tier")


def test_emails_phones_times_visibility() -> None:
    assert [e["value"] for e in v.to_emails("a@x.io, b@y.io")] == ["a@x.io", "b@y.io"]
    with pytest.raises(RowError, match="not an email"):
        v.to_emails("nope")
    assert v.to_phones("+1 555 0100 | (030) 123")[1]["value"] == "(030) 123"
    assert v.to_time("9pm") == "21:00:00" and v.to_time("07:05") == "07:05:00"
    assert v.to_visibility("Entire company") == 7
    assert v.to_range("09:00 - 17:00", None, v.to_time) == ("09:00:00", "17:00:00")


def test_same_compares_like_pipedrive_stores() -> None:
    assert same(1200, 1200.0) and same("2024-01-01", "2024-01-01T00:00:00Z")
    assert same([{"value": "A@x.io"}], [{"value": "a@x.io"}, {"value": "b@x.io"}])
    assert not same([{"value": "c@x.io"}], [{"value": "a@x.io"}])
    assert same({"value": 5, "currency": "EUR"}, {"value": 5.0, "currency": "EUR"})
    assert same([3, 1], [1, 3]) and not same("x", None)


def test_read_csv_jsonl_parquet(tmp_path: Path) -> None:
    (tmp_path / "a.csv").write_text("\ufeffname,age\nAnn,3\n\nBob,4\n", encoding="utf-8")
    assert [r.values for r in read_rows(str(tmp_path / "a.csv"))] == [
        {"name": "Ann", "age": "3"},
        {"name": "Bob", "age": "4"},
    ]
    (tmp_path / "a.jsonl").write_text('{"name": "Ann"}\n\n[1]\n', encoding="utf-8")
    rows = list(read_rows(str(tmp_path / "a.jsonl")))
    assert rows[0].values == {"name": "Ann"} and "__invalid__" in rows[1].values
    pq = pytest.importorskip("pyarrow.parquet")
    import pyarrow as pa

    pq.write_table(pa.table({"name": ["Ann", "Bob"], "n": [1, None]}), tmp_path / "a.parquet")
    assert [r.values for r in read_rows(str(tmp_path / "a.parquet"))][1] == {
        "name": "Bob",
        "n": None,
    }


def test_bad_inputs_are_config_errors(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist"):
        list(read_rows(str(tmp_path / "missing.csv")))
    (tmp_path / "dup.csv").write_text("a,a\n1,2\n", encoding="utf-8")
    with pytest.raises(ConfigError, match="twice"):
        list(read_rows(str(tmp_path / "dup.csv")))
    with pytest.raises(ConfigError, match="Cannot tell the format"):
        list(read_rows(str(tmp_path / "x.xlsx")))
