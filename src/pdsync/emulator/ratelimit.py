"""Pipedrive's rate limits as the real service enforces them (fact sheet §4).

* Burst: a rolling 2-second window per token. API tokens get 20/40/100/120 requests by
  plan, OAuth apps 80/160/400/480, and search endpoints 10 on every plan.
* Daily budget: one pool of tokens per company (30,000 × plan multiplier × seats, or
  ``config.daily_budget``), each call charged its operation's ``x-token-cost``. The day
  is the UTC day; once the pool is empty every call gets 429 until midnight UTC.
* Abuse: a token that keeps calling inside the window after a burst 429 is blocked by
  "Cloudflare": 403 with an HTML page until that window has passed. Requests a client
  already had in flight when its first 429 came back are not "keeping on": the first
  ``ABUSE_GRACE_CALLS`` calls inside the blocked window still get a plain 429.

Only admitted requests occupy the window: rejected calls neither count nor cost.
"""

from __future__ import annotations

import math
import threading
from collections import deque
from dataclasses import dataclass, field
from typing import Literal

from pdsync.emulator.config import BURST_API_TOKEN, BURST_OAUTH, BURST_SEARCH, EmulatorConfig
from pdsync.emulator.costs import Operation
from pdsync.emulator.edge_clock import Clock

WINDOW_SECONDS = 2.0
DAY_SECONDS = 86_400
DAILY_WRITE_REQUESTS = 10_000  # legacy fair-use POST/PUT counter, reported for api_token only
_WRITE_METHODS = frozenset({"POST", "PUT", "PATCH"})
# Calls tolerated inside the window after a 429 before the 403 page: a client with a few
# concurrent requests cannot recall the ones already sent when the first 429 arrives.
ABUSE_GRACE_CALLS = 10

Verdict = Literal["ok", "burst", "daily", "blocked"]


@dataclass(frozen=True)
class Admission:
    """The limiter's answer for one request, with the headers the response carries."""

    verdict: Verdict
    headers: list[tuple[str, str]] = field(default_factory=list)
    retry_after: int | None = None

    @property
    def allowed(self) -> bool:
        return self.verdict == "ok"


@dataclass
class _TokenState:
    window: deque[float] = field(default_factory=deque)
    search_window: deque[float] = field(default_factory=deque)
    blocked_until: float = 0.0  # after a general 429: every call is blocked
    search_blocked_until: float = 0.0  # after a search 429: further searches are blocked
    calls_while_blocked: int = 0  # since the last 429; past the grace they earn the 403


def _prune(window: deque[float], now: float) -> None:
    while window and window[0] <= now - WINDOW_SECONDS:
        window.popleft()


def _seconds_left(window: deque[float], now: float) -> int:
    if not window:
        return int(WINDOW_SECONDS)
    return max(1, math.ceil(window[0] + WINDOW_SECONDS - now))


