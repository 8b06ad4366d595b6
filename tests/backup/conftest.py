"""Fixtures for backup tests: an emulated account (in process) and the CLI on a real server."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pdsync.api.ratelimit import RateGovernor
from pdsync.backup import Store, open_account_store
from pdsync.cli import main
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from push.conftest import WRITE_PREFIXES  # tests/ is on sys.path: one Account for both
from push.conftest import Account as PushAccount

__all__ = ["WRITE_PREFIXES", "Account", "run_cli"]


class Account(PushAccount):
    """One emulated Pipedrive account with a pdsync client on it (no sockets)."""

    def operations(self) -> dict[str, int]:
        return dict(self.stats()["requests_by_operation"])


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
