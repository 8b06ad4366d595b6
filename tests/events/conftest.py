"""Shared fixtures for the event destination's tests."""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from pdsync.api.client import PipedriveClient
from pdsync.events_dest.config import EventsConfig, RetrySettings
from pdsync.events_dest.model import Event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.rules import PipedriveDestination
from pdsync.events_dest.service import EventsService

from .emulated import client_for, create_fields, emulator

WRITE_KEY = "wk-test-0123456789"


class RecordingDeliverer:
    """Records what it delivered; can be told to fail."""

    def __init__(self) -> None:
        self.delivered: list[Event] = []
        self.failures: list[Exception] = []
        self.lock = threading.Lock()
        self.arrived = threading.Condition(self.lock)

    def deliver(self, event: Event, *, first_try: bool = True) -> dict[str, Any]:
        with self.lock:
            if self.failures:
                raise self.failures.pop(0)
            self.delivered.append(event)
            self.arrived.notify_all()
        return {"action": "recorded"}

    def wait_for(self, count: int, timeout: float = 10.0) -> list[Event]:
        with self.lock:
            self.arrived.wait_for(lambda: len(self.delivered) >= count, timeout=timeout)
            return list(self.delivered)


class FakeClock:
    def __init__(self, now: float = 1_000_000.0) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.now += seconds


def wait_until(predicate: Callable[[], bool], timeout: float = 10.0) -> None:
    """Poll a condition another thread makes true (short real waits, bounded)."""
    deadline = time.monotonic() + timeout
    while not predicate():
        assert time.monotonic() < deadline, "condition not reached in time"
        time.sleep(0.01)


def auth(key: str = WRITE_KEY) -> dict[str, str]:
    token = base64.b64encode(f"{key}:".encode()).decode()
    return {"Authorization": f"Basic {token}"}


def post(url: str, path: str, body: Any, headers: dict[str, str] | None = None) -> httpx.Response:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    hdrs = {"Content-Type": "application/json", **(auth() if headers is None else headers)}
    return httpx.post(url + path, content=data, headers=hdrs, timeout=10)


@pytest.fixture
def config(tmp_path: Path) -> EventsConfig:
    return EventsConfig(
        write_key=WRITE_KEY,
        user_id_field="App user id",
        group_id_field="App group id",
        create_users=True,
        outbox=tmp_path / "outbox.db",
        retry=RetrySettings(max_attempts=3, backoff_base=1.0, backoff_max=10.0),
    )


@pytest.fixture
def outbox(config: EventsConfig) -> Iterator[Outbox]:
    box = Outbox(config.outbox)
    yield box
    box.close()


@pytest.fixture
def deliverer() -> RecordingDeliverer:
    return RecordingDeliverer()


@pytest.fixture
def service(
    config: EventsConfig, outbox: Outbox, deliverer: RecordingDeliverer
) -> Iterator[EventsService]:
    with EventsService(config, deliverer, port=0, outbox=outbox) as svc:
        yield svc


@pytest.fixture(scope="module")
def account() -> Iterator[Any]:
    """The emulated account of the document conformance rows (one per test module)."""
    from .conformance import open_account  # it imports this module's FakeClock

    with open_account() as opened:
        yield opened


# -- an emulated account with the fields the rules tests map to ------------------------
# (``config`` is each rules module's own: its mappings differ.)


@pytest.fixture(scope="module")
def client() -> Iterator[PipedriveClient]:
    with emulator() as srv:
        api = client_for(srv)
        create_fields(api)
        yield api
        api.close()


@pytest.fixture
def dest(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> Iterator[PipedriveDestination]:
    box = Outbox(tmp_path / "ids.db")
    yield PipedriveDestination(client, config, box)
    box.close()
