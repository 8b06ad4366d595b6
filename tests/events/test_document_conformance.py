"""Conformance with the RudderStack Pipedrive destination document, read back from Pipedrive.

Every payload of the document (its JSON examples verbatim, its ``rudderanalytics.*``
calls restated as events) and every branch of the mapping (identify, group, track,
alias; found / not found / creation on and off; external ids; custom fields, nested
and arrays; timestamps; email and phone shapes) is one row. Each row sends its events
through the outbox and the delivery worker to the emulator, then asserts what
Pipedrive holds, read by plain HTTP (:class:`~tests.events.readback.Readback`), not
only what the destination says it did.
"""

from __future__ import annotations

import copy
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from pdsync.api.client import PipedriveClient
from pdsync.config import Connection
from pdsync.events_dest.outbox import Outbox

from .conftest import FakeClock
from .emulated import GROUP_FIELD, PLAN_FIELD, SOURCE_FIELD, USER_FIELD, create_fields, emulator
from .faulted import deliver_all, events_config
from .readback import Readback

# -- the document's examples -------------------------------------------------------
# "Using External Id" (an identify; person 261 stands for a person of the account).
DOC_EXTERNAL_ID = {
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
DOC_ALIAS = {
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
DOC_IDENTIFY = {"traits": {"name": "John Doe", "email": "john@doe.com"}}
DOC_IDENTIFY_CUSTOM = {
    "traits": {"name": "John Doe", "email": "john@doe.com", "role": "Software Developer"}
}
DOC_TRACK = {
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


@pytest.fixture(scope="module")
def account() -> Iterator[Account]:
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
ROWS: dict[str, Row] = {}


def row(name: str) -> Callable[[Row], Row]:
    def register(fn: Row) -> Row:
        ROWS[name] = fn
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


# identify


@row("identify (document sample): not found, create on -> created with its userId")
def _(a: Account, tmp: Path) -> None:
    user = uid("sample-user-id")
    deliver(a, tmp, [ev("identify", userId=user, **copy.deepcopy(DOC_IDENTIFY))])
    person = only_person(a, user)
    assert person["name"] == "John Doe"
    assert emails(person) == [("john@doe.com", True)]


@row("identify (document, custom field role): mapped field written")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    deliver(a, tmp, [ev("identify", userId=user, **copy.deepcopy(DOC_IDENTIFY_CUSTOM))])
    assert only_person(a, user)["custom_fields"][a.keys[ROLE_TEXT]] == "Software Developer"


@row("identify: found -> updated, no second person")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    first = ev("identify", userId=user, traits={"name": "Ann"})
    deliver(
        a, tmp, [first, ev("identify", userId=user, traits={"name": "Ann B", "phone": "+1 555"})]
    )
    person = only_person(a, user)
    assert person["name"] == "Ann B" and [p["value"] for p in person["phones"]] == ["+1 555"]


@row("identify: found by search with an empty identity map (another outbox)")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    person_id = a.new_person("Made in Pipedrive", user)
    out = deliver(a, tmp, [ev("identify", userId=user, traits={"name": "Renamed"})])
    assert only_person(a, user)["id"] == person_id
    assert a.pipedrive.person(person_id)["name"] == "Renamed"  # type: ignore[index]
    assert next(iter(out.results.values()))["action"] == "updated"


@row("identify: found behind five search hits that hold the userId in another field")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    for n in range(5):  # older records, so the search lists them first
        decoy = a.new_person(f"Decoy {n}")
        a.pipedrive.http.patch(
            f"/api/v2/persons/{decoy}", json={"custom_fields": {a.keys[ROLE_TEXT]: user}}
        )
    person_id = a.new_person("The one", user)
    deliver(a, tmp, [ev("identify", userId=user, traits={"name": "Found"})])
    assert only_person(a, user)["id"] == person_id
    assert a.pipedrive.person(person_id)["name"] == "Found"  # type: ignore[index]


@row("identify: not found, create off -> dead letter, nobody created")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    out = deliver(a, tmp, [ev("identify", userId=user, traits={"name": "X"})], create_users=False)
    assert "create_users is off" in next(iter(out.dead.values()))
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], user) == []


@row("identify (document external id payload): the named person is updated")
def _(a: Account, tmp: Path) -> None:
    person_id = a.new_person("Before")
    payload = copy.deepcopy(DOC_EXTERNAL_ID)
    payload["context"]["externalId"][0]["id"] = person_id
    payload["userId"] = uid("sample-user-id")
    out = deliver(a, tmp, [ev("identify", **payload)])
    person = a.pipedrive.person(person_id)
    assert person is not None and person["name"] == "New User"  # trimmed
    assert emails(person) == [("user@email.com", True)]
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], payload["userId"]) == []  # no create
    assert out.dead == {}


