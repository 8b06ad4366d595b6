"""Snapshots are incremental yet each reads as a whole account; pruning never breaks one."""

from __future__ import annotations

from datetime import datetime, timedelta, timezone

from pdsync.backup import Store, create_snapshot, load_state, prune
from pdsync.backup.capture import summary
from pdsync.backup.outcome import NOT_RESTORED, RESTORED
from pdsync.backup.prune import chosen_to_keep
from pdsync.backup.restore import STAGES
from pdsync.backup.restore_fields import FIELD_PATHS
from pdsync.backup.state import FIELDS_STREAM
from pdsync.catalog.registry import CATALOG

from .conftest import Account


def test_incremental_snapshots_read_whole_and_prune_keeps_them_whole(
    account: Account, store: Store
) -> None:
    client = account.client
    start = datetime(2026, 1, 1, 2, 0, tzinfo=timezone.utc)
    taken = []
    deals = [d["id"] for d in client.iter_items("deals", params={"limit": 10})][:3]
    for day in range(4):
        when = start + timedelta(days=day)
        if day:
            client.patch(f"deals/{deals[day - 1]}", json={"title": f"Day {day}"})
        manifest, _ = create_snapshot(client, store, account="acme", now=lambda w=when: w)
        taken.append(manifest)
    first, last = taken[0], taken[-1]
    assert [m.id for m in taken] == store.ids()
    # Later snapshots add one small delta to the stream that changed, nothing else.
    assert len(last.streams["deals"].segments) == len(first.streams["deals"].segments) + 3
    assert last.streams["persons"].segments == first.streams["persons"].segments
    growth = summary(last, store)["bytes"] - summary(first, store)["bytes"]
    assert 0 < growth < summary(first, store)["bytes"] * 0.05
    expected = load_state(store, last)
    assert expected["deals"][deals[2]]["title"] == "Day 3"
    assert load_state(store, taken[1])["deals"][deals[2]]["title"] != "Day 3"

    result = prune(store, keep_last=1, keep_daily=0)
    assert result.removed == [m.id for m in taken[:-1]] and result.objects_removed == 0
    assert load_state(store, store.load(store.resolve("latest"))) == expected  # still whole


def test_keep_rules() -> None:
    ids = ["20260101T010000Z", "20260101T230000Z", "20260102T120000Z", "20260103T080000Z"]
    assert chosen_to_keep(ids, 1, 0) == {"20260103T080000Z"}
    assert chosen_to_keep(ids, 0, 2) == {"20260103T080000Z", "20260102T120000Z"}
    assert chosen_to_keep(ids, 0, 5) == set(ids) - {"20260101T010000Z"}


def test_every_stream_is_restored_or_reported() -> None:
    """What restore writes and what it reports as not restored cover the catalog."""
    written = set(STAGES) | set(FIELD_PATHS) | {FIELDS_STREAM}
    assert written == RESTORED
    assert set(NOT_RESTORED) <= set(CATALOG) - written
