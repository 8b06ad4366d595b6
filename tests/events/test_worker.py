"""The delivery loop with a fake clock: order per user, backoff, dead letters, replay."""

from __future__ import annotations

import random

import pytest

from pdsync.errors import (
    AuthError,
    DailyBudgetExhaustedError,
    NotFoundError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    TransportError,
)
from pdsync.events_dest.config import RetrySettings
from pdsync.events_dest.model import Event, parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.payloads import EventRejected
from pdsync.events_dest.worker import DeliveryWorker

from .conftest import FakeClock, RecordingDeliverer


def _track(user: str, mid: str) -> dict[str, object]:
    return {"type": "track", "userId": user, "event": "Clicked", "messageId": mid}


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@pytest.fixture
def worker(outbox: Outbox, deliverer: RecordingDeliverer, clock: FakeClock) -> DeliveryWorker:
    outbox.clock = clock
    retry = RetrySettings(max_attempts=3, backoff_base=2.0, backoff_max=60.0)
    return DeliveryWorker(
        outbox, deliverer, retry=retry, clock=clock, sleep=clock.sleep, rng=random.Random(7)
    )


def _queue(outbox: Outbox, *events: dict[str, object]) -> None:
    outbox.insert([parse_event(e) for e in events])


def test_a_retry_holds_back_that_users_later_events_only(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker, clock: FakeClock
) -> None:
    _queue(outbox, _track("ann", "a1"), _track("ann", "a2"), _track("bob", "b1"))
    deliverer.failures.append(ServerError("boom", status=503))
    assert worker.step().state == "retry"  # a1 fails
    assert worker.step().message_id == "b1"  # a2 must wait behind a1; bob goes on
    idle = worker.step()
    assert idle.state == "idle" and 1.0 <= idle.wait <= 2.0  # backoff base 2 s, jittered
    clock.sleep(idle.wait)
    assert [worker.step().message_id, worker.step().message_id] == ["a1", "a2"]
    assert [e.message_id for e in deliverer.delivered] == ["b1", "a1", "a2"]


def test_backoff_doubles_and_gives_up_into_a_dead_letter(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker, clock: FakeClock
) -> None:
    _queue(outbox, _track("ann", "a1"))
    deliverer.failures += [TransportError("refused")] * 3
    waits = []
    for _ in range(2):
        assert worker.step().state == "retry"
        waits.append(worker.step().wait)
        clock.sleep(waits[-1])
    assert waits[1] > waits[0]
    assert worker.step().state == "dead"
    [letter] = outbox.dead_letters()
    assert letter.message_id == "a1" and "gave up after 3 attempts" in letter.reason
    assert outbox.status().dead == 1


def test_rate_limit_waits_retry_after_without_counting(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker, clock: FakeClock
) -> None:
    _queue(outbox, _track("ann", "a1"))
    deliverer.failures += [RateLimitError("429", retry_after=1.5, status=429)] * 5
    for _ in range(5):
        assert worker.step().state == "retry"
        assert worker.step().wait == pytest.approx(1.5)
        clock.sleep(1.5)
    assert worker.step().state == "delivered"  # 5 × 429 > max_attempts, yet not dead


def test_daily_budget_pauses_everything_until_reset(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker, clock: FakeClock
) -> None:
    _queue(outbox, _track("ann", "a1"), _track("bob", "b1"))
    deliverer.failures.append(DailyBudgetExhaustedError("spent", resets_in=600, status=429))
    assert worker.step().state == "paused"
    paused = worker.step()
    assert paused.state == "paused" and paused.wait == pytest.approx(600)
    clock.sleep(600)
    assert {worker.step().message_id, worker.step().message_id} == {"a1", "b1"}


@pytest.mark.parametrize(
    "error",
    [AuthError("bad token", status=401), PaymentRequiredError("closed", status=402)],
)
def test_an_account_refusal_pauses_delivery_and_dead_letters_nothing(
    outbox: Outbox,
    deliverer: RecordingDeliverer,
    worker: DeliveryWorker,
    clock: FakeClock,
    error: Exception,
) -> None:
    _queue(outbox, _track("ann", "a1"), _track("bob", "b1"))
    deliverer.failures += [error] * 20  # far more than max_attempts
    for _ in range(20):
        assert worker.step().state == "paused"
        paused = worker.step()
        assert paused.state == "paused" and paused.wait == pytest.approx(60)
        clock.sleep(60)
    assert outbox.dead_letters() == []
    assert {worker.step().message_id, worker.step().message_id} == {"a1", "b1"}


def test_a_one_shot_drain_stops_on_an_account_refusal_and_keeps_the_events(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker
) -> None:
    _queue(outbox, _track("ann", "a1"))
    deliverer.failures.append(AuthError("bad token", status=401))
    with pytest.raises(AuthError):
        worker.drain(timeout=3600)
    assert outbox.status().pending == 1 and outbox.dead_letters() == []


@pytest.mark.parametrize(
    "error",
    [EventRejected("No Pipedrive person has userId 'x'"), NotFoundError("gone", status=404)],
)
def test_permanent_failures_are_dead_lettered_with_reason_then_replayed(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker, error: Exception
) -> None:
    _queue(outbox, _track("ann", "a1"))
    deliverer.failures.append(error)
    assert worker.step().state == "dead"
    assert outbox.dead_letters()[0].reason == str(error.message)
    assert outbox.replay() == 1
    assert outbox.dead_letters() == []
    assert worker.step().state == "delivered"
    assert outbox.status().delivered == 1 and outbox.status().dead == 0


def test_unexpected_errors_are_retried_then_dead_lettered(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker, clock: FakeClock
) -> None:
    _queue(outbox, _track("ann", "a1"))
    deliverer.failures += [KeyError("surprise")] * 3
    states = []
    for _ in range(3):
        states.append(worker.step().state)
        clock.sleep(120)
    assert states == ["retry", "retry", "dead"]
    assert "unexpected error" in outbox.dead_letters()[0].reason


def test_drain_delivers_everything_then_returns(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker
) -> None:
    _queue(outbox, *[_track(f"u{i % 3}", f"m{i}") for i in range(10)])
    deliverer.failures.append(ServerError("once", status=502))
    assert worker.drain(timeout=600) is True
    assert len(deliverer.delivered) == 10
    assert outbox.status().pending == 0


def test_a_second_try_is_told_an_earlier_one_may_have_landed(
    outbox: Outbox, worker: DeliveryWorker, clock: FakeClock
) -> None:
    seen: list[bool] = []

    class Flaky:
        def deliver(self, event: object, *, first_try: bool = True) -> dict[str, object]:
            seen.append(first_try)
            if len(seen) == 1:
                raise TransportError("timeout after POST")
            return {}

    worker.deliverer = Flaky()
    _queue(outbox, _track("ann", "a1"))
    worker.step()
    clock.sleep(60)
    worker.step()
    assert seen == [True, False]


def test_an_anonymous_event_queued_by_an_older_pdsync_is_dead_lettered_with_the_reason(
    outbox: Outbox, deliverer: RecordingDeliverer, worker: DeliveryWorker
) -> None:
    raw = {"type": "track", "messageId": "old-1", "anonymousId": "anon-1", "event": "Viewed"}
    outbox.insert([Event("track", "old-1", anonymous_id="anon-1", name="Viewed", raw=raw)])
    assert worker.step().state == "dead"
    assert deliverer.delivered == []
    [letter] = outbox.dead_letters()
    assert letter.message_id == "old-1" and "Anonymous event" in letter.reason
