"""Auth as Pipedrive accepts it (header, ``?api_token=`` on v1 and v2, Bearer), paths as
api.pipedrive.com serves them (``/v1``, ``/v2`` without ``/api``), and a token sent in a
query string never reaches a log, even when a handler fails."""

from __future__ import annotations

import logging
from collections.abc import Iterator

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.http import Request, Response
from pdsync.emulator.server import EmulatorServer

SECRET = "query-token-5f2b9c0e7d1a4b3c"


@pytest.fixture
def emulator() -> Emulator:
    return Emulator(EmulatorConfig(deals=20, rate_limits=False, token=SECRET))


@pytest.fixture
def anonymous(emulator: Emulator) -> Iterator[httpx.Client]:
    with httpx.Client(transport=emulator.transport(), base_url="http://e") as client:
        yield client


@pytest.mark.parametrize(
    "path",
    ["/api/v2/deals", "/v2/deals", "/api/v1/deals", "/v1/notes", "/v2/activities/1",
     "/v1/recents?since_timestamp=2026-01-01%2000:00:00"],
)  # fmt: skip
def test_query_token_works_on_every_version_and_prefix(anonymous: httpx.Client, path: str) -> None:
    sep = "&" if "?" in path else "?"
    assert anonymous.get(f"{path}{sep}api_token={SECRET}").status_code == 200
    assert anonymous.get(path).status_code == 401
    assert anonymous.get(f"{path}{sep}api_token=wrong-{SECRET}").status_code == 401


def test_paths_without_api_prefix_reach_the_same_handlers(anonymous: httpx.Client) -> None:
    params = {"api_token": SECRET, "limit": 7}
    for tail in ("deals", "persons", "activities"):
        with_prefix = anonymous.get(f"/api/v2/{tail}", params=params).json()
        without = anonymous.get(f"/v2/{tail}", params=params).json()
        assert with_prefix == without and len(without["data"]) == 7
    made = anonymous.post("/v2/deals", params={"api_token": SECRET}, json={"title": "Prefixless"})
    assert made.status_code == 200
    read = anonymous.get(f"/api/v2/deals/{made.json()['data']['id']}", params={"api_token": SECRET})
    assert read.json()["data"]["title"] == "Prefixless"


def test_header_and_bearer_still_win_over_nothing(
    emulator: Emulator, anonymous: httpx.Client
) -> None:
    assert anonymous.get("/v2/deals", headers={"x-api-token": SECRET}).status_code == 200
    # A present but wrong credential is a 401 even with a good query token beside it.
    wrong = anonymous.get("/v2/deals", params={"api_token": SECRET},
                          headers={"Authorization": "Bearer not-a-token"})  # fmt: skip
    assert wrong.status_code == 401


def test_a_query_token_is_never_logged(
    emulator: Emulator, caplog: pytest.LogCaptureFixture, capfd: pytest.CaptureFixture[str]
) -> None:
    def broken(req: Request) -> Response:
        raise RuntimeError("handler bug")

    caplog.set_level(logging.DEBUG)
    with EmulatorServer(emulator.config, port=0) as server:
        server.emulator.router.add("GET", "/api/v2/broken", broken)
        with httpx.Client(base_url=server.url) as client:
            for path in ("/api/v2/broken", "/v2/deals", "/v1/deals", "/api/v2/nowhere"):
                client.get(path, params={"api_token": SECRET})
            client.get("/v2/deals", params={"api_token": "wrong-" + SECRET})
    out, err = capfd.readouterr()
    # The emulator's own records (the test's HTTP client logs its URLs: not ours).
    logged = "\n".join(
        f"{r.getMessage()} {r.exc_text or ''}"
        for r in caplog.records
        if r.name.startswith("pdsync")
    )
    assert "emulator handler failed" in logged  # the failure itself is logged …
    assert SECRET not in logged + out + err  # … without the token
