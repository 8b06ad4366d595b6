"""The delivery loop: outbox → Pipedrive, in order per user, with retries.

One event at a time, oldest first, skipping users whose earlier event waits for a
retry (so a user's events never overtake each other). The outcome decides the
event's fate:

* delivered → ``delivered``, with the ids it touched;
* a transient failure (5xx, network, 429) → retried with exponential backoff and
  jitter (a 429 waits its ``Retry-After`` and does not count as an attempt);
* the daily token budget spent → all delivery pauses until the reset;
* the account refuses every call (401 credentials, 402 account closed) → all delivery
  pauses a minute at a time, the event uncounted: no event is at fault, so none is
  dead-lettered (thousands would be, a revoked token is not the events' problem);
* a permanent failure (rejected by a rule, 4xx) or too many attempts → a dead
  letter with the reason.

Throughput is bounded by Pipedrive's rate limit, which the API client's shared
governor enforces; one delivery thread saturates it.
"""

from __future__ import annotations

import logging
import random
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from pdsync.errors import (
    AuthError,
    DailyBudgetExhaustedError,
    PaymentRequiredError,
    PdsyncError,
    RateLimitError,
)
from pdsync.events_dest.config import RetrySettings
from pdsync.events_dest.model import Event, event_from_stored
from pdsync.events_dest.outbox import Outbox, PendingEvent
from pdsync.redact import redact

log = logging.getLogger(__name__)

IDLE_POLL_SECONDS = 5.0
ACCOUNT_PAUSE_SECONDS = 60.0  # between tries while Pipedrive refuses the credentials


class Deliverer(Protocol):
    """Applies one event to Pipedrive; returns a small JSON-able summary."""

    def deliver(self, event: Event, *, first_try: bool = True) -> dict[str, Any]: ...


@dataclass(frozen=True)
class StepOutcome:
    """What one step did: ``state`` is delivered|retry|dead|paused|idle."""

    state: str
    message_id: str | None = None
    wait: float = 0.0  # seconds until something may be due (idle/paused)


class DeliveryWorker:
    def __init__(
        self,
        outbox: Outbox,
        deliverer: Deliverer,
        *,
        retry: RetrySettings | None = None,
        clock: Callable[[], float] = time.time,
        sleep: Callable[[float], None] | None = None,
        rng: random.Random | None = None,
    ) -> None:
        self.outbox = outbox
        self.deliverer = deliverer
        self.retry = retry or RetrySettings()
        self.clock = clock
        self._wake = threading.Event()
        self._sleep = sleep or self._interruptible_sleep
        self._rng = rng or random.Random()
        self._paused_until = 0.0
        self.refused: PdsyncError | None = None  # Pipedrive refuses the account (401/402)

    def notify(self) -> None:
        """New events arrived: stop waiting."""
        self._wake.set()

    def step(self) -> StepOutcome:
        now = self.clock()
        if now < self._paused_until:
            return StepOutcome("paused", wait=self._paused_until - now)
        pending, wake_at = self.outbox.next_due(now)
        if pending is None:
            wait = IDLE_POLL_SECONDS if wake_at is None else max(0.0, wake_at - now)
            return StepOutcome("idle", wait=wait)
        return self._attempt(pending, now)

    def run(self, stop: threading.Event) -> None:
        """Deliver until ``stop`` is set (the ``serve`` loop)."""
        while not stop.is_set():
            outcome = self.step()
            if outcome.wait > 0:
                self._sleep(min(outcome.wait, IDLE_POLL_SECONDS))

    def drain(self, *, timeout: float) -> bool:
        """Deliver until nothing is pending (True) or ``timeout`` seconds pass (False).

        Raises the refusal when Pipedrive refuses the account (401/402): waiting cannot
        help a one-shot run, and the events stay queued for after the fix.
        """
        deadline = self.clock() + timeout
        while self.clock() < deadline:
            outcome = self.step()
            if outcome.state == "paused" and self.refused is not None:
                raise self.refused
            if outcome.state == "idle" and self.outbox.status().pending == 0:
                return True
            if outcome.wait > 0:
                self._sleep(min(outcome.wait, max(0.0, deadline - self.clock())))
        return self.outbox.status().pending == 0

    def _attempt(self, pending: PendingEvent, now: float) -> StepOutcome:
        mid = pending.message_id
        self.outbox.start_attempt(pending.seq)
        try:
            event = event_from_stored(pending.payload)
            result = self.deliverer.deliver(event, first_try=pending.tries == 0)
        except DailyBudgetExhaustedError as exc:
            self._paused_until = now + (exc.resets_in or 3600.0)
            self.outbox.schedule_retry(
                pending.seq, at=self._paused_until, error=exc.message, count_attempt=False
            )
            log.warning(
                "daily token budget spent; delivery paused for %.0f s", exc.resets_in or 3600.0
            )
            return StepOutcome("paused", mid, wait=self._paused_until - now)
        except (AuthError, PaymentRequiredError) as exc:
            self.refused = exc
            self._paused_until = now + ACCOUNT_PAUSE_SECONDS
            self.outbox.schedule_retry(
                pending.seq, at=self._paused_until, error=exc.message, count_attempt=False
            )
            log.error(
                "Pipedrive refuses this account (%s); delivery paused for %.0f s: %s",
                exc.status,
                ACCOUNT_PAUSE_SECONDS,
                exc.hint,
            )
            return StepOutcome("paused", mid, wait=ACCOUNT_PAUSE_SECONDS)
        except RateLimitError as exc:
            at = now + (exc.retry_after if exc.retry_after is not None else self._backoff(1))
            self.outbox.schedule_retry(pending.seq, at=at, error=exc.message, count_attempt=False)
            return StepOutcome("retry", mid)
        except PdsyncError as exc:
            return self._failed(pending, now, exc.message, transient=exc.transient)
        except Exception as exc:  # a bug must not spin: count it, dead-letter after max attempts
            log.exception("unexpected error delivering %s", mid)
            return self._failed(
                pending, now, f"unexpected error: {redact(repr(exc))}", transient=True
            )
        self.refused = None
        self.outbox.mark_delivered(pending.seq, result)
        return StepOutcome("delivered", mid)

    def _failed(
        self, pending: PendingEvent, now: float, reason: str, *, transient: bool
    ) -> StepOutcome:
        attempts = pending.attempts + 1
        if transient and attempts < self.retry.max_attempts:
            self.outbox.schedule_retry(pending.seq, at=now + self._backoff(attempts), error=reason)
            return StepOutcome("retry", pending.message_id)
        if transient:
            reason = f"gave up after {attempts} attempts: {reason}"
        self.outbox.dead_letter(pending.seq, reason)
        log.info("event %s dead-lettered: %s", pending.message_id, reason)
        return StepOutcome("dead", pending.message_id)

    def _backoff(self, attempts: int) -> float:
        """Exponential, capped, with full jitter in its upper half (no thundering herd)."""
        ceiling = min(self.retry.backoff_max, self.retry.backoff_base * 2.0 ** (attempts - 1))
        return ceiling * (0.5 + 0.5 * self._rng.random())

    def _interruptible_sleep(self, seconds: float) -> None:
        self._wake.wait(seconds)
        self._wake.clear()
