"""`pdsync api` end to end against a real emulator server."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.operations import OperationCatalog


@pytest.fixture(scope="module")
def account() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=1100, seed=3, rate_limits=False)) as server:
        yield server


def run(server: EmulatorServer, *args: str, level: str = "warning") -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        ["--log-level", level, "api", *args, "--base-url", server.url],
        env={"PIPEDRIVE_API_TOKEN": server.config.token},
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr


def stats(server: EmulatorServer) -> dict[str, Any]:
    answer = httpx.get(
        f"{server.url}/_emulator/stats", headers={"x-api-token": server.config.token}
    )
    return dict(answer.json())


def listing(server: EmulatorServer, path: str) -> list[dict[str, Any]]:
    """Every record of a list, paged here by hand (not by pdsync)."""
    records: list[dict[str, Any]] = []
    params: dict[str, Any] = {"limit": 100}
    with httpx.Client(base_url=server.url, headers={"x-api-token": server.config.token}) as http:
        while True:
            body = http.get(path, params=params).json()
            records += body["data"] or []
            extra = body.get("additional_data") or {}
            if extra.get("next_cursor"):
                params["cursor"] = extra["next_cursor"]
            elif (extra.get("pagination") or {}).get("more_items_in_collection"):
                params["start"] = extra["pagination"]["next_start"]
            else:
                return records


def test_get_with_filters(account: EmulatorServer) -> None:
    code, out, err = run(account, "/api/v2/deals", "-f", "status=won", "-F", "limit=5")
    assert code == 0, err
    body = json.loads(out)
    assert 0 < len(body["data"]) <= 5
    assert {deal["status"] for deal in body["data"]} == {"won"}


def test_v1_recents_with_appseconnect_filters(account: EmulatorServer) -> None:
    args = ["/v1/recents", "-f", "since_timestamp=2000-01-01 00:00:00", "-f", "items=deal"]
    code, out, err = run(account, *args, "-f", "limit=3", "--jq", ".data | length")
    assert code == 0, err
    assert out.strip() == "3"


@pytest.mark.parametrize("path", ["/api/v2/deals", "/v1/notes"])
def test_paginate_gets_every_record(account: EmulatorServer, path: str) -> None:
    code, out, err = run(account, path, "--paginate")
    assert code == 0, err
    got = [record["id"] for record in json.loads(out)]
    truth = [record["id"] for record in listing(account, path)]
    assert len(truth) > 500  # more than one page of 500
    assert sorted(got) == sorted(truth) and len(set(got)) == len(got)


def test_paginate_as_json_lines(account: EmulatorServer) -> None:
    code, out, _ = run(account, "/api/v2/persons", "--paginate", "--jsonl", "--jq", ".id")
    assert code == 0
    assert len(out.splitlines()) == len(listing(account, "/api/v2/persons"))


def test_write_methods_with_bodies(account: EmulatorServer, tmp_path: Path) -> None:
    code, out, err = run(
        account, "POST", "/api/v2/deals", "-f", "title=From the CLI", "-F", "value=1200"
    )
    assert code == 0, err
    deal = json.loads(out)["data"]
    assert deal["title"] == "From the CLI" and deal["value"] == 1200
    body = tmp_path / "patch.json"
    body.write_text(json.dumps({"title": "Renamed"}))
    code, out, err = run(
        account, "PATCH", f"/api/v2/deals/{deal['id']}", "--input", str(body), "-F", "value=99"
    )
    assert code == 0, err
    assert json.loads(out)["data"]["title"] == "Renamed"
    code, out, err = run(account, "DELETE", f"/api/v2/deals/{deal['id']}")
    assert code == 0, err
    assert json.loads(out)["data"]["id"] == deal["id"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["/v1/recents", "-f", "since_timestamp=2000-01-01", "-f", "items=nope"], "must be one of"),
        (["/v1/recents"], "missing required query parameter 'since_timestamp'"),
        (["POST", "/api/v2/deals", "-F", "value=5"], "missing required body property 'title'"),
        (["/api/v2/dealz"], "no path /api/v2/dealz"),
        (["PUT", "/api/v2/deals/1"], "PUT is not an operation"),
        (["/api/v2/deals", "-f", "limt=2"], "did you mean 'limit'"),
        (["/api/v2/deals/abc"], "must be integer"),
    ],
)
def test_a_refused_request_spends_nothing(
    account: EmulatorServer, args: list[str], message: str
) -> None:
    before = stats(account)["total_requests"]
    code, out, err = run(account, *args)
    assert code == 2 and message in err and out == ""
    assert stats(account)["total_requests"] == before  # /_emulator/ calls are not counted


def test_pipedrive_errors_map_to_exit_codes(account: EmulatorServer) -> None:
    code, _, err = run(account, "/api/v2/deals/987654321")
    assert code == 3 and "not found" in err.lower()


def test_include_shows_status_and_headers_without_secrets(account: EmulatorServer) -> None:
    code, out, _ = run(account, "-i", "/v1/users/me", level="debug")
    assert code == 0
    assert out.startswith("HTTP 200")
    assert "content-type: application/json" in out.lower()


def test_the_token_never_appears(account: EmulatorServer) -> None:
    for args in (["/v1/users/me", "-i"], ["/api/v2/deals", "--paginate"], ["/api/v2/nope"]):
        for level in ("debug", "info", "warning"):
            _, out, err = run(account, *args, level=level)
            assert account.config.token not in out + err


def test_server_errors_are_retried_for_reads() -> None:
    faults = "rate=0.5,kinds=500|503"
    with EmulatorServer(EmulatorConfig(deals=50, seed=9, rate_limits=False, faults=faults)) as srv:
        code, out, err = run(srv, "/api/v2/deals", "--paginate")
        assert code == 0, err
        assert len(json.loads(out)) == len(listing_with_retries(srv))


def listing_with_retries(server: EmulatorServer) -> list[int]:
    for _ in range(20):
        try:
            return [r["id"] for r in listing(server, "/api/v2/deals")]
        except (KeyError, json.JSONDecodeError, TypeError):
            continue
    raise AssertionError("the emulator failed 20 listings in a row")


def test_list_operations(account: EmulatorServer) -> None:
    code, out, _ = run(account, "--list", "recents")
    assert code == 0 and "/api/v1/recents" in out and " 20 " in out


def test_catalog_matches_literal_before_parameter() -> None:
    op, values = OperationCatalog.load().match("GET", "/v1/deals/summary")
    assert op.id == "getDealsSummary" and values == {}
    op, values = OperationCatalog.load().match("get", "/api/v2/deals/42/followers")
    assert op.id == "getDealFollowers" and values == {"id": "42"}