@row("identify: external person_id that does not exist -> dead letter")
def _(a: Account, tmp: Path) -> None:
    payload = copy.deepcopy(DOC_EXTERNAL_ID)
    payload["context"]["externalId"][0]["id"] = 99_999_999
    out = deliver(a, tmp, [ev("identify", **payload)])
    assert "99999999 does not exist" in next(iter(out.dead.values()))


@row("identify: email and phone as string, list, and Pipedrive's own array")
def _(a: Account, tmp: Path) -> None:
    users = [uid() for _ in range(3)]
    shaped = [{"value": "b@x.io", "primary": False}, {"value": "c@x.io", "primary": True}]
    events = [
        ev("identify", userId=users[0], traits={"email": "a@x.io", "phone": "111"}),
        ev(
            "identify", userId=users[1], traits={"email": ["a@x.io", "b@x.io"], "phone": ["1", "2"]}
        ),
        ev(
            "identify",
            userId=users[2],
            traits={"email": shaped, "phone": {"value": "9", "label": "home"}},
        ),
    ]
    deliver(a, tmp, events)
    assert emails(only_person(a, users[0])) == [("a@x.io", True)]
    assert emails(only_person(a, users[1])) == [("a@x.io", True), ("b@x.io", False)]
    third = only_person(a, users[2])
    assert emails(third) == [("b@x.io", False), ("c@x.io", True)]
    assert [(p["value"], p["label"], p["primary"]) for p in third["phones"]] == [
        ("9", "home", True)
    ]


@row("identify: nested traits by dotted path, arrays kept whole (set field), rest dropped")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    traits = {"address": {"city": "Oslo", "zip": "0150"}, "interests": ["Golf", "Jazz"]}
    out = deliver(a, tmp, [ev("identify", userId=user, traits=traits)])
    custom = only_person(a, user)["custom_fields"]
    assert custom[a.keys[CITY]] == "Oslo"
    assert sorted(custom[a.keys[INTERESTS]]) == sorted(
        [a.interest_ids["Golf"], a.interest_ids["Jazz"]]
    )
    assert next(iter(out.results.values()))["dropped"] == ["address.zip"]


@row("identify: created person dates from originalTimestamp; add_time trait wins")
def _(a: Account, tmp: Path) -> None:
    u1, u2, u3 = uid(), uid(), uid()
    deliver(
        a,
        tmp,
        [
            ev(
                "identify",
                userId=u1,
                traits={"name": "T"},
                originalTimestamp="2021-05-06T07:08:09.123Z",
                timestamp="2022-01-01T00:00:00Z",
            ),
            ev("identify", userId=u2, traits={"name": "T"}, timestamp="2020-02-02T00:23:09.544Z"),
            ev(
                "identify",
                userId=u3,
                traits={"name": "T", "add_time": "2019-03-04"},
                timestamp="2020-02-02T00:23:09Z",
            ),
        ],
    )
    assert only_person(a, u1)["add_time"] == "2021-05-06T07:08:09Z"
    assert only_person(a, u2)["add_time"] == "2020-02-02T00:23:09Z"
    assert only_person(a, u3)["add_time"] == "2019-03-04T00:00:00Z"


@row("identify: visible_to; ' Identify ' type; userId from traits.id")
def _(a: Account, tmp: Path) -> None:
    u1, u2 = uid(), uid()
    deliver(
        a,
        tmp,
        [
            {
                **ev("identify", userId=u1, traits={"name": "V", "visible_to": 1}),
                "type": " Identify ",
            },
            ev("identify", traits={"id": u2, "name": "By traits.id"}),
        ],
    )
    assert only_person(a, u1)["visible_to"] == 1
    assert only_person(a, u2)["name"] == "By traits.id"


# group


