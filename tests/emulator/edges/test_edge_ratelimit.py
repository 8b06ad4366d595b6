from __future__ import annotations

import threading

from edge_fixtures import Harness, MakeHarness

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.costs import CostTable
from pdsync.emulator.edge_clock import FakeClock
from pdsync.emulator.ratelimit import ABUSE_GRACE_CALLS, RateLimiter


def test_headers_after_one_call_match_the_documented_example(harness: Harness) -> None:
    with harness.client() as client:
        response = client.get("/api/v2/deals")
    headers = response.headers
    assert (headers["x-ratelimit-limit"], headers["x-ratelimit-remaining"]) == ("40", "39")
    assert headers["x-ratelimit-reset"] == "2"
    assert headers["x-daily-ratelimit-token-limit"] == str(30_000 * 2 * 5)
    assert headers["x-daily-ratelimit-token-remaining"] == str(300_000 - 10)
    assert "x-daily-requests-left" not in headers  # only on POST/PUT


def test_burst_429_then_cloudflare_403_for_calling_inside_the_window(harness: Harness) -> None:
    with harness.client() as client:
        for _ in range(40):
            assert client.get("/api/v2/deals/1").status_code == 200
        harness.clock.advance(0.5)
        limited = client.get("/api/v2/deals/1")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "2"
        assert limited.headers["x-ratelimit-remaining"] == "0"
        assert limited.json()["success"] is False and limited.json()["errorCode"] == 429
        # Calls a client already had in flight get the same 429 ...
        for _ in range(ABUSE_GRACE_CALLS):
            again = client.get("/api/v2/deals/1")
            assert again.status_code == 429 and again.headers["Retry-After"] == "2"
        # ... but a client that keeps calling is blocked.
        blocked = client.get("/api/v2/deals/1")
        assert blocked.status_code == 403
        assert blocked.headers["content-type"].startswith("text/html")
        assert "<title>Attention Required! | Cloudflare</title>" in blocked.text
        harness.clock.advance(1.6)  # the window that was full has passed
        assert client.get("/api/v2/deals/1").status_code == 200
        stats = client.get("/_emulator/stats").json()
    assert (stats["responses_429"], stats["responses_403"]) == (1 + ABUSE_GRACE_CALLS, 1)
    assert stats["tokens_charged"] == 41  # rejected calls cost nothing


def test_a_client_that_honours_retry_after_is_never_blocked(harness: Harness) -> None:
    with harness.client() as client:
        for _ in range(40):
            client.get("/api/v2/deals/1")
        limited = client.get("/api/v2/deals/1")
        harness.clock.advance(float(limited.headers["Retry-After"]))
        assert client.get("/api/v2/deals/1").status_code == 200


def test_search_has_its_own_limit_of_ten(harness: Harness) -> None:
    with harness.client() as client:
        codes = [
            client.get("/api/v2/persons/search", params={"term": "ab"}).status_code
            for _ in range(11)
        ]
        other = client.get("/api/v2/deals/1")
    assert codes == [200] * 10 + [429]
    assert other.status_code == 200  # the general window still has room


def test_plan_sets_the_burst_limit(make_harness: MakeHarness) -> None:
    harness = make_harness(plan="ultimate")
    with harness.client() as client:
        assert client.get("/api/v2/deals/1").headers["x-ratelimit-limit"] == "120"


def test_daily_budget_exhausted_means_429_until_midnight_utc(make_harness: MakeHarness) -> None:
    harness = make_harness(daily_budget=25)
    harness.clock.advance(3600)  # 01:00 UTC
    with harness.client() as client:
        assert client.get("/api/v2/deals").status_code == 200  # 10
        assert client.get("/api/v2/deals").status_code == 200  # 20
        last = client.get("/api/v2/deals")  # 5 left: allowed, pool clamps at 0
        assert last.headers["x-daily-ratelimit-token-remaining"] == "0"
        exhausted = client.get("/api/v2/deals/1")
        assert exhausted.status_code == 429
        assert exhausted.headers["x-daily-ratelimit-token-remaining"] == "0"
        assert exhausted.headers["Retry-After"] == str(23 * 3600)
        harness.clock.advance(5)
        assert client.get("/api/v2/deals/1").status_code == 429  # no Cloudflare block
        harness.clock.advance(23 * 3600)
        assert client.get("/api/v2/deals/1").status_code == 200


