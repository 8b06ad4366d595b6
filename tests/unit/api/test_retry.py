from __future__ import annotations

import httpx
import pytest
from api_fakes import TOKEN, FakeClock, envelope, error

from pdsync.api.client import PipedriveClient
from pdsync.api.retry import RetryPolicy
from pdsync.config import Connection
from pdsync.errors import (
    AuthError,
    ForbiddenError,
    NotFoundError,
    PaymentRequiredError,
    ServerError,
    TransportError,
    ValidationError,
)

CONN = Connection(api_token=TOKEN, base_url="http://pd.test")


class Flaky:
    """Fails the first ``failures`` calls with ``fail`` (a response or an exception)."""

    def __init__(self, failures: int, fail: httpx.Response | Exception) -> None:
        self.failures = failures
        self.fail = fail
        self.calls = 0

    def __call__(self, request: httpx.Request) -> httpx.Response:
        self.calls += 1
        if self.calls <= self.failures:
            if isinstance(self.fail, Exception):
                raise self.fail
            return self.fail
        return envelope({"id": 1})


def run(handler: Flaky, method: str = "GET", **kw: object) -> tuple[PipedriveClient, FakeClock]:
    clock = FakeClock()
    client = PipedriveClient(
        CONN, transport=httpx.MockTransport(handler), sleep=clock.sleep, clock=clock, **kw
    )  # type: ignore[arg-type]
    client.request(method, "deals/1", json={"title": "x"} if method != "GET" else None)
    return client, clock


def test_5xx_is_retried_for_get_with_growing_backoff() -> None:
    handler = Flaky(3, error(503, "Service unavailable"))
    client, clock = run(handler)
    assert handler.calls == 4
    assert client.stats.retries == 3
    assert clock.slept[0] < clock.slept[1] < clock.slept[2]  # 0.25-0.5, 0.5-1, 1-2


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_5xx_is_not_retried_for_writes(method: str) -> None:
    handler = Flaky(1, error(500, "Internal error"))
    with pytest.raises(ServerError):
        run(handler, method)
    assert handler.calls == 1


def test_put_and_delete_are_idempotent_and_retried() -> None:
    for method in ("PUT", "DELETE"):
        handler = Flaky(1, error(502, "Bad gateway"))
        run(handler, method)
        assert handler.calls == 2


def test_read_timeout_retried_for_get_not_for_post() -> None:
    handler = Flaky(1, httpx.ReadTimeout("slow"))
    run(handler, "GET")
    assert handler.calls == 2
    handler = Flaky(1, httpx.ReadTimeout("slow"))
    with pytest.raises(TransportError):
        run(handler, "POST")
    assert handler.calls == 1


def test_connection_refused_is_retried_even_for_post_since_nothing_was_sent() -> None:
    handler = Flaky(1, httpx.ConnectError("refused"))
    run(handler, "POST")
    assert handler.calls == 2


def test_retries_give_up_after_max_retries() -> None:
    handler = Flaky(10, error(500, "down"))
    with pytest.raises(ServerError) as info:
        run(handler, max_retries=2)
    assert handler.calls == 3
    assert info.value.transient and info.value.exit_code == 5


def test_backoff_is_exponential_with_jitter_and_capped() -> None:
    low = RetryPolicy(rng=lambda: 0.0, max_delay=4.0)
    high = RetryPolicy(rng=lambda: 1.0, max_delay=4.0)
    assert [low.backoff(n) for n in (1, 2, 3)] == [0.25, 0.5, 1.0]
    assert [high.backoff(n) for n in (1, 2, 3, 6)] == [0.5, 1.0, 2.0, 4.0]


@pytest.mark.parametrize(
    "status,cls,exit_code",
    [
        (401, AuthError, 4),
        (402, PaymentRequiredError, 4),
        (403, ForbiddenError, 4),
        (404, NotFoundError, 3),
        (422, ValidationError, 3),
        (400, ValidationError, 3),
    ],
)
def test_status_codes_map_to_the_error_tree(status: int, cls: type, exit_code: int) -> None:
    handler = Flaky(1, error(status, "nope"))
    with pytest.raises(cls) as info:
        run(handler)
    assert info.value.exit_code == exit_code and info.value.status == status
    assert handler.calls == 1  # client errors are never retried


def test_404_on_users_me_says_the_domain_is_wrong() -> None:
    clock = FakeClock()
    transport = httpx.MockTransport(lambda r: error(404, "Not found"))
    client = PipedriveClient(CONN, transport=transport, sleep=clock.sleep, clock=clock)
    with client, pytest.raises(NotFoundError) as info:
        client.get("users/me", version="v1")
    assert "company domain" in info.value.hint


def test_api_token_in_params_is_refused() -> None:
    from pdsync.errors import ConfigError

    clock = FakeClock()
    transport = httpx.MockTransport(lambda r: envelope([]))
    client = PipedriveClient(CONN, transport=transport, sleep=clock.sleep, clock=clock)
    with client, pytest.raises(ConfigError):
        client.get("deals", params={"api_token": TOKEN})
