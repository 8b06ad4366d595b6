"""Sync state: timestamps, monotone capped bookmarks, backfill partitions, versioned JSON."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta, timezone

import pytest
from hypothesis import given
from hypothesis import strategies as st

from pdsync.errors import StateError
from pdsync.sync.state import (
    Backfill,
    Partition,
    RunStats,
    StreamState,
    SyncState,
    format_instant,
    parse_instant,
)

EPOCH = datetime(2020, 1, 1, tzinfo=timezone.utc)
instants = st.integers(0, 10**8).map(lambda s: format_instant(EPOCH + timedelta(seconds=s)))


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("2024-05-01T12:00:00Z", "2024-05-01T12:00:00Z"),
        ("2024-05-01 12:00:00", "2024-05-01T12:00:00Z"),  # Pipedrive v1: UTC without offset
        ("2024-05-01T14:00:00+02:00", "2024-05-01T12:00:00Z"),
        ("2024-05-01T12:00:00.999Z", "2024-05-01T12:00:00Z"),  # floored: never skips a row
    ],
)
def test_instants_are_normalised(text: str, expected: str) -> None:
    assert format_instant(text) == expected


def test_bad_instant_is_a_state_error() -> None:
    with pytest.raises(StateError, match="Not a timestamp"):
        parse_instant("yesterday")


def test_bookmark_is_capped_at_the_signpost() -> None:
    state = StreamState("deals").advance("2030-01-01T00:00:00Z", signpost="2024-06-01T00:00:00Z")
    assert state.bookmark == "2024-06-01T00:00:00Z"
    assert state.signpost == "2024-06-01T00:00:00Z"
    assert state.advance(None, "2025-01-01T00:00:00Z") is state


@given(steps=st.lists(st.tuples(instants, instants), max_size=30))
def test_bookmark_is_monotone(steps: list[tuple[str, str]]) -> None:
    state = StreamState("deals")
    for seen, signpost in steps:
        before = state.bookmark
        state = state.advance(seen, signpost)
        assert state.bookmark is not None
        if before is not None:
            assert parse_instant(state.bookmark) >= parse_instant(before)
        capped = min(parse_instant(seen), parse_instant(signpost))
        assert parse_instant(state.bookmark) >= capped
        assert before is None or parse_instant(state.bookmark) <= max(capped, parse_instant(before))


@given(start=instants, span=st.integers(0, 10**7), parts=st.integers(1, 16))
def test_backfill_partitions_tile_the_range(start: str, span: int, parts: int) -> None:
    signpost = format_instant(parse_instant(start) + timedelta(seconds=span))
    plan = Backfill.plan(start, signpost, parts)
    assert plan.signpost == signpost
    assert plan.partitions[0].start == start and plan.partitions[-1].end == signpost
    for left, right in zip(plan.partitions, plan.partitions[1:], strict=False):
        assert left.end == right.start
    assert len(plan.partitions) <= parts


def test_backfill_resume_and_finish() -> None:
    plan = Backfill.plan("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 2)
    first = plan.partitions[0].advanced(seen="2021-03-01T10:00:00Z", rows=500, next_page="c2")
    plan = plan.with_partition(0, first)
    assert plan.pending == (0, 1) and not plan.done
    assert first.resume_from() == "2021-03-01T10:00:00Z"
    assert plan.partitions[1].resume_from() == plan.partitions[1].start
    older = first.advanced(seen="2020-02-01T00:00:00Z", rows=10, next_page=None)
    assert older.last_seen == "2021-03-01T10:00:00Z" and older.done and older.rows == 510
    plan = plan.with_partition(0, older).with_partition(1, replace_done(plan.partitions[1]))
    state = StreamState("deals", backfill=plan).finish_backfill()
    assert state.backfill is None and state.bookmark == "2024-01-01T00:00:00Z"
    with pytest.raises(StateError):
        StreamState("deals").finish_backfill()


def replace_done(p: Partition) -> Partition:
    return p.advanced(seen=None, rows=0, next_page=None)


def test_json_round_trip_is_versioned() -> None:
    plan = Backfill.plan("2020-01-01T00:00:00Z", "2024-01-01T00:00:00Z", 3)
    state = StreamState(
        "deals",
        cursor_field="update_time",
        bookmark="2023-01-01T00:00:00Z",
        signpost="2024-01-01T00:00:00Z",
        backfill=plan,
        last_reconciled_at="2023-12-01T00:00:00Z",
        last_run=RunStats("2024-01-01T00:00:00Z", "2024-01-01T00:05:00Z", 5, 6, 7, 8),
        extra={"fields_hash": "abc"},
    )
    text = state.to_json()
    assert '"version":1' in text
    assert StreamState.from_json(text) == state


@pytest.mark.parametrize(
    ("text", "match"),
    [
        ("{not json", "not valid JSON"),
        ("[1, 2]", "unknown shape"),
        ('{"version": 99, "stream": "deals"}', "newer"),
        ('{"version": 1, "stream": "deals", "last_run": {"nope": 1}}', "malformed"),
    ],
)
def test_bad_state_json(text: str, match: str) -> None:
    with pytest.raises(StateError, match=match):
        StreamState.from_json(text)


def test_sync_state_defaults_and_updates() -> None:
    empty = SyncState()
    assert empty.get("deals") == StreamState("deals")
    updated = empty.updated(StreamState("deals", bookmark="2024-01-01T00:00:00Z"))
    assert updated.get("deals").bookmark == "2024-01-01T00:00:00Z"
    assert empty.streams == {}


def test_a_fresh_backfill_round_trips_and_counts_as_reconciled_when_done() -> None:
    done = Partition("1970-01-01T00:00:00Z", "2024-05-01T00:00:00Z", done=True)
    state = StreamState("activities", backfill=Backfill("2024-05-01T00:00:00Z", (done,), True))
    again = StreamState.from_json(state.to_json())
    assert again.backfill is not None and again.backfill.fresh
    assert again.finish_backfill().last_reconciled_at == "2024-05-01T00:00:00Z"
    plain = replace(state, backfill=Backfill("2024-05-01T00:00:00Z", (done,)))
    assert plain.finish_backfill().last_reconciled_at is None


@pytest.mark.parametrize(
    "text", ["2024-05-01T12:00:00Z", "2024-05-01 12:00:00", "2024-05-01T14:00:00+02:00"]
)
def test_format_instant_fast_path_agrees_with_parsing(text: str) -> None:
    assert format_instant(text) == "2024-05-01T12:00:00Z"


@pytest.mark.parametrize(
    "text", ["2024-13-01T00:00:00Z", "2024-05-01T24:00:00Z", "２０２４-05-01T00:00:00Z"]
)
def test_format_instant_still_refuses_what_is_not_an_instant(text: str) -> None:
    with pytest.raises(StateError):
        format_instant(text)
