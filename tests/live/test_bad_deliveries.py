"""Deliveries that must be refused get the right status and a log line; none stops the listener."""

from __future__ import annotations

import json
import logging
import sqlite3
from pathlib import Path
from typing import Any

import httpx
import pytest

from pdsync.emulator.server import EmulatorServer
from pdsync.errors import DestinationError
from pdsync.live.credentials import Credentials
from pdsync.live.journal import JournalError
from pdsync.live.service import ListenService

from .conftest import ListenerFactory, api_for, emulator_config, settle

UNKNOWN_FIELD = "f" * 40


def delivery(entity: str, entity_id: Any, data: Any, event: str = "e-1", **meta: Any) -> bytes:
    body = {
        "meta": {
            "action": "change",
            "entity": entity,
            "entity_id": str(entity_id),
            "id": event,
            "timestamp": "2099-01-01T00:00:00.000Z",
            "version": "2.0",
            "attempt": 1,
            **meta,
        },
        "data": data,
        "previous": {},
    }
    return json.dumps(body).encode()


@pytest.fixture
def listener(start_listener: ListenerFactory) -> Any:
    with EmulatorServer(emulator_config(seed=4)) as server:
        service = start_listener(server, register=False)
        settle(server, service)
        yield server, service


def post(
    service: ListenService, body: bytes, auth: tuple[str, str] | None = None
) -> httpx.Response:
    creds = auth or (service.credentials.user, service.credentials.password)
    return httpx.post(
        service.receiver.url + "/pipedrive",
        content=body,
        auth=creds,
        headers={"Content-Type": "application/json"},
    )


def test_refusals(listener: Any, caplog: pytest.LogCaptureFixture) -> None:
    _server, service = listener
    caplog.set_level(logging.INFO)
    url = service.receiver.url
    good = delivery("deal", 1, {"id": 1, "title": "Secret Person Name", "update_time": None})

    anonymous = httpx.post(url + "/pipedrive", content=good)
    assert anonymous.status_code == 401 and "Basic" in anonymous.headers["WWW-Authenticate"]
    assert post(service, good, (service.credentials.user, "wrong")).status_code == 401
    assert post(service, b"{not json").status_code == 400
    assert post(service, b'{"meta": {"id": "x"}}').status_code == 400
    assert post(service, delivery("deal", 1, "not an object")).status_code == 400
    assert post(service, delivery("note", 5, {"id": 5})).status_code == 422  # not followed
    huge = httpx.post(url + "/pipedrive", content=b"x" * (1024 * 1024 + 10), auth=("a", "b"))
    assert huge.status_code == 413
    assert httpx.get(url + "/pipedrive").status_code == 405
    assert httpx.get(url + "/nothing").status_code == 404
    assert httpx.get(url + "/health").json() == {"status": "ok"}

    rejected = httpx.get(url + "/status").json()["rejected"]
    assert rejected == {"401": 2, "400": 3, "422": 1, "413": 1}
    refusals = [r for r in caplog.records if r.getMessage().startswith("refused a delivery")]
    assert len(refusals) == 7
    text = caplog.text
    assert "Secret Person Name" not in text and service.credentials.password not in text
    assert service.error is None


def test_duplicates_unknown_fields_and_unusable_records(
    listener: Any, caplog: pytest.LogCaptureFixture, tmp_path: Path
) -> None:
    server, service = listener
    with api_for(server) as api:
        deal = api.get("/api/v2/deals/3").raise_for_status().json()["data"]
    deal["title"] = "from a hand-made delivery"
    deal["update_time"] = "2099-01-01T00:00:00Z"
    deal["custom_fields"] = {UNKNOWN_FIELD: {"type": "varchar", "value": "x"}}  # deleted field
    body = delivery("deal", 3, deal, event="with-unknown-field")
    first, again = post(service, body), post(service, body)
    assert first.status_code == 200 and first.json() == {"ok": True, "duplicate": False}
    assert again.status_code == 200 and again.json()["duplicate"] is True
    no_id = delivery("deal", 9, {"title": "no id"}, event="no-id")  # cannot become a row
    assert post(service, no_id).status_code == 200
    assert service.wait_idle(20)

    with sqlite3.connect(tmp_path / "replica.db") as conn:
        title = conn.execute("SELECT title FROM deals WHERE id = 3").fetchone()[0]
    assert title == "from a hand-made delivery"
    status = service.snapshot()
    assert status["duplicates"] == 1 and status["failed"] == 1
    assert status["catch_ups"] == 2  # the unknown field asked for a catch-up
    assert any(UNKNOWN_FIELD[:8] in r.getMessage() for r in caplog.records)
    assert service.error is None


