"""`pdsync demo` end to end, on a small account."""

from __future__ import annotations

from pathlib import Path

from pdsync.demo import run_demo


def test_demo_syncs_changes_and_queries(tmp_path: Path) -> None:
    lines: list[str] = []
    result = run_demo(tmp_path / "demo.db", deals=60, say=lines.append)
    deals = result.second.stream("deals")
    assert deals.updated == 5 and deals.deleted == 3
    assert result.second.stream("persons").deleted == 2
    assert result.first.stream("deals").inserted > 40
    assert result.query_columns[:2] == ["stage", "deals"]
    assert sum(row[-1] for row in result.query_rows) == 3  # deleted deals, kept and marked
    assert sum(row[3] for row in result.query_rows) == 1  # the new custom field, by its name
    text = "\n".join(lines)
    assert "Full sync" in text and "Incremental sync" in text and "requests" in text
