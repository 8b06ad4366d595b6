"""Fixtures for two-way sync tests: an emulated account and a replica to edit with plain SQL."""

from __future__ import annotations

import os
import sqlite3
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.bisync import BisyncRequest, CycleReport, run_cycle
from pdsync.config import Connection
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig

WRITE_PREFIXES = ("add", "update", "delete", "merge")
STREAMS = ("organizations", "persons", "deals")
POSTGRES = os.environ.get("PDSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


class Account:
    """An emulated Pipedrive account (in-process) and the raw HTTP view of it."""

    def __init__(self) -> None:
        self.config = EmulatorConfig(seed=1, deals=40, rate_limits=False)
        self.emulator = Emulator(self.config)
        self.raw = httpx.Client(
            transport=self.emulator.transport(),
            base_url="http://emulator.test",
            headers={"x-api-token": self.config.token},
        )

    def client(self, _name: str | None = None, _on_wait: Any = None) -> PipedriveClient:
        return PipedriveClient(
            Connection(api_token=self.config.token, base_url="http://emulator.test"),
            transport=self.emulator.transport(),
            governor=RateGovernor(burst_limit=100_000, search_limit=100_000),
            sleep=lambda _: None,
        )

    def get(self, stream: str, record_id: Any) -> dict[str, Any]:
        answer = self.raw.get(f"/api/v2/{stream}/{record_id}")
        assert answer.status_code == 200, answer.text
        data: dict[str, Any] = answer.json()["data"]
        return data

    def patch(self, stream: str, record_id: Any, **body: Any) -> None:
        answer = self.raw.patch(f"/api/v2/{stream}/{record_id}", json=body)
        assert answer.status_code == 200, answer.text

    def list(self, stream: str) -> list[dict[str, Any]]:
        data: list[dict[str, Any]] = self.raw.get(
            f"/api/v2/{stream}", params={"limit": 500}
        ).json()["data"]
        return data

    def reset_stats(self) -> None:
        self.raw.post("/_emulator/stats/reset")

    def writes(self) -> int:
        ops = self.raw.get("/_emulator/stats").json()["requests_by_operation"]
        return sum(n for op, n in ops.items() if op.lower().startswith(WRITE_PREFIXES))


@pytest.fixture
def account() -> Iterator[Account]:
    acct = Account()
    yield acct
    acct.raw.close()


Cycle = Callable[..., CycleReport]


@pytest.fixture
def sqlite_target(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'replica.db'}"


@pytest.fixture
def cycle(account: Account, sqlite_target: str) -> Cycle:
    """Run one bisync cycle on the SQLite replica (keyword arguments go to the request)."""

    def run(target: str = sqlite_target, **options: Any) -> CycleReport:
        options.setdefault("streams", STREAMS)
        return run_cycle(BisyncRequest(target=target, **options), client_factory=account.client)

    return run


class Sql:
    """Plain SQL on the replica, as a user (or their app) would write it."""

    def __init__(self, target: str) -> None:
        if target.startswith("sqlite:///"):
            self.conn: Any = sqlite3.connect(target[len("sqlite:///") :], isolation_level=None)
            self.mark = "?"
        else:
            import psycopg

            base, _, schema = target.partition("?schema=")
            self.conn = psycopg.connect(base, autocommit=True)
            self.conn.execute(f'SET search_path TO "{schema}"')
            self.mark = "%s"

    def run(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        cursor = self.conn.execute(sql.replace("?", self.mark), params)
        return list(cursor.fetchall()) if cursor.description else []

    def one(self, sql: str, *params: Any) -> Any:
        rows = self.run(sql, *params)
        return rows[0][0] if rows else None


@pytest.fixture
def sql(sqlite_target: str) -> Iterator[Sql]:
    db = Sql(sqlite_target)
    yield db
    db.conn.close()


@pytest.fixture
def pg_target() -> Iterator[str]:
    psycopg = pytest.importorskip("psycopg")
    try:
        psycopg.connect(POSTGRES, connect_timeout=3).close()
    except psycopg.Error as exc:
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so PostgreSQL tests must run: {exc}")
        pytest.skip(f"no PostgreSQL server at {POSTGRES}")
    schema = f"pdsync_bisync_{uuid.uuid4().hex[:10]}"
    yield f"{POSTGRES}?schema={schema}"
    with psycopg.connect(POSTGRES, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