def test_budget_reset_endpoint_refills_or_sets_the_pool(make_harness: MakeHarness) -> None:
    harness = make_harness()
    with harness.client() as client:
        assert client.post("/_emulator/budget/reset", json={"remaining": 3}).status_code == 200
        assert client.get("/api/v2/deals").status_code == 200
        assert client.get("/api/v2/deals").status_code == 429
        refill = client.post("/_emulator/budget/reset").json()
        assert refill["daily_tokens_remaining"] == 300_000
        assert client.get("/api/v2/deals").status_code == 200
        assert client.post("/_emulator/budget/reset", json={"remaining": "x"}).status_code == 400


def test_writes_report_daily_requests_left_for_api_tokens(harness: Harness) -> None:
    with harness.client() as client:
        first = client.post("/api/v2/deals", json={"title": "A"})
        second = client.post("/api/v2/deals", json={"title": "B"})
    assert first.headers["x-daily-requests-left"] == "9999"
    assert second.headers["x-daily-requests-left"] == "9998"


def test_rate_limits_off_means_no_limits_and_no_headers(make_harness: MakeHarness) -> None:
    harness = make_harness(rate_limits=False, daily_budget=1)
    with harness.client() as client:
        responses = [client.get("/api/v2/deals/1") for _ in range(100)]
        stats = client.get("/_emulator/stats").json()
    assert {r.status_code for r in responses} == {200}
    assert "x-ratelimit-limit" not in responses[0].headers
    assert stats["tokens_charged"] == 100  # still counted for benchmarks


def test_windows_are_per_token(make_harness: MakeHarness) -> None:
    harness = make_harness(extra_tokens={"other-token-123456": 2})
    with harness.client() as one, harness.client(token="other-token-123456") as two:
        for _ in range(40):
            one.get("/api/v2/deals/1")
        assert one.get("/api/v2/deals/1").status_code == 429
        assert two.get("/api/v2/deals/1").status_code == 200


def test_limits_reset_endpoint_clears_windows_and_blocks(harness: Harness) -> None:
    with harness.client() as client:
        for _ in range(41 + ABUSE_GRACE_CALLS):
            client.get("/api/v2/deals/1")
        assert client.get("/api/v2/deals/1").status_code == 403
        client.post("/_emulator/limits/reset")
        assert client.get("/api/v2/deals/1").status_code == 200


def test_concurrent_callers_never_exceed_the_window() -> None:
    clock = FakeClock()
    limiter = RateLimiter(EmulatorConfig(plan="lite"), clock)
    op = CostTable.load().lookup("GET", "/api/v2/deals")
    verdicts: list[str] = []
    lock = threading.Lock()

    def hammer() -> None:
        for _ in range(25):
            verdict = limiter.admit("token:x", "api_token", 1, "GET", op).verdict
            with lock:
                verdicts.append(verdict)

    threads = [threading.Thread(target=hammer) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert verdicts.count("ok") == 20  # lite: 20 per 2 s, exactly
    assert limiter.daily_remaining() == 30_000 * 5 - 20 * 10


def test_unknown_paths_are_charged_a_default_and_still_limited(harness: Harness) -> None:
    with harness.client() as client:
        response = client.get("/api/v2/nothing-here/5")
        stats = client.get("/_emulator/stats").json()
    assert response.status_code == 404
    assert "x-ratelimit-remaining" in response.headers
    assert stats["requests_by_operation"] == {"GET /api/v2/nothing-here/{id}": 1}