class RateLimiter:
    """Burst windows per token and one daily token pool per company; thread-safe."""

    def __init__(self, config: EmulatorConfig, clock: Clock) -> None:
        self.config = config
        self.clock = clock
        self._lock = threading.Lock()
        self._tokens: dict[str, _TokenState] = {}
        self._day = self._today()
        self._spent = 0
        self._writes: dict[int, int] = {}

    # -- daily pool -------------------------------------------------------------------
    def _today(self) -> int:
        return int(self.clock.time() // DAY_SECONDS)

    def _roll_day(self) -> None:
        today = self._today()
        if today != self._day:
            self._day, self._spent, self._writes = today, 0, {}

    def seconds_until_reset(self) -> int:
        """Seconds until the next midnight UTC, when the daily pool refills."""
        now = self.clock.time()
        return max(1, math.ceil((math.floor(now / DAY_SECONDS) + 1) * DAY_SECONDS - now))

    def daily_remaining(self) -> int:
        with self._lock:
            self._roll_day()
            return max(0, self.config.budget - self._spent)

    def reset_daily(self, remaining: int | None = None) -> None:
        """Refill the pool, as midnight UTC would; ``remaining`` leaves only that many tokens."""
        with self._lock:
            self._day, self._writes = self._today(), {}
            left = self.config.budget if remaining is None else max(0, remaining)
            self._spent = self.config.budget - left

    def reset_windows(self) -> None:
        """Forget every burst window and Cloudflare block."""
        with self._lock:
            self._tokens.clear()

    # -- admission --------------------------------------------------------------------
    def burst_limit(self, auth_kind: str) -> int:
        table = BURST_OAUTH if auth_kind == "oauth" else BURST_API_TOKEN
        return table[self.config.plan]

    def admit(
        self, key: str, auth_kind: str, user_id: int, method: str, op: Operation
    ) -> Admission:
        """Decide one request. ``key`` identifies the rate-limited token or OAuth grant."""
        if not self.config.rate_limits:
            return Admission("ok")
        with self._lock:
            self._roll_day()
            now = self.clock.monotonic()
            state = self._tokens.setdefault(key, _TokenState())
            if now < state.blocked_until or (op.is_search and now < state.search_blocked_until):
                state.calls_while_blocked += 1
                if state.calls_while_blocked > ABUSE_GRACE_CALLS:
                    return Admission("blocked")
                return self._blocked_window_rejection(state, op.is_search, auth_kind, now)
            if self._spent >= self.config.budget:
                return self._daily_rejection()
            window = state.search_window if op.is_search else state.window
            limit = BURST_SEARCH if op.is_search else self.burst_limit(auth_kind)
            _prune(state.window, now)
            _prune(state.search_window, now)
            if len(window) >= limit or len(state.window) >= self.burst_limit(auth_kind):
                return self._burst_rejection(state, op.is_search, limit, now)
            state.window.append(now)
            if op.is_search:
                state.search_window.append(now)
            self._spent = min(self.config.budget, self._spent + op.cost)
            headers = self._window_headers(window, limit, now) + self._daily_headers()
            if auth_kind == "api_token" and method in _WRITE_METHODS:
                used = self._writes.get(user_id, 0) + 1
                self._writes[user_id] = used
                left = max(0, DAILY_WRITE_REQUESTS - used)
                headers.append(("x-daily-requests-left", str(left)))
            return Admission("ok", headers)

    def _burst_rejection(
        self, state: _TokenState, is_search: bool, limit: int, now: float
    ) -> Admission:
        window = state.search_window if is_search else state.window
        # Calling again before the full window frees up is what gets a token blocked.
        if is_search and len(state.search_window) >= limit:
            full = state.search_window
            state.search_blocked_until = full[0] + WINDOW_SECONDS
        else:
            full = state.window
            state.blocked_until = full[0] + WINDOW_SECONDS
        state.calls_while_blocked = 0
        retry = _seconds_left(full, now)
        headers = self._window_headers(window, limit, now) + self._daily_headers()
        headers.append(("Retry-After", str(retry)))
        return Admission("burst", headers, retry)

    def _blocked_window_rejection(
        self, state: _TokenState, is_search: bool, auth_kind: str, now: float
    ) -> Admission:
        """A 429 for a call inside the grace: the same answer as the first one."""
        until = state.search_blocked_until if is_search else state.blocked_until
        retry = max(1, math.ceil(max(state.blocked_until, until) - now))
        window = state.search_window if is_search else state.window
        limit = BURST_SEARCH if is_search else self.burst_limit(auth_kind)
        headers = self._window_headers(window, limit, now) + self._daily_headers()
        headers.append(("Retry-After", str(retry)))
        return Admission("burst", headers, retry)

    def _daily_rejection(self) -> Admission:
        retry = self.seconds_until_reset()
        headers = [*self._daily_headers(), ("Retry-After", str(retry))]
        return Admission("daily", headers, retry)

    def _window_headers(
        self, window: deque[float], limit: int, now: float
    ) -> list[tuple[str, str]]:
        return [
            ("x-ratelimit-limit", str(limit)),
            ("x-ratelimit-remaining", str(max(0, limit - len(window)))),
            ("x-ratelimit-reset", str(_seconds_left(window, now))),
        ]

    def _daily_headers(self) -> list[tuple[str, str]]:
        return [
            ("x-daily-ratelimit-token-limit", str(self.config.budget)),
            ("x-daily-ratelimit-token-remaining", str(max(0, self.config.budget - self._spent))),
        ]
