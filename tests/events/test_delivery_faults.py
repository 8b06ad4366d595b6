"""Transient versus permanent, for every Pipedrive call the event destination makes.

Each row injects faults into one call (emulator fault script) and delivers a few events
through the real destination and worker, then reads Pipedrive back by plain HTTP:

* transient (5xx, reset, timeout, cut-short or non-JSON body, ``data: null``) → the
  event is retried and ends applied exactly once: one person, one lead, …;
* the anomaly persists → dead letter with the reason after ``max_attempts``, and a
  lookup anomaly never led to a create;
* Pipedrive refuses the write (400) → dead letter at once, with Pipedrive's message.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .faulted import MAX_ATTEMPTS, Delivered, deliver_with_faults

Check = Callable[[Delivered], None]


def identify(user: str, mid: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "identify",
        "userId": user,
        "messageId": mid,
        "traits": {"name": user, **traits},
    }


def track(user: str, mid: str, name: str = "Signed Up", **props: Any) -> dict[str, Any]:
    return {"type": "track", "userId": user, "messageId": mid, "event": name, "properties": props}


def group(user: str, gid: str, mid: str, **traits: Any) -> dict[str, Any]:
    return {
        "type": "group",
        "userId": user,
        "groupId": gid,
        "messageId": mid,
        "traits": {"name": f"Org {gid}", **traits},
    }


def rule(match: str, fault: str, nth: int | None = 1, apply: bool = False) -> dict[str, Any]:
    found: dict[str, Any] = {"match": match, "fault": fault, "apply": apply}
    if nth is not None:
        found["nth"] = nth
    return found


def the_person(d: Delivered, user: str) -> dict[str, Any]:
    found = d.pipedrive.persons_with(d.user_key, user)
    assert len(found) == 1, f"{len(found)} persons hold userId {user!r}"
    return found[0]


def one_person(user: str, name: str | None = None) -> Check:
    def check(d: Delivered) -> None:
        person = the_person(d, user)
        assert person["name"] == (name or user)

    return check


def one_lead(user: str, title: str = "Signed Up") -> Check:
    def check(d: Delivered) -> None:
        leads = [x for x in d.pipedrive.leads_of(the_person(d, user)["id"]) if x["title"] == title]
        assert len(leads) == 1, f"{len(leads)} leads"

    return check


def one_org_with(user: str, gid: str) -> Check:
    def check(d: Delivered) -> None:
        orgs = d.pipedrive.orgs_with(d.group_key, gid)
        assert len(orgs) == 1, f"{len(orgs)} organizations hold groupId {gid!r}"
        assert the_person(d, user)["org_id"] == orgs[0]["id"]

    return check


def one_of(kind: str, user: str, **expected: Any) -> Check:
    def check(d: Delivered) -> None:
        person_id = the_person(d, user)["id"]
        records = getattr(d.pipedrive, f"{kind}_of")(person_id)
        assert len(records) == 1, f"{len(records)} {kind}"
        for key, value in expected.items():
            assert records[0][key] == value

    return check


def merged(previous: str, current: str) -> Check:
    def check(d: Delivered) -> None:
        the_person(d, current)
        assert d.pipedrive.persons_with(d.user_key, previous) == []

    return check


@dataclass(frozen=True)
class Row:
    name: str
    rules: list[dict[str, Any]]
    events: list[dict[str, Any]]
    checks: list[Check]
    config: dict[str, Any] = field(default_factory=dict)
    client_retries: int = 0


PERSONS_SEARCH = "GET /api/v2/persons/search"
NEW = [identify("ann", "m1")]
ALIAS_OLD_TO_NEW = [
    identify("old", "m1"),
    identify("new", "m2"),
    {"type": "alias", "previousId": "old", "userId": "new", "messageId": "m3"},
]

TRANSIENT = [
    *(
        Row(f"persons search {kind}", [rule(PERSONS_SEARCH, kind)], NEW, [one_person("ann")])
        for kind in ("null_data", "malformed", "truncated", "reset", "503", "502")
    ),
    *(
        Row(
            f"create person {kind} after it landed",
            [rule("POST /api/v2/persons", kind, apply=True)],
            NEW,
            [one_person("ann")],
        )
        for kind in ("500", "reset")
    ),
    *(
        Row(f"create person {kind}", [rule("POST /api/v2/persons", kind)], NEW, [one_person("ann")])
        for kind in ("malformed", "truncated", "timeout")
    ),
    Row(
        "re-check of a remembered person malformed",
        [rule("GET /api/v2/persons/[0-9]*", "malformed")],
        [identify("ann", "m1"), identify("ann", "m2", name="Ann B")],
        [one_person("ann", "Ann B")],
    ),
    Row(
        "person fields list null_data",
        [rule("GET /api/v*/personFields", "null_data")],
        NEW,
        [one_person("ann")],
    ),
    Row(
        "organization search null_data",
        [rule("GET /api/v2/organizations/search", "null_data")],
        [group("ann", "g1", "m1")],
        [one_org_with("ann", "g1")],
    ),
    Row(
        "adding the person to the organization 500 after it landed",
        [rule("PATCH /api/v2/persons/*", "500", apply=True)],
        [identify("ann", "m1"), group("ann", "g1", "m2")],
        [one_org_with("ann", "g1")],
    ),
    Row(
        "lead create 502 after it landed, then its read-back null_data",
        [rule("POST /api/v1/leads", "502", apply=True), rule("GET /api/v1/leads", "null_data")],
        [track("ann", "m1")],
        [one_lead("ann")],
    ),
    Row(
        "lead create answered with a malformed body",
        [rule("POST /api/v1/leads", "malformed")],
        [track("ann", "m1")],
        [one_lead("ann")],
    ),
    Row(
        "open-deal lookup null_data",
        [rule("GET /api/v2/deals", "null_data", nth=2)],
        [
            track("ann", "m1", "Order Completed", value=10),
            track("ann", "m2", "Order Completed", value=20),
        ],
        [one_of("deals", "ann", value=20)],
        config={"track_objects": {"Order Completed": "deal"}},
    ),
    Row(
        "activity create 500 after it landed, then its read-back null_data",
        [
            rule("POST /api/v2/activities", "500", apply=True),
            rule("GET /api/v2/activities", "null_data"),
        ],
        [track("ann", "m1", "Demo Booked", due_date="2031-01-02")],
        [one_of("activities", "ann", subject="Demo Booked", due_date="2031-01-02")],
        config={"track_objects": {"Demo Booked": "activity"}},
    ),
    Row(
        "note create 503 after it landed, then its read-back null_data",
        [rule("POST /api/v1/notes", "503", apply=True), rule("GET /api/v1/notes", "null_data")],
        [track("ann", "m1", "Feedback", note="Loves it")],
        [one_of("notes", "ann", content="Loves it")],
        config={"track_objects": {"Feedback": "note"}},
    ),
    *(
        Row(
            f"merge {kind} after it landed, {how}",
            [rule("PUT /api/v1/persons/*/merge", kind, apply=True)],
            ALIAS_OLD_TO_NEW,
            [merged("old", "new")],
            client_retries=retries,
        )
        for kind, how, retries in (
            ("502", "repeated by the client (404)", 2),
            ("reset", "event retried", 0),
        )
    ),
]


@pytest.mark.parametrize("row", TRANSIENT, ids=lambda row: row.name)
def test_a_transient_fault_is_retried_and_applied_exactly_once(tmp_path: Path, row: Row) -> None:
    with deliver_with_faults(
        tmp_path, row.rules, row.events, client_retries=row.client_retries, **row.config
    ) as done:
        assert done.faults >= len(row.rules), "a scripted fault never fired"
        assert done.dead == [], [d.reason for d in done.dead]
        assert done.status.delivered == len(row.events)
        for check in row.checks:
            check(done)


def test_a_persistent_null_search_dead_letters_and_creates_nobody(tmp_path: Path) -> None:
    with deliver_with_faults(tmp_path, [rule(PERSONS_SEARCH, "null_data", nth=None)], NEW) as done:
        [letter] = done.dead
        assert letter.attempts == MAX_ATTEMPTS
        assert f"gave up after {MAX_ATTEMPTS} attempts" in letter.reason
        assert "data: null" in letter.reason
        assert done.pipedrive.persons_with(done.user_key, "ann") == []


def test_a_persistently_unreadable_org_search_creates_no_organization(tmp_path: Path) -> None:
    rules = [rule("GET /api/v2/organizations/search", "malformed", nth=None)]
    with deliver_with_faults(tmp_path, rules, [group("ann", "g1", "m1")]) as done:
        [letter] = done.dead
        assert "not JSON" in letter.reason and letter.attempts == MAX_ATTEMPTS
        assert done.pipedrive.orgs_with(done.group_key, "g1") == []


def test_a_lead_read_back_that_keeps_failing_never_writes_a_second_lead(tmp_path: Path) -> None:
    rules = [rule("POST /api/v1/leads", "500", apply=True)]
    # Every read-back (tries 2..MAX_ATTEMPTS) answers null; the test's own read is spared.
    rules += [rule("GET /api/v1/leads", "null_data", nth=n) for n in range(1, MAX_ATTEMPTS)]
    with deliver_with_faults(tmp_path, rules, [track("ann", "m1")]) as done:
        [letter] = done.dead
        assert "data: null" in letter.reason
        one_lead("ann")(done)  # the one that landed; no second


@pytest.mark.parametrize(
    "event",
    [identify("ann", "m1", visible_to=2), group("ann", "g1", "m1", visible_to=2)],
    ids=["identify", "group"],
)
def test_a_validation_error_is_dead_lettered_at_once_with_pipedrives_message(
    tmp_path: Path, event: dict[str, Any]
) -> None:
    with deliver_with_faults(tmp_path, [], [event]) as done:
        [letter] = done.dead
        assert letter.attempts == 1
        assert "The 'visible_to' field must be one of: 1, 3, 5, 7" in letter.reason
        assert done.pipedrive.orgs_with(done.group_key, "g1") == []
