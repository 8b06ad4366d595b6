"""Sending webhook deliveries in the background, with Pipedrive's retry schedule.

A delivery succeeds on any 2xx within ``config.webhook_timeout`` seconds. Otherwise it
is tried again after each delay of ``config.webhook_retry_delays`` (3, 30 and 150 s
by default: four attempts in all). Deliveries wait in a time-ordered queue served by
a few worker threads, so an API request never waits for a subscriber, and a slow
subscriber does not hold up the others for long.
"""

from __future__ import annotations

import base64
import heapq
import itertools
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

WORKERS = 4


@dataclass(frozen=True)
class Attempt:
    """One try at delivering one event to one webhook."""

    webhook_id: int
    number: int  # 1..len(delays)+1, sent as meta.attempt
    context: Any = field(compare=False)  # the event envelope, opaque here


@dataclass(frozen=True)
class Outcome:
    attempt: Attempt
    status: int | None  # None: no HTTP answer (timeout, refused, reset)

    @property
    def ok(self) -> bool:
        return self.status is not None and 200 <= self.status < 300


Prepare = Callable[[Attempt], "tuple[str, bytes, tuple[str, str] | None] | None"]
Report = Callable[[Outcome, bool], None]  # (outcome, will_retry)


class Deliverer:
    """Queue + workers. ``prepare`` gives (url, body, basic auth) or None to drop the attempt."""

    def __init__(
        self,
        prepare: Prepare,
        report: Report,
        retry_delays: tuple[float, ...],
        timeout: float,
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self._prepare = prepare
        self._report = report
        self._delays = retry_delays
        self._timeout = timeout
        self._transport = transport
        self._cond = threading.Condition()
        self._queue: list[tuple[float, int, Attempt]] = []
        self._order = itertools.count()
        self._pending = 0  # queued + in flight
        self._threads: list[threading.Thread] = []
        self._client: httpx.Client | None = None
        self._closed = False

    def submit(self, attempt: Attempt, delay: float = 0.0) -> None:
        with self._cond:
            if self._closed:
                return
            self._start_workers()
            heapq.heappush(self._queue, (time.monotonic() + delay, next(self._order), attempt))
            self._pending += 1
            self._cond.notify()

    def wait_idle(self, timeout: float) -> bool:
        """Block until no delivery is queued or in flight; False if ``timeout`` passed first."""
        deadline = time.monotonic() + timeout
        with self._cond:
            while self._pending:
                left = deadline - time.monotonic()
                if left <= 0:
                    return False
                self._cond.wait(left)
            return True

    def close(self) -> None:
        with self._cond:
            self._closed = True
            self._queue.clear()
            self._cond.notify_all()
        for thread in self._threads:
            thread.join(timeout=self._timeout + 1)
        if self._client is not None:
            self._client.close()

    def _start_workers(self) -> None:
        if self._threads:
            return
        self._client = httpx.Client(
            timeout=self._timeout,
            follow_redirects=False,  # a redirecting subscription URL is a failure, as on Pipedrive
            transport=self._transport,
            headers={"User-Agent": "Pipedrive-Webhooks/2.0 (pdsync emulator)"},
        )
        for index in range(WORKERS):
            thread = threading.Thread(
                target=self._work, name=f"emulator-webhooks-{index}", daemon=True
            )
            thread.start()
            self._threads.append(thread)

    def _next(self) -> Attempt | None:
        with self._cond:
            while not self._closed:
                if self._queue:
                    due = self._queue[0][0] - time.monotonic()
                    if due <= 0:
                        return heapq.heappop(self._queue)[2]
                    self._cond.wait(due)
                else:
                    self._cond.wait()
            return None

    def _work(self) -> None:
        while (attempt := self._next()) is not None:
            try:
                self._deliver(attempt)
            finally:
                with self._cond:
                    self._pending -= 1
                    self._cond.notify_all()

    def _deliver(self, attempt: Attempt) -> None:
        prepared = self._prepare(attempt)
        if prepared is None:
            return
        url, body, auth = prepared
        outcome = Outcome(attempt, self._post(url, body, auth))
        will_retry = not outcome.ok and attempt.number <= len(self._delays)
        if will_retry:
            retry = Attempt(attempt.webhook_id, attempt.number + 1, attempt.context)
            self.submit(retry, self._delays[attempt.number - 1])
        self._report(outcome, will_retry)

    def _post(self, url: str, body: bytes, auth: tuple[str, str] | None) -> int | None:
        assert self._client is not None
        headers = {"Content-Type": "application/json"}
        if auth is not None:
            token = base64.b64encode(f"{auth[0]}:{auth[1]}".encode()).decode("ascii")
            headers["Authorization"] = f"Basic {token}"
        try:
            response = self._client.post(url, content=body, headers=headers)
        except httpx.HTTPError:
            return None
        return response.status_code
