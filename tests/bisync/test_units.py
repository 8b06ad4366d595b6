"""Pure logic of bisync: collapsing the change log, deciding a field, reading policies."""

from __future__ import annotations

import pytest

from pdsync.bisync.capture import LoggedChange
from pdsync.bisync.changes import changed_columns, collapse
from pdsync.bisync.conflicts import decide, parse_policies, winner
from pdsync.bisync.db import same_cell
from pdsync.errors import ConfigError


def _log(
    seq: int, op: str, record: str = "1", old: dict[str, object] | None = None
) -> LoggedChange:
    return LoggedChange(seq, "deals", op, record, old, f"2026-01-01T00:00:0{seq}.000Z", None)


@pytest.mark.parametrize(
    ("ops", "expected"),
    [
        (["update", "update"], "update"),
        (["insert", "update"], "insert"),
        (["insert", "update", "delete"], "gone"),
        (["update", "delete"], "delete"),
        (["delete", "insert"], "update"),
    ],
)
def test_the_log_collapses_to_one_change_per_record(ops: list[str], expected: str) -> None:
    entries = [_log(i, op, old={"title": f"v{i}"}) for i, op in enumerate(ops, start=1)]
    [change] = collapse(entries)
    assert change.op == expected
    assert (change.first_seq, change.last_seq) == (1, len(ops))
    assert change.base == {"title": "v1"}  # the first snapshot: what both sides agreed on
    assert change.changed_at == entries[-1].changed_at


def test_records_keep_the_order_of_their_first_change() -> None:
    changes = collapse([_log(1, "update", "7"), _log(2, "update", "3"), _log(3, "update", "7")])
    assert [c.record_id for c in changes] == ["7", "3"]


def test_changed_columns_leave_out_pdsync_and_pipedrive_maintained_ones() -> None:
    base = {"id": 1, "title": "a", "value": 10, "update_time": "x", "_pdsync_synced_at": "y"}
    now = {"id": 1, "title": "b", "value": 10.0, "update_time": "z", "_pdsync_synced_at": "w"}
    assert changed_columns(base, now) == ["title"]


def test_cells_compare_across_drivers() -> None:
    assert same_cell(1, 1.0) and same_cell(None, None) and not same_cell(None, "")
    assert same_cell('[{"a": 1}]', [{"a": 1}]) and not same_cell("2", "3")


@pytest.mark.parametrize(
    ("local", "base", "remote", "expected"),
    [
        ("new", "old", "old", "push"),
        ("new", "old", "new", "keep"),
        ("new", "old", "theirs", "conflict"),
        (5, 4, 4.0, "push"),
    ],
)
def test_decide(local: object, base: object, remote: object, expected: str) -> None:
    assert decide(local, base, remote) == expected


def test_policies_per_stream_and_default() -> None:
    assert parse_policies(None) == ("pipedrive-wins", {})
    assert parse_policies("deals=manual,newest-wins") == ("newest-wins", {"deals": "manual"})
    with pytest.raises(ConfigError, match="database-wins"):
        parse_policies("persons=whoever")


def test_newest_wins_compares_instants() -> None:
    assert winner("newest-wins", "2026-01-01T10:00:00.500Z", "2026-01-01T10:00:00Z") == "local"
    assert winner("newest-wins", "2026-01-01T09:59:59+00:00", "2026-01-01T10:00:00Z") == "remote"
    assert winner("manual", "2026-01-01T10:00:00Z", None) is None
