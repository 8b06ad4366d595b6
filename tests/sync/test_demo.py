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
    assert result.query_columns[:3] == ["pipeline", "stage", "deals"]
    pairs = [(row[0], row[1]) for row in result.query_rows]
    assert len(set(pairs)) == len(pairs)  # same-named stages of two pipelines stay apart
    # Deleted deals, kept and marked: the 3 of the demo and those deleted before its first
    # sync (Pipedrive lists them for 30 days; the first sync inserts them, marked).
    already = result.first.stream("deals").deleted
    assert already > 0
    assert sum(row[-1] for row in result.query_rows) == 3 + already
    assert sum(row[4] for row in result.query_rows) == 1  # the new custom field, by its name
    # Children: only the changed deals' products are read; the deleted deals' are marked.
    products = result.second.stream("deal_products")
    assert products.mode == "incremental"
    assert 0 < products.rows < result.first.stream("deal_products").rows / 4
    assert products.deleted > 0
    # Full refreshes count against the live table: nothing new, nothing changed.
    pipelines = result.second.stream("pipelines")
    assert (pipelines.inserted, pipelines.updated, pipelines.unchanged) == (0, 0, pipelines.rows)
    text = "\n".join(lines)
    assert "Full sync" in text and "Incremental sync" in text and "requests" in text
