"""A sync meets text that is not valid Unicode: it stores it repaired, counts it, warns."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sync_helpers import rows, sync

from pdsync.api.client import PipedriveClient
from pdsync.sync.report import format_report

BAD_NAME = "Ann \ud800 \x00"  # what JSON's "\ud800" and "\u0000" escapes decode to


@pytest.fixture
def bad_client(client: PipedriveClient, monkeypatch: pytest.MonkeyPatch) -> PipedriveClient:
    """Answers as Pipedrive would if persons had such names: the first person of each page."""
    real_get = client.get

    def get(path: str, **kwargs: Any) -> dict[str, Any]:
        body = real_get(path, **kwargs)
        if path == "persons" and body.get("data"):
            body["data"][0]["name"] = BAD_NAME
            body["data"][0]["emails"] = [{"value": "a\udfff@example.com", "primary": True}]
        return body

    monkeypatch.setattr(client, "get", get)
    return client


def test_bad_text_is_stored_repaired_counted_and_reported(
    bad_client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "text.db"
    report = sync(bad_client, db, ["persons", "deals"])

    persons = report.stream("persons")
    assert persons.rows == rows(db, "SELECT COUNT(*) FROM persons")[0][0]  # nothing dropped
    repaired = rows(db, "SELECT COUNT(*) FROM persons WHERE name = ?", ("Ann \ufffd \ufffd",))
    assert repaired == [(persons.pages,)]
    assert persons.repaired_text == 3 * persons.pages  # name, emails, primary_email
    assert persons.repaired_columns == ("emails", "name", "primary_email")
    assert report.stream("deals").repaired_text == 0
    text = format_report(report)
    assert "Warning: persons: " in text and "U+FFFD" in text and "deals:" not in text
