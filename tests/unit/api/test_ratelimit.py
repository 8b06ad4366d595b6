from __future__ import annotations

import threading

import httpx
import pytest
from api_fakes import TOKEN, FakeClock, FakePipedrive, envelope, error

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor, Slot
from pdsync.config import Connection
from pdsync.errors import BlockedError, DailyBudgetExhaustedError, RateLimitError

CONN = Connection(api_token=TOKEN, base_url="http://pd.test")


class Sequence:
    """Answers from a script, then a default; counts calls and their clock times."""

    def __init__(self, clock: FakeClock, script: list[httpx.Response]) -> None:
        self.clock = clock
        self.script = script
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.times.append(self.clock())
        if self.script:
            return self.script.pop(0)
        return envelope({"id": 1})


def client_for(
    handler: Sequence | FakePipedrive, clock: FakeClock, **kw: object
) -> PipedriveClient:
    transport = (
        handler.transport() if isinstance(handler, FakePipedrive) else httpx.MockTransport(handler)
    )
    return PipedriveClient(CONN, transport=transport, sleep=clock.sleep, clock=clock, **kw)  # type: ignore[arg-type]


def test_burst_429_waits_retry_after_with_jitter_then_succeeds() -> None:
    clock = FakeClock()
    handler = Sequence(clock, [error(429, "Too many requests", {"retry-after": "3"})])
    waits: list[tuple[float, str]] = []
    with client_for(handler, clock, on_wait=lambda s, r: waits.append((s, r))) as client:
        assert client.get("deals/1")["data"] == {"id": 1}
    assert len(handler.times) == 2
    gap = handler.times[1] - handler.times[0]
    assert 3.0 <= gap <= 3.0 + 0.4  # Retry-After plus at most 10 % (>= 0.1 s) of jitter
    assert waits and waits[0][1] == "rate limit window"
    assert client.stats.retries == 1


def test_burst_429_is_retried_even_for_post_because_it_was_not_processed() -> None:
    clock = FakeClock()
    handler = Sequence(clock, [error(429, "Too many requests", {"retry-after": "1"})])
    with client_for(handler, clock) as client:
        client.post("deals", json={"title": "x"})
    assert len(handler.times) == 2


def test_daily_exhaustion_raises_with_reset_time_and_never_retries() -> None:
    clock = FakeClock()
    headers = {"x-daily-ratelimit-token-remaining": "0", "retry-after": "7200"}
    handler = Sequence(clock, [error(429, "Daily limit reached", headers)])
    with client_for(handler, clock) as client:
        with pytest.raises(DailyBudgetExhaustedError) as info:
            client.get("deals")
        assert info.value.resets_in == 7200
        assert "2 h 00 min" in str(info.value)
        assert info.value.exit_code == 6
        # Every later call fails fast, without another request.
        with pytest.raises(DailyBudgetExhaustedError):
            client.get("persons")
    assert len(handler.times) == 1
    assert clock.slept == []


def test_daily_exhaustion_recognised_from_the_body() -> None:
    clock = FakeClock()
    handler = Sequence(clock, [error(429, "You have reached your daily API token limit")])
    with client_for(handler, clock) as client, pytest.raises(DailyBudgetExhaustedError):
        client.get("deals")


def test_cloudflare_403_page_is_blocked_error() -> None:
    clock = FakeClock()
    page = httpx.Response(
        403,
        text="<html><title>Attention Required! | Cloudflare</title></html>",
        headers={"content-type": "text/html", "cf-ray": "8a1b"},
    )
    with client_for(Sequence(clock, [page]), clock) as client, pytest.raises(BlockedError) as info:
        client.get("deals")
    assert "Cloudflare" in info.value.message and info.value.exit_code == 6


def test_too_many_429s_give_up_with_rate_limit_error() -> None:
    clock = FakeClock()
    script = [error(429, "Too many", {"retry-after": "1"}) for _ in range(3)]
    client = client_for(Sequence(clock, script), clock, max_retries=2)
    with client, pytest.raises(RateLimitError):
        client.get("deals")


def test_remaining_zero_pauses_before_the_next_call() -> None:
    clock = FakeClock()
    exhausted = envelope(
        {"id": 1}, headers={"x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"}
    )
    handler = Sequence(clock, [exhausted])
    with client_for(handler, clock) as client:
        client.get("deals/1")
        client.get("deals/2")
    assert handler.times[1] - handler.times[0] >= 2.0


