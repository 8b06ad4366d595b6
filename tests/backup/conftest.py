"""Fixtures for backup tests: an emulated account (in process) and the CLI on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from click.testing import CliRunner

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.backup import Store, open_account_store
from pdsync.cli import main
from pdsync.config import Connection
from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

WRITE_PREFIXES = ("add", "update", "delete", "merge", "post", "put", "patch")


class Account:
    """One emulated Pipedrive account with a pdsync client on it (no sockets)."""

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

    def operations(self) -> dict[str, int]:
        stats: dict[str, Any] = self._raw.get("/_emulator/stats").json()
        return dict(stats["requests_by_operation"])

    def writes(self) -> int:
        ops = self.operations()
        return sum(n for op, n in ops.items() if op.lower().startswith(WRITE_PREFIXES))

    def close(self) -> None:
        self.client.close()
        self._raw.close()


@pytest.fixture
def account() -> Iterator[Account]:
    acct = Account(EmulatorConfig(seed=3, deals=40, rate_limits=False))
    yield acct
    acct.close()


@pytest.fixture
def store(account: Account, tmp_path: Path) -> Store:
    return open_account_store(account.client, tmp_path / "backups", create=True)


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=30, seed=4, rate_limits=False)) as running:
        yield running


@pytest.fixture(autouse=True)
def unthrottled(monkeypatch: pytest.MonkeyPatch) -> None:
    """The emulator runs without rate limits here: the CLI's client need not pace itself."""
    fast = RateGovernor(burst_limit=100_000, search_limit=100_000)
    monkeypatch.setattr(RateGovernor, "for_token", classmethod(lambda cls, key: fast))


def run_cli(
    server: EmulatorServer, *args: str, env: dict[str, str | None] | None = None
) -> tuple[int, str, str]:
    result = CliRunner().invoke(
        main,
        list(args),
        env={
            "PIPEDRIVE_API_TOKEN": server.config.token,
            "PIPEDRIVE_BASE_URL": server.url,
            "PDSYNC_BACKUP_PASSPHRASE": None,
            **(env or {}),
        },
        catch_exceptions=False,
    )
    return result.exit_code, result.stdout, result.stderr
