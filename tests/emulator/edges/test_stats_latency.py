from __future__ import annotations

from edge_fixtures import Harness, MakeHarness

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.latency import Latency


def test_stats_count_api_calls_by_operation_and_reset(harness: Harness) -> None:
    with harness.client() as client:
        client.get("/api/v2/deals")
        client.get("/api/v2/deals/1")
        client.get("/api/v2/deals/2")
        client.get("/v1/deals")
        client.get("/api/v2/deals", headers={"x-api-token": "bad-token-000000"})
        stats = client.get("/_emulator/stats").json()
        assert client.post("/_emulator/stats/reset").json() == {"success": True}
        after = client.get("/_emulator/stats").json()
    assert stats["total_requests"] == 5
    assert stats["requests_by_operation"] == {"getDeal": 2, "getDeals": 3}
    assert stats["tokens_charged"] == 10 + 1 + 1 + 20
    assert stats["responses_401"] == 1
    assert stats["responses_by_status"] == {"200": 4, "401": 1}
    assert stats["daily_tokens_remaining"] == 300_000 - 32
    assert after["total_requests"] == 0 and after["requests_by_operation"] == {}
    assert after["daily_tokens_remaining"] == 300_000 - 32  # the budget is not the stats


def test_latency_is_a_base_plus_a_cost_per_record(make_harness: MakeHarness) -> None:
    harness = make_harness(latency_ms=50, latency_per_record_ms=0.1)
    with harness.client() as client:
        client.get("/api/v2/deals", params={"limit": 500})
        client.get("/api/v2/deals/1")
        client.get("/_emulator/stats")
    assert harness.sleeps == [0.1, 0.05]  # 50 + 500 × 0.1 ms, then 50 ms; control paths free


def test_no_latency_by_default() -> None:
    slept: list[float] = []
    latency = Latency(EmulatorConfig(), slept.append)
    assert latency.wait(500) == 0.0 and slept == []
