"""One rate governor per API token, shared by every thread and client using that token.

Pipedrive limits each token to N requests in a rolling 2-second window (N depends on the
plan: 20 to 480), search endpoints to 10 per 2 s, and each company to a daily token
budget. The governor keeps pdsync under those limits *before* Pipedrive says 429:

* it counts its own requests in the rolling window; a request in flight occupies its
  slot until its response arrives (Pipedrive counts arrivals, which come after we send);
* it learns the window size from ``x-ratelimit-limit``; when ``x-ratelimit-remaining``
  reaches 0 and its own requests do not explain a full window (another process uses the
  token), it pauses everyone until ``x-ratelimit-reset``. When they do, its own
  accounting already holds the next request back exactly as long as needed, while the
  reset header (whole seconds, rounded up) would idle every thread for up to a second;
* after a burst 429 it blocks every thread for ``Retry-After`` plus jitter, because
  calling again inside the window gets the token blocked by Cloudflare (403);
* after the daily budget is spent it refuses every further call with
  :class:`~pdsync.errors.DailyBudgetExhaustedError`.

The governor never sleeps itself: :meth:`RateGovernor.try_acquire` answers "go" or "wait
this long", and the caller sleeps with its own (injectable) ``sleep``.
"""

from __future__ import annotations

import hashlib
import math
import random
import threading
import time
from collections import deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import ClassVar

from pdsync.errors import DailyBudgetExhaustedError

__all__ = ["RateGovernor", "RateSnapshot", "Slot"]

WINDOW_SECONDS = 2.0
DEFAULT_BURST_LIMIT = 20  # the lowest plan's limit, until headers tell us better
HISTORY_SECONDS = 2.0  # how long completed slots are kept past the window (see observe)
SEARCH_BURST_LIMIT = 10
IN_FLIGHT_POLL = 0.05
# When a daily 429 gives no reset time, probe again after this long rather than never.
DAILY_RECHECK_SECONDS = 300.0  # how long to wait when the window is full of requests in flight


@dataclass(eq=False)  # identity: two slots granted at once are still two slots
class Slot:
    """A granted request; :meth:`RateGovernor.release` stamps its completion time."""

    search: bool
    stamp: float = math.inf  # inf while in flight
    granted: float = 0.0  # when it was granted (the request was sent after this)


@dataclass(frozen=True)
class RateSnapshot:
    """What the last responses said about the limits (None when unknown)."""

    burst_limit: int | None
    burst_remaining: int | None
    burst_reset: float | None
    daily_limit: int | None
    daily_remaining: int | None
    blocked_for: float


def _header_number(headers: Mapping[str, str], name: str) -> float | None:
    raw = headers.get(name)
    if raw is None:
        return None
    try:
        return float(raw)
    except ValueError:
        return None


def _as_int(value: float | None) -> int | None:
    return None if value is None else int(value)


