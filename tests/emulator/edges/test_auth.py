from __future__ import annotations

from edge_fixtures import TOKEN, Harness, MakeHarness

UNAUTHORIZED = {
    "success": False,
    "error": "unauthorized access",
    "errorCode": 401,
    "error_info": "Please check developers.pipedrive.com",
}


def test_header_token_works_on_v1_and_v2_and_sets_the_caller(harness: Harness) -> None:
    with harness.client() as client:
        assert client.get("/api/v2/deals/1").status_code == 200
        assert client.get("/v1/deals").status_code == 200
    environ = harness.emulator.seen[-1]
    assert environ["emulator.user_id"] == 1
    assert environ["emulator.auth"] == "api_token"


def test_query_token_is_accepted_on_v1_and_v2(harness: Harness) -> None:
    # Published clients send ?api_token= on v2 too, and the live API accepts it.
    with harness.client(token=None) as client:
        assert client.get("/v1/deals", params={"api_token": TOKEN}).status_code == 200
        assert client.get("/api/v1/deals", params={"api_token": TOKEN}).status_code == 200
        assert client.get("/api/v2/deals", params={"api_token": TOKEN}).status_code == 200
        assert client.get("/v2/deals", params={"api_token": TOKEN}).status_code == 200
        wrong = client.get("/api/v2/deals", params={"api_token": "wrong-token-000000"})
    assert wrong.status_code == 401


def test_missing_or_wrong_token_gets_the_gateway_401(harness: Harness) -> None:
    with harness.client(token=None) as client:
        missing = client.get("/api/v2/deals")
    with harness.client(token="wrong-token-000000") as client:
        wrong = client.get("/api/v2/deals")
    for response in (missing, wrong):
        assert response.status_code == 401
        assert response.json() == UNAUTHORIZED
        assert response.headers["x-401-by-gw"] == "true"
    assert harness.emulator.seen == []  # the handler never ran


def test_extra_tokens_map_to_their_users(make_harness: MakeHarness) -> None:
    harness = make_harness(extra_tokens={"second-user-token-999": 7})
    with harness.client(token="second-user-token-999") as client:
        assert client.get("/api/v2/deals/1").status_code == 200
    assert harness.emulator.seen[-1]["emulator.user_id"] == 7


def test_a_wrong_credential_does_not_fall_back_to_another(harness: Harness) -> None:
    with harness.client() as client:
        response = client.get("/api/v2/deals", headers={"Authorization": "Bearer nope"})
    assert response.status_code == 401
