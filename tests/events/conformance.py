"""Shared parts of the document conformance suite (test_conformance_identify.py and
test_document_conformance.py): the RudderStack Pipedrive document's payloads verbatim,
the emulated account the rows run against, and the helpers that deliver events through
the outbox and the real worker and read Pipedrive back by plain HTTP.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.events_dest.outbox import Outbox

from .conftest import FakeClock
from .emulated import GROUP_FIELD, PLAN_FIELD, SOURCE_FIELD, USER_FIELD, create_fields, emulator
from .faulted import deliver_all, events_config
from .readback import Readback

# -- the document's examples -------------------------------------------------------
# "Using External Id" (an identify; person 261 stands for a person of the account).
DOC_EXTERNAL_ID: dict[str, Any] = {
    "userId": "sample-user-id",
    "anonymousId": "sample-anon-id",
    "context": {
        "externalId": [{"type": "person_id", "id": 261}],
        "traits": {"name": " New User", "email": "user@email.com"},
        "ip": "0.0.0.0",
        "library": {"name": "http"},
    },
    "timestamp": "2020-02-02T00:23:09.544Z",
}
# "Alias" with external ids (271 and 272 stand for two persons of the account).
DOC_ALIAS: dict[str, Any] = {
    "anonymousId": "sample-anon-id",
    "previousId": "",
    "userId": "",
    "context": {
        "externalId": [
            {"type": "prev_person_id", "id": 271},
            {"type": "curr_person_id", "id": 272},
        ],
        "traits": {"name": "Updated Username"},
        "ip": "14.5.67.21",
        "library": {"name": "http"},
    },
    "timestamp": "2020-01-21T00:21:34.208Z",
}
# The rudderanalytics.* calls of the document, as the events they send.
DOC_IDENTIFY: dict[str, Any] = {"traits": {"name": "John Doe", "email": "john@doe.com"}}
DOC_IDENTIFY_CUSTOM: dict[str, Any] = {
    "traits": {"name": "John Doe", "email": "john@doe.com", "role": "Software Developer"}
}
DOC_TRACK: dict[str, Any] = {
    "event": "Potential Lead",
    "properties": {"value": 1000, "currency": "USD", "expected_close_date": "2021-04-27"},
}

ROLE_TEXT, CITY, INTERESTS, DEPARTMENT = "Role text", "City", "Interests", "Department"
MAPPINGS = {
    "persons": {"role": ROLE_TEXT, "address.city": CITY, "interests": INTERESTS},
    "organizations": {"plan.name": PLAN_FIELD, "department.name": DEPARTMENT},
    "leads": {"utm.source": SOURCE_FIELD},
}
TRACK_OBJECTS = {"Order Completed": "deal", "Demo Booked": "activity", "Feedback": "note"}


@dataclass
class Account:
    url: str
    token: str
    pipedrive: Readback
    keys: dict[str, str]  # field name -> key
    interest_ids: dict[str, int]  # option label -> id

    def new_person(self, name: str, user: str | None = None) -> int:
        body: dict[str, Any] = {"name": name}
        if user:
            body["custom_fields"] = {self.keys[USER_FIELD]: user}
        return int(self.pipedrive.http.post("/api/v2/persons", json=body).json()["data"]["id"])

    def new_org(self, name: str) -> int:
        response = self.pipedrive.http.post("/api/v2/organizations", json={"name": name})
        return int(response.json()["data"]["id"])


@contextmanager
def open_account() -> Iterator[Account]:
    """An emulator with the custom fields the rows map to (one per test module)."""
    with emulator() as srv:
        setup = PipedriveClient(Connection(api_token=srv.config.token, base_url=srv.url))
        create_fields(setup)
        setup.close()
        pipedrive = Readback(srv.url, srv.config.token)
        post = pipedrive.http.post
        post("/api/v2/personFields", json={"field_name": ROLE_TEXT, "field_type": "varchar"})
        post("/api/v2/personFields", json={"field_name": CITY, "field_type": "varchar"})
        options = [{"label": label} for label in ("Golf", "Chess", "Jazz")]
        post(
            "/api/v2/personFields",
            json={"field_name": INTERESTS, "field_type": "set", "options": options},
        )
        post("/api/v2/organizationFields", json={"field_name": DEPARTMENT, "field_type": "varchar"})
        keys = {
            **{n: pipedrive.field_key("personFields", n) for n in (USER_FIELD, ROLE_TEXT, CITY)},
            INTERESTS: pipedrive.field_key("personFields", INTERESTS),
            **{n: pipedrive.field_key("organizationFields", n) for n in (GROUP_FIELD, PLAN_FIELD)},
            DEPARTMENT: pipedrive.field_key("organizationFields", DEPARTMENT),
            SOURCE_FIELD: pipedrive.field_key("dealFields", SOURCE_FIELD),
        }
        interest_field = next(
            f for f in pipedrive.all_v2("/api/v2/personFields") if f["field_name"] == INTERESTS
        )
        ids = {o["label"]: int(o["id"]) for o in interest_field["options"]}
        yield Account(srv.url, srv.config.token, pipedrive, keys, ids)
        pipedrive.close()


@dataclass
class Outcome:
    """What one row's delivery left: states and results by messageId, dead-letter reasons."""

    states: dict[str, str]
    results: dict[str, Any]
    dead: dict[str, str]


def deliver(
    account: Account, tmp_path: Path, events: list[dict[str, Any]], **config: Any
) -> Outcome:
    cfg = events_config(tmp_path, mappings=MAPPINGS, track_objects=TRACK_OBJECTS, **config)
    client = PipedriveClient(Connection(api_token=account.token, base_url=account.url))
    clock = FakeClock()
    outbox = Outbox(tmp_path / f"outbox-{uuid.uuid4().hex[:6]}.db", clock=clock)
    try:
        deliver_all(client, cfg, outbox, clock, events)
        states, results = {}, {}
        for event in events:
            state, result, _ = outbox.result_of(event["messageId"])
            states[event["messageId"]], results[event["messageId"]] = state, result
        dead = {d.message_id: d.reason for d in outbox.dead_letters()}
        assert not any("gave up" in reason for reason in dead.values()), dead  # no anomaly here
        return Outcome(states, results, dead)
    finally:
        outbox.close()
        client.close()


# -- the rows -----------------------------------------------------------------------

Row = Callable[[Account, Path], None]


class Rows(dict[str, Row]):
    """A test module's rows by name; ``@rows.add(name)`` registers one."""

    def add(self, name: str) -> Callable[[Row], Row]:
        def register(fn: Row) -> Row:
            assert name not in self, f"two rows named {name!r}"
            self[name] = fn
            return fn

        return register


def ev(kind: str, **fields: Any) -> dict[str, Any]:
    return {"type": kind, "messageId": f"m-{uuid.uuid4().hex[:12]}", **fields}


def uid(prefix: str = "u") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def only_person(a: Account, user: str) -> dict[str, Any]:
    found = a.pipedrive.persons_with(a.keys[USER_FIELD], user)
    assert len(found) == 1, f"{len(found)} persons hold userId {user!r}"
    return found[0]


def only_org(a: Account, gid: str) -> dict[str, Any]:
    found = a.pipedrive.orgs_with(a.keys[GROUP_FIELD], gid)
    assert len(found) == 1, f"{len(found)} organizations hold groupId {gid!r}"
    return found[0]


def emails(person: dict[str, Any]) -> list[tuple[str, bool]]:
    return [(e["value"], e["primary"]) for e in person["emails"]]
