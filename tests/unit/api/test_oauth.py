from __future__ import annotations

import threading
from urllib.parse import parse_qs

import httpx
import pytest
from api_fakes import FakeClock, envelope, error

from pdsync.api.client import PipedriveClient
from pdsync.api.oauth_login import RedirectListener, authorization_url, login
from pdsync.config import Connection
from pdsync.errors import AuthError

TOKEN_URL = "http://oauth.test/oauth/token"


class FakeOAuthPipedrive:
    """Token endpoint that rotates refresh tokens, plus an API that checks Bearer tokens."""

    def __init__(self) -> None:
        self.generation = 0
        self.refresh_token = "refresh-0-abcdef"
        self.valid_access: set[str] = set()
        self.grants: list[dict[str, str]] = []
        self.api_hosts: list[str] = []

    def handle(self, request: httpx.Request) -> httpx.Response:
        if str(request.url) == TOKEN_URL:
            return self.token(request)
        self.api_hosts.append(request.url.host)
        auth = request.headers.get("authorization", "")
        if auth.removeprefix("Bearer ") not in self.valid_access:
            return error(401, "unauthorized access")
        return envelope({"id": 1, "name": "Jane"})

    def token(self, request: httpx.Request) -> httpx.Response:
        assert request.headers["authorization"].startswith("Basic ")
        form = {k: v[0] for k, v in parse_qs(request.content.decode()).items()}
        self.grants.append(form)
        if form["grant_type"] == "refresh_token" and form["refresh_token"] != self.refresh_token:
            return httpx.Response(400, json={"success": False, "message": "Invalid grant"})
        self.generation += 1
        access = f"access-{self.generation}-xyz123"
        self.valid_access = {access}
        self.refresh_token = f"refresh-{self.generation}-abcdef"
        return httpx.Response(
            200,
            json={
                "access_token": access,
                "token_type": "Bearer",
                "expires_in": 3599,
                "refresh_token": self.refresh_token,
                "scope": "base",
                "api_domain": "https://acme.pipedrive.test",
            },
        )


def oauth_client(fake: FakeOAuthPipedrive, clock: FakeClock, saved: list[str]) -> PipedriveClient:
    conn = Connection(
        oauth_client_id="cid",
        oauth_client_secret="csecret-123",
        oauth_refresh_token=fake.refresh_token,
        oauth_token_url=TOKEN_URL,
    )
    return PipedriveClient(
        conn,
        transport=httpx.MockTransport(fake.handle),
        sleep=clock.sleep,
        clock=clock,
        on_refresh_token=saved.append,
    )


def test_bearer_calls_go_to_api_domain_and_refresh_before_expiry() -> None:
    fake, clock, saved = FakeOAuthPipedrive(), FakeClock(), []
    with oauth_client(fake, clock, saved) as client:
        client.get("users/me", version="v1")
        client.get("users/me", version="v1")
        assert len(fake.grants) == 1
        clock.sleep(3599 - 30)  # inside the refresh margin: refresh before the call
        client.get("users/me", version="v1")
    assert len(fake.grants) == 2
    assert fake.api_hosts == ["acme.pipedrive.test"] * 3
    assert saved == ["refresh-1-abcdef", "refresh-2-abcdef"]  # rotated tokens persisted


def test_a_401_triggers_one_refresh_and_one_retry() -> None:
    fake, clock, saved = FakeOAuthPipedrive(), FakeClock(), []
    with oauth_client(fake, clock, saved) as client:
        client.get("users/me", version="v1")
        fake.valid_access = set()  # access token revoked server-side
        # Next refresh makes a new valid token, so the retried call succeeds.
        assert client.get("users/me", version="v1")["data"]["name"] == "Jane"
    assert [g["grant_type"] for g in fake.grants] == ["refresh_token", "refresh_token"]


def test_a_401_after_refresh_is_an_auth_error_not_a_loop() -> None:
    fake, clock, saved = FakeOAuthPipedrive(), FakeClock(), []
    original = fake.token

    def token_without_validity(request: httpx.Request) -> httpx.Response:
        response = original(request)
        fake.valid_access = set()  # the API rejects every token
        return response

    fake.token = token_without_validity  # type: ignore[method-assign]
    with oauth_client(fake, clock, saved) as client, pytest.raises(AuthError):
        client.get("users/me", version="v1")
    assert len(fake.grants) == 2


def test_invalid_refresh_token_says_to_log_in_again() -> None:
    fake, clock = FakeOAuthPipedrive(), FakeClock()
    conn = Connection(
        oauth_client_id="cid",
        oauth_client_secret="csecret-123",
        oauth_refresh_token="stale-refresh-token",
        oauth_token_url=TOKEN_URL,
    )
    with (
        PipedriveClient(
            conn, transport=httpx.MockTransport(fake.handle), sleep=clock.sleep, clock=clock
        ) as client,
        pytest.raises(AuthError) as info,
    ):
        client.get("users/me", version="v1")
    assert "pdsync auth login" in info.value.hint
    assert "stale-refresh-token" not in str(info.value) + repr(info.value)


def test_login_listens_for_the_redirect_and_exchanges_the_code() -> None:
    fake = FakeOAuthPipedrive()
    shown: list[str] = []

    def browser(url: str) -> None:
        shown.append(url)
        query = {k: v[0] for k, v in parse_qs(url.split("?", 1)[1]).items()}
        redirect = f"{query['redirect_uri']}?code=the-code&state={query['state']}"
        threading.Thread(target=httpx.get, args=(redirect,), daemon=True).start()

    tokens = login(
        client_id="cid",
        client_secret="csecret-123",
        authorize_url="http://oauth.test/oauth/authorize",
        token_url=TOKEN_URL,
        show_url=browser,
        timeout=10,
        transport=httpx.MockTransport(fake.handle),
    )
    assert shown[0].startswith("http://oauth.test/oauth/authorize?client_id=cid")
    assert fake.grants[0]["grant_type"] == "authorization_code"
    assert fake.grants[0]["code"] == "the-code"
    assert fake.grants[0]["redirect_uri"].startswith("http://127.0.0.1:")
    assert tokens.api_domain == "https://acme.pipedrive.test"


def test_redirect_with_a_wrong_state_is_refused() -> None:
    with RedirectListener(state="expected") as listener:
        response = httpx.get(f"{listener.redirect_uri}?code=c&state=forged")
        assert response.status_code == 400
        with pytest.raises(AuthError, match="state"):
            listener.wait_for_code(1)


def test_authorization_url_encodes_parameters() -> None:
    url = authorization_url(
        "https://o.test/authorize", client_id="a b", redirect_uri="http://x/cb", state="s"
    )
    assert url == "https://o.test/authorize?client_id=a+b&redirect_uri=http%3A%2F%2Fx%2Fcb&state=s"
