"""Deliver events through the real destination and worker against an emulator with faults.

One emulator per run, with a fault script (``match`` globs and ``nth``, counted from
the first delivery request on: setup only creates fields, which no rule matches). The
API client retries nothing by default (``client_retries=0``), so every fault reaches
the destination and the worker, whose clock is fake: backoff costs no real time.
"""

from __future__ import annotations

import copy
import json
import random
from collections.abc import Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.retry import RetryPolicy
from pdsync.config import Connection
from pdsync.events_dest.config import EventsConfig, build_events_config
from pdsync.events_dest.model import parse_event
from pdsync.events_dest.outbox import DeadLetter, Outbox, Status
from pdsync.events_dest.rules import PipedriveDestination
from pdsync.events_dest.worker import DeliveryWorker

from .conftest import FakeClock
from .emulated import GROUP_FIELD, USER_FIELD, create_fields, emulator
from .readback import Readback

MAX_ATTEMPTS = 4


@dataclass
class Delivered:
    status: Status
    dead: list[DeadLetter]
    results: dict[str, Any]  # messageId -> the destination's result (delivered ones)
    pipedrive: Readback
    user_key: str
    group_key: str
    faults: int


def deliver_all(
    client: PipedriveClient,
    cfg: EventsConfig,
    outbox: Outbox,
    clock: FakeClock,
    events: Sequence[Mapping[str, Any]],
) -> None:
    """Queue ``events`` and run the real worker until none is pending (fake clock: backoff
    costs no real time)."""
    outbox.insert([parse_event(copy.deepcopy(dict(e))) for e in events])
    worker = DeliveryWorker(
        outbox,
        PipedriveDestination(client, cfg, outbox),
        retry=cfg.retry,
        clock=clock,
        sleep=clock.sleep,
        rng=random.Random(3),
    )
    assert worker.drain(timeout=3600), "events still pending"


def events_config(tmp_path: Path, **extra: Any) -> EventsConfig:
    return build_events_config(
        {
            "user_id_field": USER_FIELD,
            "group_id_field": GROUP_FIELD,
            "create_users": True,
            "max_attempts": MAX_ATTEMPTS,
            "backoff_base": 1.0,
            "backoff_max": 30.0,
            **extra,
        },
        base=tmp_path,
    )


@contextmanager
def deliver_with_faults(
    tmp_path: Path,
    rules: Sequence[Mapping[str, Any]],
    events: Sequence[Mapping[str, Any]],
    *,
    client_retries: int = 0,
    **config: Any,
) -> Iterator[Delivered]:
    script = tmp_path / "faults.json"
    script.write_text(json.dumps({"timeout_s": 1.0, "rules": list(rules)}))
    with emulator(deals=5, faults=f"script={script}") as srv:
        setup = PipedriveClient(Connection(api_token=srv.config.token, base_url=srv.url))
        create_fields(setup)
        setup.close()
        client = PipedriveClient(
            Connection(api_token=srv.config.token, base_url=srv.url),
            timeout=0.5,  # shorter than a `timeout` fault's 1 s hold
            retry=RetryPolicy(max_retries=client_retries, base_delay=0.001, max_delay=0.002),
            sleep=lambda _seconds: None,
        )
        cfg = events_config(tmp_path, **config)
        clock = FakeClock()
        outbox = Outbox(tmp_path / "outbox.db", clock=clock)
        readback = Readback(srv.url, srv.config.token)
        try:
            deliver_all(client, cfg, outbox, clock, events)
            results = {}
            for event in events:
                state, result, _ = outbox.result_of(str(event["messageId"]))
                if state == "delivered":
                    results[str(event["messageId"])] = result
            yield Delivered(
                status=outbox.status(),
                dead=outbox.dead_letters(),
                results=results,
                pipedrive=readback,
                user_key=readback.field_key("personFields", USER_FIELD),
                group_key=readback.field_key("organizationFields", GROUP_FIELD),
                faults=readback.faults_injected(),
            )
        finally:
            readback.close()
            outbox.close()
            client.close()
