"""``GET /api/v2/deals/products?deal_ids=``: every product of the deals, page by page.

The batch list once answered its first page with ``next_cursor: null`` whatever was
left, so a client asking for 100 busy deals lost the rest silently. Checked here against
each deal's own product list.
"""

from __future__ import annotations

from typing import Any

import httpx

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig


def test_batch_pages_follow_the_cursor_to_every_product() -> None:
    emulator = Emulator(EmulatorConfig(deals=300, seed=7, rate_limits=False))
    headers = {"x-api-token": emulator.config.token}
    with httpx.Client(
        transport=emulator.transport(), base_url="http://emulator", headers=headers
    ) as http:
        deals = http.get("/api/v2/deals", params={"limit": 100}).json()["data"]
        ids = [d["id"] for d in deals]
        truth: set[int] = set()
        for deal_id in ids:
            body = http.get(f"/api/v2/deals/{deal_id}/products", params={"limit": 500}).json()
            truth |= {row["id"] for row in body["data"] or []}
        assert len(truth) > 10
        got: list[dict[str, Any]] = []
        params: dict[str, Any] = {"deal_ids": ",".join(map(str, ids)), "limit": 7}
        pages = 0
        while True:
            body = http.get("/api/v2/deals/products", params=params).json()
            got += body["data"]
            pages += 1
            cursor = body["additional_data"]["next_cursor"]
            if not cursor:
                break
            params["cursor"] = cursor
    assert pages > 1
    assert sorted(r["id"] for r in got) == sorted(truth)
    assert [r["id"] for r in got] == sorted(r["id"] for r in got)  # sort_by=id asc
