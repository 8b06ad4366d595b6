"""Keys of id-less history items, and the first-read cost statement."""

from __future__ import annotations

from pdsync.catalog.columns import HASH_SOURCE, ITEM_SOURCE
from pdsync.catalog.registry import get_stream
from pdsync.sync.history import child_records, read_cost, with_content_keys

CHANGE = {
    "field_key": "stage_id",
    "old_value": "1",
    "new_value": "2",
    "time": "2026-01-01 10:00:00",
}


def test_content_keys_are_stable_and_tell_identical_items_apart() -> None:
    later = {**CHANGE, "old_value": "2", "new_value": "3"}
    first = with_content_keys([later, CHANGE, CHANGE], parent_id=7)
    keys = [r[HASH_SOURCE] for r in first]
    assert len(set(keys)) == 3  # two identical changes in one second stay two rows
    # A re-read with one more (newer) change keeps the old keys and adds one.
    newer = {**CHANGE, "old_value": "3", "new_value": "4"}
    again = [r[HASH_SOURCE] for r in with_content_keys([newer, later, CHANGE, CHANGE], 7)]
    assert set(keys) < set(again) and len(again) == 4
    # The same change under another parent is another row.
    assert with_content_keys([CHANGE], 8)[0][HASH_SOURCE] not in keys


def test_child_records_wrap_plain_values_and_key_only_keyed_streams() -> None:
    permitted = child_records(get_stream("deal_permitted_users"), [3, 5], 1)
    assert permitted == [{ITEM_SOURCE: 3}, {ITEM_SOURCE: 5}]
    changelog = child_records(get_stream("deal_changelog"), [CHANGE], 1)
    assert HASH_SOURCE in changelog[0]
    flow = child_records(get_stream("deal_flow"), [{"data": {"id": 4}}], 1)
    assert HASH_SOURCE not in flow[0]  # flow items have their own id


def test_read_cost_counts_calls_per_parent_or_per_batch() -> None:
    flow = read_cost(get_stream("deal_flow"), 20_000)
    assert (flow.calls, flow.tokens) == (20_000, 800_000)
    assert "20,000 parents" in flow.message(first=True) and "800,000 tokens" in flow.message(
        first=True
    )
    installments = read_cost(get_stream("deal_installments"), 20_001)
    assert installments.calls == 201 and installments.tokens == 2_010
