"""Fixtures of the listen tests: an emulated account over HTTP and a listener on a replica."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.live.journal import Journal
from pdsync.live.service import ListenOptions, ListenService

from .account import STREAMS

FAST_RETRIES = (0.2, 0.5, 1.0)  # Pipedrive waits 3, 30 and 150 s


@pytest.fixture(autouse=True)
def fresh_governors() -> Iterator[None]:
    RateGovernor.forget_all()
    yield
    RateGovernor.forget_all()


def emulator_config(faults: str | None = None, seed: int = 7) -> EmulatorConfig:
    return EmulatorConfig(
        seed=seed,
        deals=30,
        rate_limits=False,
        webhook_retry_delays=FAST_RETRIES,
        webhook_timeout=5.0,
        webhook_faults=faults,
    )


def api_for(server: EmulatorServer) -> httpx.Client:
    """Writes and listings straight into the emulator (no socket); webhooks still go out by HTTP."""
    return httpx.Client(
        transport=server.emulator.transport(),
        base_url="http://emulator",
        headers={"x-api-token": server.config.token},
    )


def client_for(server: EmulatorServer) -> PipedriveClient:
    return PipedriveClient(Connection(api_token=server.config.token, base_url=server.url))


ListenerFactory = Callable[..., ListenService]


@pytest.fixture
def start_listener(tmp_path: Path) -> Iterator[ListenerFactory]:
    """``start_listener(server, **options)``: a running listener on ``tmp_path/replica.db``."""
    opened: list[tuple[ListenService, Journal, PipedriveClient, object]] = []

    def start(server: EmulatorServer, **options: object) -> ListenService:
        destination = open_destination(f"sqlite:///{tmp_path / 'replica.db'}")
        journal = Journal(tmp_path / "replica.db.listen")
        client = client_for(server)
        settings: dict[str, object] = {
            "streams": tuple(STREAMS),
            "port": 0,
            "catch_up_every": None,
            **options,
        }
        service = ListenService(client, destination, journal, ListenOptions(**settings))  # type: ignore[arg-type]
        opened.append((service, journal, client, destination))
        return service.start()

    yield start
    for service, journal, client, destination in opened:
        service.stop()
        journal.close()
        client.close()
        destination.close()  # type: ignore[attr-defined]


def settle(server: EmulatorServer, service: ListenService, timeout: float = 20.0) -> None:
    """Wait until the emulator sent everything and the listener applied it."""
    assert server.emulator.edges.webhooks.wait_idle(timeout), "emulator deliveries still pending"
    assert service.wait_idle(timeout), f"listener not idle: {service.snapshot()}"