class RateGovernor:
    """Thread-safe limiter for one token. Use :meth:`for_token` to share it."""

    _registry: ClassVar[dict[str, RateGovernor]] = {}
    _registry_lock: ClassVar[threading.Lock] = threading.Lock()

    def __init__(
        self,
        *,
        clock: Callable[[], float] = time.monotonic,
        burst_limit: int = DEFAULT_BURST_LIMIT,
        search_limit: int = SEARCH_BURST_LIMIT,
        window: float = WINDOW_SECONDS,
        rng: Callable[[], float] = random.random,
    ) -> None:
        self._clock = clock
        self._rng = rng
        self._lock = threading.Lock()
        self.window = window
        self.burst_limit = burst_limit
        self.search_limit = search_limit
        self._slots: deque[Slot] = deque()
        self._blocked_until = 0.0
        self._daily_exhausted: DailyBudgetExhaustedError | None = None
        self._daily_until = 0.0
        self._last: dict[str, float | None] = {}
        # Until a first response has told us how full the window is (another process may
        # have used it), one request at a time: a burst into a full window earns a 429
        # for every request in it.
        self._observed = False

    @classmethod
    def for_token(cls, key: str) -> RateGovernor:
        """The process-wide governor for a token (keyed by a hash, never the token)."""
        digest = hashlib.sha256(key.encode("utf-8")).hexdigest()
        with cls._registry_lock:
            governor = cls._registry.get(digest)
            if governor is None:
                governor = cls._registry[digest] = cls()
            return governor

    @classmethod
    def forget_all(cls) -> None:
        """Drop every shared governor (tests; a fresh start in a long-lived process)."""
        with cls._registry_lock:
            cls._registry.clear()

    def __repr__(self) -> str:
        return f"RateGovernor(burst_limit={self.burst_limit}, window={self.window})"

    # ----------------------------------------------------------- granting

    def try_acquire(self, *, search: bool = False) -> Slot | float:
        """A :class:`Slot` if a request may go now, else the seconds to wait first.

        Raises DailyBudgetExhaustedError once the daily budget is known to be spent.
        """
        with self._lock:
            now = self._clock()
            if self._daily_exhausted is not None:
                if now < self._daily_until:
                    raise self._daily_exhausted
                self._daily_exhausted = None  # the budget may have reset: try again
            if now < self._blocked_until:
                return self._blocked_until - now
            self._expire(now)
            if not self._observed and any(math.isinf(s.stamp) for s in self._slots):
                return IN_FLIGHT_POLL
            wait = self._window_wait(now, search=False, limit=self.burst_limit)
            if search and wait == 0.0:
                wait = self._window_wait(now, search=True, limit=self.search_limit)
            if wait > 0.0:
                return wait
            slot = Slot(search=search, granted=now)
            self._slots.append(slot)
            return slot

    def _expire(self, now: float) -> None:
        # Completed slots older than the window no longer count; in-flight ones stay.
        # They are kept a little longer (HISTORY_SECONDS) so that a response's
        # ``x-ratelimit-remaining`` can be compared with what we sent in its window.
        horizon = now - self.window - HISTORY_SECONDS
        while self._slots and self._slots[0].stamp <= horizon:
            self._slots.popleft()

    def _window_wait(self, now: float, *, search: bool, limit: int) -> float:
        start = now - self.window
        relevant = [s for s in self._slots if s.stamp > start and (s.search or not search)]
        if len(relevant) < limit:
            return 0.0
        # The window frees up when the oldest-completing relevant slot leaves it.
        stamps = sorted(s.stamp for s in relevant)
        freeing = stamps[len(relevant) - limit]
        if math.isinf(freeing):
            return IN_FLIGHT_POLL
        return max(freeing + self.window - now, 0.001)

    def release(self, slot: Slot) -> None:
        """Mark a granted request finished (its response arrived, or it failed)."""
        with self._lock:
            slot.stamp = self._clock()
            # Slots are kept in completion order (history is trimmed from the left).
            self._slots.remove(slot)
            self._slots.append(slot)

    # ----------------------------------------------------------- learning

    def observe(
        self, headers: Mapping[str, str], *, search: bool = False, slot: Slot | None = None
    ) -> None:
        """Learn from a response's rate-limit headers (any status); ``slot``: its request."""
        limit = _header_number(headers, "x-ratelimit-limit")
        remaining = _header_number(headers, "x-ratelimit-remaining")
        reset = _header_number(headers, "x-ratelimit-reset")
        daily_limit = _header_number(headers, "x-daily-ratelimit-token-limit")
        daily_remaining = _header_number(headers, "x-daily-ratelimit-token-remaining")
        with self._lock:
            self._observed = True
            if limit is not None and limit >= 1:
                if search:
                    self.search_limit = int(limit)
                else:
                    self.burst_limit = int(limit)
            if remaining is not None and remaining <= 0 and not self._explains_full(slot, search):
                self._block_locked(reset if reset is not None else self.window, jitter=False)
            for key, value in (
                ("burst_limit", limit),
                ("burst_remaining", remaining),
                ("burst_reset", reset),
                ("daily_limit", daily_limit),
                ("daily_remaining", daily_remaining),
            ):
                if value is not None:
                    self._last[key] = value

    def _explains_full(self, slot: Slot | None, search: bool) -> bool:
        """Whether our own requests fill the window the server counted for ``slot``.

        The server counted the requests that arrived in the window before ``slot``'s
        did; each of ours arrived after it was granted and completes later, so those
        of ours it counted are among the slots completed after ``granted - window``
        (or still in flight). If they alone reach the limit, the window's own
        accounting (which frees a slot a window after its *completion*) already waits
        long enough.
        """
        if slot is None or slot not in self._slots:
            return False
        since = slot.granted - self.window
        limit = self.search_limit if search else self.burst_limit
        ours = sum(1 for s in self._slots if s.stamp > since and (s.search or not search))
        return ours >= limit

    def block_for(self, seconds: float) -> float:
        """After a burst 429: nobody calls for ``seconds`` plus jitter. Returns the pause."""
        with self._lock:
            return self._block_locked(seconds, jitter=True)

    def _block_locked(self, seconds: float, *, jitter: bool) -> float:
        pause = max(seconds, 0.0)
        if jitter:
            # Up to 10 % (at least 0.1 s) more, so threads do not all return at once.
            pause += max(0.1, pause * 0.1) * self._rng()
        self._blocked_until = max(self._blocked_until, self._clock() + pause)
        return pause

    def mark_daily_exhausted(self, error: DailyBudgetExhaustedError) -> None:
        """Later calls fail fast with ``error`` until the budget resets (``resets_in``)."""
        with self._lock:
            self._daily_exhausted = error
            wait = error.resets_in if error.resets_in is not None else DAILY_RECHECK_SECONDS
            self._daily_until = self._clock() + wait
            self._last["daily_remaining"] = 0

    def snapshot(self) -> RateSnapshot:
        with self._lock:
            last = self._last
            return RateSnapshot(
                burst_limit=_as_int(last.get("burst_limit")),
                burst_remaining=_as_int(last.get("burst_remaining")),
                burst_reset=last.get("burst_reset"),
                daily_limit=_as_int(last.get("daily_limit")),
                daily_remaining=_as_int(last.get("daily_remaining")),
                blocked_for=max(self._blocked_until - self._clock(), 0.0),
            )