def test_proactive_throttling_across_threads_never_triggers_a_429() -> None:
    clock = FakeClock()
    fake = FakePipedrive(clock=clock, burst_limit=10)
    governor = RateGovernor(clock=clock, burst_limit=10)
    errors: list[BaseException] = []

    def worker() -> None:
        try:
            with PipedriveClient(
                CONN,
                transport=fake.transport(),
                governor=governor,
                sleep=clock.sleep,
                clock=clock,
                max_retries=0,
            ) as client:
                for _ in range(15):
                    client.get("users/me", version="v1")
        except BaseException as exc:  # collected and asserted below
            errors.append(exc)

    threads = [threading.Thread(target=worker) for _ in range(4)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    assert errors == []
    assert fake.burst_429s == 0
    assert len(fake.requests) == 60
    # 60 requests at 10 per 2 s need at least 10 s of (fake) time.
    assert clock.now - 1000.0 >= 10.0


def test_search_endpoints_have_their_own_limit() -> None:
    clock = FakeClock()
    governor = RateGovernor(clock=clock, burst_limit=100, search_limit=10)
    for _ in range(10):
        slot = governor.try_acquire(search=True)
        assert isinstance(slot, Slot)
        governor.release(slot)
    assert isinstance(governor.try_acquire(search=True), float)
    assert isinstance(governor.try_acquire(search=False), Slot)


def test_a_429_blocks_every_thread_sharing_the_governor() -> None:
    clock = FakeClock()
    governor = RateGovernor(clock=clock, rng=lambda: 0.0)
    governor.block_for(5.0)
    wait = governor.try_acquire()
    assert isinstance(wait, float) and wait == pytest.approx(5.0)


def test_for_token_shares_one_governor_and_hides_the_token() -> None:
    first = RateGovernor.for_token("secret-token-for-registry")
    assert RateGovernor.for_token("secret-token-for-registry") is first
    assert RateGovernor.for_token("another-token-123") is not first
    assert "secret-token-for-registry" not in repr(first)
    assert all("secret" not in key for key in RateGovernor._registry)


def test_headers_teach_the_window_and_daily_budget() -> None:
    clock = FakeClock()
    governor = RateGovernor(clock=clock)
    governor.observe(
        {
            "x-ratelimit-limit": "40",
            "x-ratelimit-remaining": "39",
            "x-daily-ratelimit-token-limit": "60000",
            "x-daily-ratelimit-token-remaining": "59980",
        }
    )
    snap = governor.snapshot()
    assert governor.burst_limit == 40
    assert (snap.burst_remaining, snap.daily_limit, snap.daily_remaining) == (39, 60000, 59980)


def test_daily_exhaustion_expires_after_the_reset() -> None:
    clock = FakeClock()
    governor = RateGovernor(clock=clock)
    governor.mark_daily_exhausted(DailyBudgetExhaustedError("spent", resets_in=60))
    with pytest.raises(DailyBudgetExhaustedError):
        governor.try_acquire()
    clock.sleep(61)
    assert isinstance(governor.try_acquire(), Slot)


def test_one_request_at_a_time_until_the_first_response_is_observed() -> None:
    clock = FakeClock()
    governor = RateGovernor(clock=clock)
    first = governor.try_acquire()
    assert isinstance(first, Slot)
    # Another process may have filled the window: no second request while the first
    # is in flight and nothing is known yet.
    assert governor.try_acquire() == pytest.approx(0.05)
    governor.release(first)
    governor.observe({"x-ratelimit-limit": "40", "x-ratelimit-remaining": "30"})
    # Once a response has been read, the window's own accounting takes over.
    slots = [governor.try_acquire() for _ in range(5)]
    assert all(isinstance(s, Slot) for s in slots)


def test_remaining_zero_explained_by_our_own_requests_waits_only_for_the_window() -> None:
    """A full window of our own requests: the next call goes when the oldest leaves it,
    not after the (whole-second, rounded-up) reset header."""
    clock = FakeClock()
    fake = FakePipedrive(clock=clock, burst_limit=10)  # always says reset=2
    governor = RateGovernor(clock=clock, burst_limit=10)
    with client_for(fake, clock, governor=governor) as client:
        client.get("users/me", version="v1")
        clock.sleep(1.5)
        for _ in range(9):
            client.get("users/me", version="v1")  # the last one answers remaining=0
        sent = clock()
        client.get("users/me", version="v1")
    assert fake.burst_429s == 0
    assert clock() - sent == pytest.approx(0.5)


def test_remaining_zero_from_another_process_pauses_until_the_reset() -> None:
    clock = FakeClock()
    governor = RateGovernor(clock=clock, burst_limit=10)
    slot = governor.try_acquire()
    assert isinstance(slot, Slot)
    governor.release(slot)
    headers = {"x-ratelimit-limit": "10", "x-ratelimit-remaining": "0", "x-ratelimit-reset": "2"}
    governor.observe(headers, slot=slot)  # one of ours in the window, yet it is full
    assert governor.try_acquire() == pytest.approx(2.0)