@row("group (document): not found -> created with name, groupId, event time; person added")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    traits = {"name": "Acme", "plan": {"name": "Pro"}, "department": {"name": "R&D"}}
    deliver(
        a,
        tmp,
        [
            ev(
                "group",
                userId=user,
                groupId=gid,
                traits=traits,
                timestamp="2020-01-21T00:21:34.208Z",
            )
        ],
    )
    org = only_org(a, gid)
    assert org["name"] == "Acme" and org["add_time"] == "2020-01-21T00:21:34Z"
    assert org["custom_fields"][a.keys[PLAN_FIELD]] == "Pro"
    assert org["custom_fields"][a.keys[DEPARTMENT]] == "R&D"
    assert only_person(a, user)["org_id"] == org["id"]


@row("group: found -> updated, one organization; groupId from traits.groupId")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    deliver(
        a,
        tmp,
        [
            ev("group", userId=user, groupId=gid, traits={"name": "Acme"}),
            ev("group", userId=user, traits={"groupId": gid, "name": "Acme Inc"}),
        ],
    )
    assert only_org(a, gid)["name"] == "Acme Inc"


@row("group: not found and no name -> dead letter, no organization")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    out = deliver(a, tmp, [ev("group", userId=user, groupId=gid, traits={"plan": "x"})])
    assert "needs a name" in next(iter(out.dead.values()))
    assert a.pipedrive.orgs_with(a.keys[GROUP_FIELD], gid) == []


@row("group: external org_id and person_id take precedence")
def _(a: Account, tmp: Path) -> None:
    org_id, person_id = a.new_org("Named"), a.new_person("P")
    external = [{"type": "org_id", "id": org_id}, {"type": "person_id", "id": person_id}]
    event = ev(
        "group",
        userId=uid(),
        groupId=uid("g"),
        traits={"name": "Named 2"},
        context={"externalId": external},
    )
    deliver(a, tmp, [event])
    assert a.pipedrive.org(org_id)["name"] == "Named 2"  # type: ignore[index]
    assert a.pipedrive.person(person_id)["org_id"] == org_id  # type: ignore[index]


@row("group: unknown person, create off -> dead letter, no organization")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    out = deliver(
        a, tmp, [ev("group", userId=user, groupId=gid, traits={"name": "N"})], create_users=False
    )
    assert "create_users is off" in next(iter(out.dead.values()))
    assert a.pipedrive.orgs_with(a.keys[GROUP_FIELD], gid) == []


@row("group: a person it creates gets the person mappings of context.traits")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    context = {"traits": {"name": "Cara", "role": "CTO", "email": "c@x.io"}}
    deliver(a, tmp, [ev("group", userId=user, groupId=gid, traits={"name": "O"}, context=context)])
    person = only_person(a, user)
    assert person["name"] == "Cara" and person["custom_fields"][a.keys[ROLE_TEXT]] == "CTO"
    assert emails(person) == [("c@x.io", True)]


# track


@row("track (document): lead with value, currency, close date, linked to the person")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    person_id = a.new_person("Lead owner", user)
    deliver(a, tmp, [ev("track", userId=user, **copy.deepcopy(DOC_TRACK))])
    [lead] = a.pipedrive.leads_of(person_id)
    assert lead["title"] == "Potential Lead"
    assert lead["value"] == {"amount": 1000, "currency": "USD"}
    assert lead["expected_close_date"] == "2021-04-27"


@row("track: revenue; nested utm.source mapped to the lead's custom field")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    props = {"revenue": 5, "utm": {"source": "newsletter"}}
    deliver(a, tmp, [ev("track", userId=user, event="Trial", properties=props)])
    [lead] = a.pipedrive.leads_of(only_person(a, user)["id"])
    assert lead["value"] == {"amount": 5, "currency": "USD"}
    assert lead[a.keys[SOURCE_FIELD]] == "newsletter"


@row("track: unknown user, create on -> person (dated from the event) and lead")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    deliver(a, tmp, [ev("track", userId=user, event="Signed Up", timestamp="2023-07-08T09:10:11Z")])
    person = only_person(a, user)
    assert person["add_time"] == "2023-07-08T09:10:11Z" and person["name"] == user
    assert [x["title"] for x in a.pipedrive.leads_of(person["id"])] == ["Signed Up"]


@row("track: unknown user, create off -> dead letter, no person, no lead")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    out = deliver(a, tmp, [ev("track", userId=user, event="Signed Up")], create_users=False)
    assert "create_users is off" in next(iter(out.dead.values()))
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], user) == []


