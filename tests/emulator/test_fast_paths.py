"""The emulator's speed-ups keep its answers: time formats, records without custom
fields, and the memo of generated deal products (served only while nothing was written)."""

from __future__ import annotations

import random
from collections.abc import Iterator
from datetime import datetime, timezone

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.timefmt import v1_time, v2_time


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=300, rate_limits=False))


@pytest.fixture
def client(emulator: Emulator) -> Iterator[httpx.Client]:
    headers = {"x-api-token": emulator.config.token}
    with httpx.Client(transport=emulator.transport(), base_url="http://e", headers=headers) as c:
        yield c


EDGES = [0.0, 1.0, 86399.9999994, 86399.9999996, 1_700_000_000.0000005, 1_700_000_000.9999995]


def test_time_formats_match_datetime_rounding() -> None:
    stamps = EDGES + [random.Random(7).uniform(1e9, 2e9) for _ in range(20_000)]
    for ts in stamps:
        moment = datetime.fromtimestamp(ts, tz=timezone.utc)
        assert v2_time(ts) == moment.strftime("%Y-%m-%dT%H:%M:%SZ"), ts
        assert v1_time(ts) == moment.strftime("%Y-%m-%d %H:%M:%S"), ts


def test_record_without_custom_fields_is_the_same_record(emulator: Emulator) -> None:
    generator = emulator.store.generator
    for entity in ("deal", "person", "organization", "product"):
        for i in (1, 2, emulator.store.counts.of(entity)):
            full = generator.make(entity, i)
            core = generator.make(entity, i, custom=False)
            assert "custom_fields" in full and "custom_fields" not in core
            assert {k: v for k, v in full.items() if k != "custom_fields"} == core


def deal_products(client: httpx.Client, *deal_ids: int) -> list[dict[str, object]]:
    params: dict[str, str | int] = {"deal_ids": ",".join(map(str, deal_ids)), "limit": 500}
    response = client.get("/api/v2/deals/products", params=params)
    response.raise_for_status()
    rows: list[dict[str, object]] = response.json()["data"]
    return rows


def deal_with_products(client: httpx.Client) -> int:
    for deal_id in range(1, 301):
        if deal_products(client, deal_id):
            return deal_id
    raise AssertionError("no generated deal has products")


def test_memoised_deal_products_follow_a_written_deal(client: httpx.Client) -> None:
    deal_id = deal_with_products(client)
    before = deal_products(client, deal_id)
    assert deal_products(client, deal_id) == before  # served from the memo: same answer
    currency = "GBP" if before[0]["currency"] != "GBP" else "USD"
    client.patch(f"/api/v2/deals/{deal_id}", json={"currency": currency}).raise_for_status()
    after = deal_products(client, deal_id)
    assert [r["currency"] for r in after] == [currency] * len(before)
    assert [r["id"] for r in after] == [r["id"] for r in before]


def test_memoised_product_follows_a_renamed_product(client: httpx.Client) -> None:
    deal_id = deal_with_products(client)
    product_id = deal_products(client, deal_id)[0]["product_id"]
    client.patch(f"/api/v2/products/{product_id}", json={"name": "Renamed"}).raise_for_status()
    assert deal_products(client, deal_id)[0]["name"] == "Renamed"


def test_changing_returned_children_does_not_change_the_memo(emulator: Emulator) -> None:
    relations = emulator.store.relations
    deal_id = next(i for i in range(1, 301) if relations.children("deal_product", "deal", i))
    first = relations.children("deal_product", "deal", deal_id)
    first[0]["quantity"] = -1
    assert relations.children("deal_product", "deal", deal_id)[0]["quantity"] != -1


def test_v1_lookup_serves_custom_fields_to_whoever_asks(emulator: Emulator) -> None:
    from pdsync.emulator.render_v1 import V1Renderer

    renderer = V1Renderer(emulator.store)
    ref = renderer.lookup("person", 5, custom=False)
    full = renderer.lookup("person", 5)
    assert ref is not None and "custom_fields" not in ref
    assert full is not None and "custom_fields" in full
    assert renderer.lookup("person", 5, custom=False) is full  # the full one serves refs too
