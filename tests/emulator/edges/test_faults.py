from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
from edge_fixtures import TOKEN, MakeHarness

from pdsync.emulator.fault_spec import FAULT_KINDS, parse_fault_spec
from pdsync.emulator.faults import FaultInjector
from pdsync.errors import ConfigError


def test_spec_parsing_accepts_both_list_styles() -> None:
    spec = parse_fault_spec("rate=0.2,kinds=500,503,reset,timeout_s=0.5")
    assert (spec.rate, spec.kinds, spec.timeout_s) == (0.2, ("500", "503", "reset"), 0.5)
    assert parse_fault_spec("rate=0.1,kinds=502|null_data").kinds == ("502", "null_data")
    assert parse_fault_spec("rate=0.1").kinds == FAULT_KINDS
    assert not parse_fault_spec(None).active


@pytest.mark.parametrize(
    "text",
    ["rate=2", "rate=abc", "kinds=418", "speed=3", "0.2", "script=/does/not/exist.yaml"],
)
def test_bad_specs_raise_config_errors_with_a_hint(text: str) -> None:
    with pytest.raises(ConfigError) as caught:
        parse_fault_spec(text)
    assert caught.value.hint


def test_script_rules_are_validated(tmp_path: Path) -> None:
    script = tmp_path / "f.yaml"
    script.write_text("- {fault: '503'}\n")
    with pytest.raises(ConfigError, match="exactly one of"):
        parse_fault_spec(f"script={script}")
    script.write_text("- {fault: '503', request: 0}\n")
    with pytest.raises(ConfigError, match="whole number"):
        parse_fault_spec(f"script={script}")


def test_draws_are_deterministic_per_seed_and_near_the_rate() -> None:
    spec = parse_fault_spec("rate=0.2")

    def sequence(seed: int) -> list[str | None]:
        injector = FaultInjector(spec, seed)
        return [
            (f.kind if (f := injector.draw("GET", "/api/v2/deals")) else None) for _ in range(2000)
        ]

    first, again, other = sequence(7), sequence(7), sequence(8)
    assert first == again
    assert first != other
    failures = sum(1 for kind in first if kind)
    assert 330 <= failures <= 470  # 20 % of 2000, with room for chance
    assert set(Counter(k for k in first if k)) == set(FAULT_KINDS)


def test_script_by_request_number_and_by_match(tmp_path: Path) -> None:
    script = tmp_path / "faults.json"
    script.write_text(
        json.dumps(
            {
                "timeout_s": 0.01,
                "rules": [
                    {"request": 2, "fault": "500"},
                    {"match": "GET /api/v2/deals/*", "nth": 2, "fault": "reset"},
                    {"match": "POST /api/v2/deals", "fault": "503", "apply": True},
                ],
            }
        )
    )
    spec = parse_fault_spec(f"script={script}")
    assert spec.timeout_s == 0.01
    injector = FaultInjector(spec, seed=1)
    calls = [
        ("GET", "/api/v2/deals/1"),
        ("GET", "/api/v2/deals"),
        ("GET", "/api/v2/deals/2"),
        ("GET", "/api/v2/deals/3"),
        ("POST", "/api/v2/deals"),
    ]
    drawn = [injector.draw(method, path) for method, path in calls]
    assert [(f.kind, f.apply) if f else None for f in drawn] == [
        None, ("500", False), ("reset", False), None, ("503", True)
    ]  # fmt: skip


def harness_with(make_harness: MakeHarness, tmp_path: Path, rules: list[dict[str, Any]]) -> Any:
    script = tmp_path / "faults.yaml"
    script.write_text(json.dumps({"timeout_s": 0.25, "rules": rules}))
    return make_harness(faults=f"script={script}")


@pytest.mark.parametrize(("kind", "status"), [("500", 500), ("502", 502), ("503", 503)])
def test_server_error_faults(
    make_harness: MakeHarness, tmp_path: Path, kind: str, status: int
) -> None:
    harness = harness_with(make_harness, tmp_path, [{"request": 1, "fault": kind}])
    with harness.client() as client:
        response = client.get("/api/v2/deals")
        assert client.get("/api/v2/deals").status_code == 200
        stats = client.get("/_emulator/stats").json()
    assert response.status_code == status
    api_calls = [e for e in harness.emulator.seen if e["PATH_INFO"].startswith("/api/")]
    assert len(api_calls) == 1  # the failed request never reached the handler
    assert stats["faults_injected"] == {kind: 1}
    if kind == "502":
        assert response.headers["content-type"] == "text/html"
    else:
        assert response.json()["success"] is False


def test_apply_runs_the_write_although_the_client_sees_the_fault(
    make_harness: MakeHarness, tmp_path: Path
) -> None:
    harness = harness_with(
        make_harness, tmp_path, [{"match": "POST *", "fault": "503", "apply": True}]
    )
    with harness.client() as client:
        response = client.post("/api/v2/deals", json={"title": "Landed"})
    assert response.status_code == 503
    assert any(d["title"] == "Landed" for d in harness.emulator.store.deals.values())


def test_body_faults(make_harness: MakeHarness, tmp_path: Path) -> None:
    rules = [
        {"request": 1, "fault": "malformed"},
        {"request": 2, "fault": "null_data"},
        {"request": 3, "fault": "null_data"},
        {"request": 4, "fault": "timeout"},
    ]
    harness = harness_with(make_harness, tmp_path, rules)
    with harness.client() as client:
        malformed = client.get("/api/v2/deals")
        null_page = client.get("/api/v2/deals")
        single = client.get("/api/v2/deals/1")  # not a list: passes unchanged
        slow = client.get("/api/v2/deals/1")
    with pytest.raises(json.JSONDecodeError):
        malformed.json()
    assert null_page.json()["data"] is None
    assert null_page.json()["additional_data"] == {"next_cursor": "x"}
    assert single.json()["data"]["id"] == 1
    assert slow.status_code == 200 and harness.sleeps == [0.25]


def test_reset_over_wsgi_transport_is_an_httpx_transport_error(
    make_harness: MakeHarness, tmp_path: Path
) -> None:
    harness = harness_with(make_harness, tmp_path, [{"request": 1, "fault": "reset"}])
    with harness.client() as client, pytest.raises(httpx.RemoteProtocolError):
        client.get("/api/v2/deals")


def test_reset_truncated_and_timeout_over_a_real_server(
    make_harness: MakeHarness, tmp_path: Path, serve_wsgi: Callable[[Any], str]
) -> None:
    rules = [
        {"request": 1, "fault": "reset"},
        {"request": 2, "fault": "truncated"},
        {"request": 3, "fault": "timeout"},
    ]
    harness = harness_with(make_harness, tmp_path, rules)
    harness.edges.sleep = __import__("time").sleep  # really hold the response back
    url = serve_wsgi(harness.edges)
    headers = {"x-api-token": TOKEN}
    with httpx.Client(base_url=url, headers=headers, timeout=0.1) as client:
        with pytest.raises(httpx.TransportError):
            client.get("/api/v2/deals")
        with pytest.raises(httpx.TransportError):  # body shorter than Content-Length
            client.get("/api/v2/deals", params={"limit": 500})
        with pytest.raises(httpx.ReadTimeout):
            client.get("/api/v2/deals/1")
        assert client.get("/api/v2/deals/1").status_code == 200