def test_storage_failure_answers_503_and_asks_for_a_catch_up(
    listener: Any, monkeypatch: pytest.MonkeyPatch
) -> None:
    _server, service = listener

    def full_disk(*args: Any) -> bool:
        raise JournalError("The delivery could not be journaled: disk I/O error")

    monkeypatch.setattr(service.journal, "append", full_disk)
    answer = post(service, delivery("deal", 1, {"id": 1}, event="lost"))
    assert answer.status_code == 503  # Pipedrive retries it later
    monkeypatch.undo()
    assert service.wait_idle(20)
    status = service.snapshot()
    assert status["rejected"] == {"503": 1}
    assert status["catch_ups"] == 2
    assert status["last_catch_up"]["reason"] == "deliveries could not be journaled"


def test_a_refused_replica_write_is_retried(
    listener: Any, monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    _server, service = listener
    real = service.destination.write_batch
    calls: list[int] = []

    def locked_once(batch: Any) -> Any:
        calls.append(1)
        if len(calls) == 1:
            raise DestinationError("database is locked")
        return real(batch)

    monkeypatch.setattr(service.destination, "write_batch", locked_once)
    data = {"id": 2, "title": "after a retry", "update_time": "2099-01-01T00:00:00Z"}
    assert post(service, delivery("deal", 2, data, event="retry-me")).status_code == 200
    assert service.wait_idle(20)
    with sqlite3.connect(tmp_path / "replica.db") as conn:
        title = conn.execute("SELECT title FROM deals WHERE id = 2").fetchone()[0]
    assert title == "after a retry" and len(calls) == 2
    assert service.snapshot()["failed"] == 0


def test_credentials_of_self_managed_webhooks(start_listener: ListenerFactory) -> None:
    mine = Credentials("my-webhooks", "a-password-of-my-own-1234")
    with EmulatorServer(emulator_config(seed=4)) as server:
        service = start_listener(server, register=False, credentials=mine)
        settle(server, service)
        body = delivery("deal", 1, {"id": 1, "title": "x"}, event="mine")
        assert post(service, body, ("my-webhooks", "a-password-of-my-own-1234")).status_code == 200
        assert post(service, body, ("my-webhooks", "another-password-0000")).status_code == 401
        assert service.journal.get("auth_password") is None  # nothing generated or stored


def test_a_delete_before_its_create_brings_the_last_state_marked(
    listener: Any, tmp_path: Path
) -> None:
    """Deliveries run in parallel: a record's delete can overtake its create. The delete's
    ``previous`` is the record's last state, so the row still arrives, whole and marked;
    the late create is older and changes nothing."""
    server, service = listener
    with api_for(server) as api:
        record = api.get("/api/v2/deals/5").raise_for_status().json()["data"]
    record = {**record, "id": 987_654, "title": "Overtaken by its delete"}
    gone = {
        "meta": {"action": "delete", "entity": "deal", "entity_id": "987654", "id": "e-del",
                 "timestamp": "2099-01-01T00:00:01.000Z", "version": "2.0", "attempt": 1},
        "data": None,
        "previous": record,
    }  # fmt: skip
    assert post(service, json.dumps(gone).encode()).status_code == 200
    created = delivery("deal", 987_654, record, event="e-create", action="create")
    created = created.replace(b"2099-01-01T00:00:00.000Z", b"2098-01-01T00:00:00.000Z")
    assert post(service, created).status_code == 200
    assert service.wait_idle(20.0)
    with sqlite3.connect(tmp_path / "replica.db") as conn:
        row = conn.execute(
            "SELECT title, is_deleted, _pdsync_deleted_at FROM deals WHERE id = 987654"
        ).fetchone()
    assert row is not None and row[0] == "Overtaken by its delete"
    assert row[1] == 1 and row[2] is not None
