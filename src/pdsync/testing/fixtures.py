"""pytest plugin: a real emulator server per test.

Enable with ``pytest_plugins = ["pdsync.testing.fixtures"]``. ``emulator_config`` is a
small account (1,000 deals, seed 1, rate limits on); override the fixture in a
conftest to change it. ``emulator_server`` serves it over real HTTP on an ephemeral port.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer


@pytest.fixture
def emulator_config() -> EmulatorConfig:
    return EmulatorConfig(seed=1, deals=1_000)


@pytest.fixture
def emulator_server(emulator_config: EmulatorConfig) -> Iterator[EmulatorServer]:
    with EmulatorServer(emulator_config) as server:
        yield server
