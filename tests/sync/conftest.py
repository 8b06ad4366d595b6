"""Fixtures of the sync tests: a small emulated account served over real HTTP, a client."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sync_helpers import make_client

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer


@pytest.fixture(autouse=True)
def fresh_governors() -> Iterator[None]:
    """Governors are shared per token in a process: a spent budget must not leak across tests."""
    RateGovernor.forget_all()
    yield
    RateGovernor.forget_all()


@pytest.fixture
def account() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=150, seed=3, rate_limits=False)) as server:
        yield server


@pytest.fixture
def client(account: EmulatorServer) -> Iterator[PipedriveClient]:
    with make_client(account) as c:
        yield c
