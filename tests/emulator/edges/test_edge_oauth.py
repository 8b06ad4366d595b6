from __future__ import annotations

from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from edge_fixtures import Harness, MakeHarness

CLIENT = ("emulator-client", "emulator-client-secret")
REDIRECT = "https://app.example.com/callback"


def authorize(client: httpx.Client, state: str = "xyz") -> str:
    response = client.get(
        "/oauth/authorize",
        params={"client_id": CLIENT[0], "redirect_uri": REDIRECT, "state": state},
    )
    assert response.status_code == 302
    location = urlsplit(response.headers["location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == REDIRECT
    query = parse_qs(location.query)
    assert query["state"] == [state]
    return query["code"][0]


def token(client: httpx.Client, auth: tuple[str, str] = CLIENT, **form: str) -> httpx.Response:
    return client.post("/oauth/token", data=form, auth=auth)


def exchange(client: httpx.Client) -> dict[str, object]:
    code = authorize(client)
    response = token(client, grant_type="authorization_code", code=code, redirect_uri=REDIRECT)
    assert response.status_code == 200, response.text
    body: dict[str, object] = response.json()
    return body


def test_authorization_code_flow_gives_a_working_bearer_token(harness: Harness) -> None:
    with harness.client(token=None) as client:
        pair = exchange(client)
        assert pair["token_type"] == "Bearer"
        assert pair["expires_in"] == 3599
        assert pair["api_domain"] == "http://acme.pipedrive.test"
        assert set(pair) == {
            "access_token", "token_type", "refresh_token", "scope", "expires_in", "api_domain"
        }  # fmt: skip
        bearer = {"Authorization": f"Bearer {pair['access_token']}"}
        response = client.get("/api/v2/deals/1", headers=bearer)
    assert response.status_code == 200
    assert harness.emulator.seen[-1]["emulator.auth"] == "oauth"
    assert response.headers["x-ratelimit-limit"] == "160"  # OAuth burst on growth


def test_codes_are_single_use_and_expire_after_five_minutes(harness: Harness) -> None:
    with harness.client(token=None) as client:
        code = authorize(client)
        form = {"grant_type": "authorization_code", "code": code, "redirect_uri": REDIRECT}
        assert client.post("/oauth/token", data=form, auth=CLIENT).status_code == 200
        reused = client.post("/oauth/token", data=form, auth=CLIENT)
        assert reused.status_code == 400
        assert reused.json()["message"] == "Invalid grant: authorization_code is invalid"
        late = authorize(client)
        harness.clock.advance(301)
        expired = token(client, grant_type="authorization_code", code=late, redirect_uri=REDIRECT)
    assert expired.status_code == 400
    assert expired.json()["message"] == "Invalid grant: authorization_code has expired"


def test_access_tokens_expire_and_refresh_tokens_rotate(harness: Harness) -> None:
    with harness.client(token=None) as client:
        pair = exchange(client)
        harness.clock.advance(3600)
        bearer = {"Authorization": f"Bearer {pair['access_token']}"}
        assert client.get("/api/v2/deals/1", headers=bearer).status_code == 401
        fresh = token(client, grant_type="refresh_token", refresh_token=str(pair["refresh_token"]))
        assert fresh.status_code == 200
        assert fresh.json()["refresh_token"] != pair["refresh_token"]
        again = token(client, grant_type="refresh_token", refresh_token=str(pair["refresh_token"]))
        assert again.status_code == 400
        assert again.json()["message"] == "Invalid grant: refresh_token is invalid"
        bearer = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
        assert client.get("/api/v2/deals/1", headers=bearer).status_code == 200


@pytest.mark.parametrize(
    ("auth", "form", "message"),
    [
        (
            ("emulator-client", "wrong"),
            {"grant_type": "refresh_token"},
            "Invalid client: client is invalid",
        ),
        (CLIENT, {}, "Missing parameter: grant_type"),
        (CLIENT, {"grant_type": "password"}, "Unsupported grant type: grant_type is invalid"),
    ],
)
def test_token_errors_are_400s_with_pipedrive_messages(
    harness: Harness, auth: tuple[str, str], form: dict[str, str], message: str
) -> None:
    with harness.client(token=None) as client:
        response = token(client, auth=auth, **form)
    assert response.status_code == 400
    assert response.json()["message"] == message
    assert response.json()["success"] is False


def test_token_endpoint_wants_form_encoding_and_basic_auth(harness: Harness) -> None:
    with harness.client(token=None) as client:
        as_json = client.post("/oauth/token", json={"grant_type": "refresh_token"}, auth=CLIENT)
        no_auth = client.post("/oauth/token/", data={"grant_type": "refresh_token"})
    assert as_json.json()["message"].startswith("Invalid request: content must be")
    assert no_auth.json()["message"] == "Invalid client: cannot retrieve client credentials"


def test_authorize_rejects_unknown_clients_and_bad_redirects(make_harness: MakeHarness) -> None:
    harness = make_harness()
    with harness.client(token=None) as client:
        unknown = client.get(
            "/oauth/authorize", params={"client_id": "x", "redirect_uri": REDIRECT}
        )
        bad = client.get(
            "/oauth/authorize", params={"client_id": CLIENT[0], "redirect_uri": "nope"}
        )
    assert unknown.status_code == bad.status_code == 400
