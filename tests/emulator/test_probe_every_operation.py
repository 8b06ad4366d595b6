"""Probe every current operation of the official specs, as an outside tester would.

The list comes from ENDPOINTS.tsv (Pipedrive's specs, not the emulator's router): each
operation is called with plausible ids, reads first, then writes with an empty body.
None may answer ``Unknown method``, ``405`` or a 5xx; whatever it answers must be JSON
in Pipedrive's envelope (or a file download).
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig

TSV = Path(__file__).resolve().parents[2] / "specs" / "pipedrive-openapi" / "ENDPOINTS.tsv"
ORDER = {"GET": 0, "POST": 1, "PUT": 2, "PATCH": 3, "DELETE": 4}


def current_operations() -> list[tuple[str, str]]:
    with TSV.open() as handle:
        rows = [r for r in csv.DictReader(handle, delimiter="\t") if r["deprecated"] != "yes"]
    ops = [(r["method"], r["path"]) for r in rows if r["path"].startswith("/api/")]
    return sorted(ops, key=lambda op: (ORDER[op[0]], op[1]))


@pytest.fixture(scope="module")
def client() -> Iterator[httpx.Client]:
    emulator = Emulator(EmulatorConfig(deals=120, seed=4, rate_limits=False))
    headers = {"x-api-token": emulator.config.token}
    with httpx.Client(
        transport=emulator.transport(), base_url="http://emulator", headers=headers
    ) as http:
        yield http


def concrete(path: str, value: str) -> str:
    return re.sub(r"\{[^}]+\}", value, path)


def test_the_list_is_the_whole_current_api() -> None:
    assert len(current_operations()) > 350  # ENDPOINTS.tsv read whole (353 API operations)


@pytest.mark.parametrize("id_value", ["1", "2"])
def test_no_current_operation_is_unknown_refused_or_broken(
    client: httpx.Client, id_value: str
) -> None:
    problems = []
    for method, path in current_operations():
        url = concrete(path, id_value)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        response = client.request(method, url, json=body)
        text = response.text[:160]
        if response.status_code == 405 or response.status_code >= 500:
            problems.append(f"{method} {url}: {response.status_code} {text}")
        elif "Unknown method" in text:
            problems.append(f"{method} {url}: Unknown method")
        elif response.headers.get("content-type", "").startswith("application/json"):
            payload = response.json()
            if not isinstance(payload, dict) or (
                "success" not in payload and "data" not in payload
            ):
                problems.append(f"{method} {url}: not Pipedrive's envelope: {text}")
    assert problems == []
