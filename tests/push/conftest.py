"""Fixtures for push tests: an emulated account, a client on it, and a push runner."""

from __future__ import annotations

import csv
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.config import Connection
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.push import Journal, PlanItem, PushOptions, PushResult, read_rows, run_push

WRITE_PREFIXES = ("add", "update", "delete", "merge", "convert", "post", "put", "patch")


class Account:
    """One emulated Pipedrive account with a pdsync client on it (in-process, no sockets)."""

    def __init__(self, config: EmulatorConfig) -> None:
        self.emulator = Emulator(config)
        self.client = PipedriveClient(
            Connection(api_token=config.token, base_url="http://emulator.test"),
            transport=self.emulator.transport(),
            governor=RateGovernor(burst_limit=100_000, search_limit=100_000),
            sleep=lambda _: None,
        )
        self._raw = httpx.Client(
            transport=self.emulator.transport(),
            base_url="http://emulator.test",
            headers={"x-api-token": config.token},
        )

    def stats(self) -> dict[str, Any]:
        body: dict[str, Any] = self._raw.get("/_emulator/stats").json()
        return body

    def writes(self) -> int:
        ops = self.stats()["requests_by_operation"]
        return sum(n for op, n in ops.items() if op.lower().startswith(WRITE_PREFIXES))

    def get(self, path: str, version: str = "v2", **params: Any) -> Any:
        return self.client.request("GET", path, version=version, params=params)["data"]  # type: ignore[arg-type]

    def field_code(self, entity: str, name: str) -> str:
        for field in self.get(f"{entity}Fields"):
            if field["field_name"] == name:
                return str(field["field_code"])
        raise KeyError(name)

    def close(self) -> None:
        self.client.close()
        self._raw.close()


@pytest.fixture
def account() -> Iterator[Account]:
    acct = Account(EmulatorConfig(seed=1, deals=50, rate_limits=False))
    yield acct
    acct.close()


def write_csv(path: Path, rows: list[dict[str, Any]]) -> Path:
    columns: list[str] = []
    for row in rows:
        columns += [c for c in row if c not in columns]
    with open(path, "w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=columns)
        writer.writeheader()
        writer.writerows(rows)
    return path


def write_jsonl(path: Path, rows: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(r) + "\n" for r in rows), encoding="utf-8")
    return path


Push = Callable[..., tuple[PushResult, list[PlanItem]]]


@pytest.fixture
def push(account: Account, tmp_path: Path) -> Push:
    """Run a push of ``rows`` (written as CSV) and return the result and every row's item."""

    def run(
        object_name: str,
        rows: list[dict[str, Any]] | Path,
        journal: Path | None = None,
        **options: Any,
    ) -> tuple[PushResult, list[PlanItem]]:
        source = rows if isinstance(rows, Path) else write_csv(tmp_path / "input.csv", rows)
        dry_run = bool(options.get("dry_run"))
        opts = PushOptions(object_name, **options)
        with Journal(journal, dry_run=dry_run) as jrnl:
            result = run_push(account.client, read_rows(str(source)), opts, jrnl)
            items = list(jrnl.items())
        return result, items

    return run
