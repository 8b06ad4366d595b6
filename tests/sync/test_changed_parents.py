"""Children only for changed parents, archived deals, and honest counts for full reads."""

from __future__ import annotations

from pathlib import Path

from sync_helpers import rows, sync

from pdsync.api.client import PipedriveClient

STREAMS = ["deals", "archived_deals", "deal_products", "deal_followers", "pipelines"]


def deals_with_products(client: PipedriveClient, count: int) -> list[int]:
    params = {"limit": 100, "sort_by": "id", "include_fields": "products_count"}
    deals = client.get("deals", params=params)["data"]
    return [d["id"] for d in deals if (d.get("products_count") or 0) > 0][:count]


def test_children_are_read_only_for_changed_parents(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "children.db"
    first = sync(client, db, STREAMS)
    assert (
        first.stream("deal_products").rows == rows(db, "SELECT COUNT(*) FROM deal_products")[0][0]
    )
    followed = rows(
        db, "SELECT COUNT(*) FROM deals WHERE followers_count > 0 AND _pdsync_deleted_at IS NULL"
    )[0][0]
    # A per-parent endpoint is called only for parents whose counter is not 0.
    assert first.stream("deal_followers").requests == followed

    edited, deleted = deals_with_products(client, 3)[:2], deals_with_products(client, 3)[2]
    for deal_id in edited:
        client.patch(f"deals/{deal_id}", json={"title": f"edited {deal_id}"})
    client.delete(f"deals/{deleted}")
    second = sync(client, db, STREAMS)

    products = second.stream("deal_products")
    assert products.mode == "incremental"
    expected = rows(
        db, f"SELECT COUNT(*) FROM deal_products WHERE deal_id IN ({edited[0]}, {edited[1]})"
    )[0][0]
    assert products.rows == expected and products.requests == 1  # one batch call, 2 deals
    live_of_deleted = rows(
        db,
        f"SELECT COUNT(*) FROM deal_products WHERE deal_id = {deleted} "
        "AND _pdsync_deleted_at IS NULL",
    )[0][0]
    assert live_of_deleted == 0 and products.deleted > 0  # children go with their parent
    assert second.stream("deal_followers").requests <= 2  # only the edited deals, if followed

    third = sync(client, db, STREAMS)
    assert third.stream("deal_products").rows == 0 and third.stream("deal_products").requests == 0


def test_an_archived_deal_is_marked_in_deals(client: PipedriveClient, tmp_path: Path) -> None:
    db = tmp_path / "archive.db"
    sync(client, db, ["deals", "archived_deals"])
    deal_id = client.get("deals", params={"limit": 1, "sort_by": "id"})["data"][0]["id"]
    client.patch(f"deals/{deal_id}", json={"is_archived": True})
    report = sync(client, db, ["deals", "archived_deals"])
    assert report.stream("archived_deals").inserted == 1
    flag, archived_at, deleted_at = rows(
        db,
        "SELECT is_archived, archive_time, _pdsync_deleted_at FROM deals WHERE id = ?",
        [deal_id],
    )[0]
    assert flag == 1 and archived_at is not None and deleted_at is None
    assert rows(db, "SELECT COUNT(*) FROM archived_deals WHERE id = ?", [deal_id])[0][0] == 1
    again = sync(client, db, ["deals", "archived_deals"])
    assert again.stream("deals").updated == 0  # marked once, not on every run


def test_full_refresh_counts_against_the_live_table(
    client: PipedriveClient, tmp_path: Path
) -> None:
    db = tmp_path / "refresh.db"
    first = sync(client, db, ["stages"])
    total = first.stream("stages").inserted
    assert total > 0
    second = sync(client, db, ["stages"])
    assert (second.stream("stages").inserted, second.stream("stages").updated) == (0, 0)
    assert second.stream("stages").unchanged == total
    stage = client.get("stages")["data"][0]
    client.patch(f"stages/{stage['id']}", json={"name": "Renamed stage"})
    third = sync(client, db, ["stages"])
    counts = third.stream("stages")
    assert (counts.inserted, counts.updated, counts.unchanged) == (0, 1, total - 1)