@row("track: external person_id; a non-ISO close date is refused with its value")
def _(a: Account, tmp: Path) -> None:
    person_id = a.new_person("Ext")
    context = {"externalId": [{"type": "person_id", "id": person_id}]}
    good = ev("track", event="Upgraded", context=context)
    bad = ev(
        "track", event="Bad", context=context, properties={"expected_close_date": "27-04-2021"}
    )
    out = deliver(a, tmp, [good, bad])
    assert [x["title"] for x in a.pipedrive.leads_of(person_id)] == ["Upgraded"]
    assert "'27-04-2021'" in out.dead[bad["messageId"]]


@row("track_objects: a deal upserted by title, an activity, a note")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    events = [
        ev("track", userId=user, event="Order Completed", properties={"value": 10}),
        ev(
            "track",
            userId=user,
            event="Order Completed",
            properties={"value": 30, "currency": "eur"},
        ),
        ev("track", userId=user, event="Demo Booked", properties={"due_date": "2031-02-03"}),
        ev("track", userId=user, event="Feedback", properties={"note": "Great <3"}),
    ]
    deliver(a, tmp, events)
    person_id = only_person(a, user)["id"]
    [deal] = a.pipedrive.deals_of(person_id)
    assert (deal["title"], deal["value"], deal["currency"]) == ("Order Completed", 30, "EUR")
    [activity] = a.pipedrive.activities_of(person_id)
    assert (activity["subject"], activity["due_date"]) == ("Demo Booked", "2031-02-03")
    [note] = a.pipedrive.notes_of(person_id)
    assert note["content"] == "Great &lt;3"


# alias


@row("alias (document, external ids): merged; the survivor keeps its userId")
def _(a: Account, tmp: Path) -> None:
    old_user, new_user = uid(), uid()
    previous, current = a.new_person("Old", old_user), a.new_person("New", new_user)
    payload = copy.deepcopy(DOC_ALIAS)
    payload["context"]["externalId"] = [
        {"type": "prev_person_id", "id": previous},
        {"type": "curr_person_id", "id": current},
    ]
    deliver(a, tmp, [ev("alias", **payload)])
    assert a.pipedrive.person(previous) is None
    assert only_person(a, new_user)["id"] == current
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], old_user) == []


@row("alias by userIds, both exist: merged, the survivor answers to the new userId")
def _(a: Account, tmp: Path) -> None:
    old_user, new_user = uid(), uid()
    previous, current = a.new_person("Old", old_user), a.new_person("New", new_user)
    deliver(a, tmp, [ev("alias", previousId=old_user, userId=new_user)])
    assert a.pipedrive.person(previous) is None
    assert only_person(a, new_user)["id"] == current


@row("alias: only the previous exists -> re-keyed; previousId from traits")
def _(a: Account, tmp: Path) -> None:
    old_user, new_user = uid(), uid()
    previous = a.new_person("Old", old_user)
    deliver(a, tmp, [ev("alias", userId=new_user, traits={"previousId": old_user})])
    assert only_person(a, new_user)["id"] == previous
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], old_user) == []


@row("alias: only the current exists -> unchanged; neither -> dead letter")
def _(a: Account, tmp: Path) -> None:
    new_user = uid()
    current = a.new_person("New", new_user)
    known = ev("alias", previousId=uid(), userId=new_user)
    unknown = ev("alias", previousId=uid(), userId=uid())
    out = deliver(a, tmp, [known, unknown])
    assert out.results[known["messageId"]]["action"] == "unchanged"
    assert only_person(a, new_user)["id"] == current
    assert "neither the previous" in out.dead[unknown["messageId"]]


@pytest.mark.parametrize("name", list(ROWS))
def test_document_conformance(name: str, account: Account, tmp_path: Path) -> None:
    ROWS[name](account, tmp_path)


def test_the_rows_cover_every_event_type_and_every_document_payload() -> None:
    kinds = {name.split(" ", 1)[0].split(":", 1)[0] for name in ROWS}
    assert {"identify", "group", "track", "alias", "track_objects"} <= kinds
    assert (
        sum("(document" in name for name in ROWS) == 6
    )  # 2 JSON examples; identify, identify+custom, group, track calls
