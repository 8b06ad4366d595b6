"""The token never appears in logs (debug level), errors, reprs or printed output."""

from __future__ import annotations

import logging

import httpx
import pytest
from api_fakes import FakeClock, error

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.errors import AuthError, PdsyncError, ServerError

SECRET = "very-secret-token-5a5a5a5a"


def echoing_server(request: httpx.Request) -> httpx.Response:
    # A hostile/buggy server that echoes the token back in its error message.
    token = request.headers.get("x-api-token", "")
    if request.url.path.endswith("/boom"):
        return error(500, f"crashed while handling token {token}")
    return error(401, f"token {token} is invalid")


@pytest.mark.parametrize("path,cls", [("users/me", AuthError), ("boom", ServerError)])
def test_token_absent_from_logs_errors_and_reprs(
    caplog: pytest.LogCaptureFixture, path: str, cls: type[PdsyncError]
) -> None:
    clock = FakeClock()
    conn = Connection(api_token=SECRET, base_url="http://pd.test")
    caplog.set_level(logging.DEBUG)
    with PipedriveClient(
        conn,
        transport=httpx.MockTransport(echoing_server),
        sleep=clock.sleep,
        clock=clock,
        max_retries=1,
    ) as client:
        with pytest.raises(cls) as info:
            client.get(path, version="v1")
        texts = [
            str(info.value),
            repr(info.value),
            info.value.hint,
            repr(client),
            repr(conn),
            str(info.value.details),
            repr(client.auth),
        ]
    assert caplog.records, "the client logs each request at debug level"
    texts += [r.getMessage() for r in caplog.records]
    for text in texts:
        assert SECRET not in text
    assert "***" in str(info.value)


def test_connection_repr_masks_every_secret() -> None:
    conn = Connection(
        api_token=SECRET,
        oauth_client_secret="client-secret-99",
        oauth_refresh_token="refresh-secret-77",
        company_domain="acme",
    )
    text = repr(conn) + str(conn)
    for secret in (SECRET, "client-secret-99", "refresh-secret-77"):
        assert secret not in text
    assert "company_domain='acme'" in text
