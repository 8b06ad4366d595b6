"""When to try a request again, and how long to wait first.

| Condition                                   | Action                                        |
| ------------------------------------------- | --------------------------------------------- |
| 429 inside the burst window                 | wait Retry-After / x-ratelimit-reset + jitter, |
|                                             | then retry (any method: it was not processed)  |
| 429 with the daily budget spent             | stop: DailyBudgetExhaustedError, no retry      |
| 5xx, timeout, dropped connection            | exponential backoff + jitter, idempotent only  |
| 2xx whose body is not JSON or is cut short  | the same as a 5xx                              |
| list page with no records, more promised    | backoff, 3 times; then walked past with a      |
|                                             | notice (``PipedriveClient.list_page``)         |
| connection refused / DNS (request not sent) | exponential backoff + jitter, any method       |
| 401 with OAuth                              | refresh the access token once, then retry      |
| other 4xx                                   | fail with the body's message and a hint        |

POST and PATCH are never retried after the request may have reached Pipedrive: a
duplicate deal is worse than a failed run.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

__all__ = ["IDEMPOTENT_METHODS", "RetryPolicy"]

IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 5
    base_delay: float = 0.5
    max_delay: float = 30.0
    rng: Callable[[], float] = field(default=random.random, compare=False)

    @staticmethod
    def is_idempotent(method: str) -> bool:
        return method.upper() in IDEMPOTENT_METHODS

    def may_retry(self, attempt: int, method: str, *, request_sent: bool = True) -> bool:
        """Whether retry number ``attempt`` (1-based) is allowed for a transient failure."""
        if attempt > self.max_retries:
            return False
        return not request_sent or self.is_idempotent(method)

    def backoff(self, attempt: int) -> float:
        """Exponential backoff with "equal jitter": between half and all of base·2^(n-1)."""
        ceiling = min(self.max_delay, self.base_delay * 2.0 ** (attempt - 1))
        return ceiling / 2 + (ceiling / 2) * self.rng()
