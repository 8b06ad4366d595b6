"""Conformance with the RudderStack Pipedrive destination document, read back from Pipedrive.

Every payload of the document (its JSON examples verbatim, its ``rudderanalytics.*``
calls restated as events) and every branch of the mapping (identify, group, track,
alias; found / not found / creation on and off; external ids; custom fields, nested
and arrays; timestamps; email and phone shapes) is one row. Each row sends its events
through the outbox and the delivery worker to the emulator, then asserts what
Pipedrive holds, read by plain HTTP (:class:`~tests.events.readback.Readback`), not
only what the destination says it did. Identify's rows are in
test_conformance_identify.py; this module holds group, track and alias.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from .conformance import (
    DEPARTMENT,
    DOC_ALIAS,
    DOC_TRACK,
    ROLE_TEXT,
    Account,
    Rows,
    deliver,
    emails,
    ev,
    only_org,
    only_person,
    uid,
)
from .emulated import GROUP_FIELD, PLAN_FIELD, SOURCE_FIELD, USER_FIELD
from .test_conformance_identify import rows as identify_rows

rows = Rows()


# group


@rows.add("group (document): not found -> created with name, groupId, event time; person added")
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


@rows.add("group: found -> updated, one organization; groupId from traits.groupId")
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


@rows.add("group: not found and no name -> dead letter, no organization")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    out = deliver(a, tmp, [ev("group", userId=user, groupId=gid, traits={"plan": "x"})])
    assert "needs a name" in next(iter(out.dead.values()))
    assert a.pipedrive.orgs_with(a.keys[GROUP_FIELD], gid) == []


@rows.add("group: external org_id and person_id take precedence")
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


@rows.add("group: unknown person, create off -> dead letter, no organization")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    out = deliver(
        a, tmp, [ev("group", userId=user, groupId=gid, traits={"name": "N"})], create_users=False
    )
    assert "create_users is off" in next(iter(out.dead.values()))
    assert a.pipedrive.orgs_with(a.keys[GROUP_FIELD], gid) == []


@rows.add("group: a person it creates gets the person mappings of context.traits")
def _(a: Account, tmp: Path) -> None:
    user, gid = uid(), uid("g")
    context = {"traits": {"name": "Cara", "role": "CTO", "email": "c@x.io"}}
    deliver(a, tmp, [ev("group", userId=user, groupId=gid, traits={"name": "O"}, context=context)])
    person = only_person(a, user)
    assert person["name"] == "Cara" and person["custom_fields"][a.keys[ROLE_TEXT]] == "CTO"
    assert emails(person) == [("c@x.io", True)]


# track


@rows.add("track (document): lead with value, currency, close date, linked to the person")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    person_id = a.new_person("Lead owner", user)
    deliver(a, tmp, [ev("track", userId=user, **copy.deepcopy(DOC_TRACK))])
    [lead] = a.pipedrive.leads_of(person_id)
    assert lead["title"] == "Potential Lead"
    assert lead["value"] == {"amount": 1000, "currency": "USD"}
    assert lead["expected_close_date"] == "2021-04-27"


@rows.add("track: revenue; nested utm.source mapped to the lead's custom field")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    props = {"revenue": 5, "utm": {"source": "newsletter"}}
    deliver(a, tmp, [ev("track", userId=user, event="Trial", properties=props)])
    [lead] = a.pipedrive.leads_of(only_person(a, user)["id"])
    assert lead["value"] == {"amount": 5, "currency": "USD"}
    assert lead[a.keys[SOURCE_FIELD]] == "newsletter"


@rows.add("track: unknown user, create on -> person (dated from the event) and lead")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    deliver(a, tmp, [ev("track", userId=user, event="Signed Up", timestamp="2023-07-08T09:10:11Z")])
    person = only_person(a, user)
    assert person["add_time"] == "2023-07-08T09:10:11Z" and person["name"] == user
    assert [x["title"] for x in a.pipedrive.leads_of(person["id"])] == ["Signed Up"]


@rows.add("track: unknown user, create off -> dead letter, no person, no lead")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    out = deliver(a, tmp, [ev("track", userId=user, event="Signed Up")], create_users=False)
    assert "create_users is off" in next(iter(out.dead.values()))
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], user) == []


@rows.add("track: external person_id; a non-ISO close date is refused with its value")
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


@rows.add("track_objects: a deal upserted by title, an activity, a note")
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


@rows.add("alias (document, external ids): merged; the survivor keeps its userId")
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


@rows.add("alias by userIds, both exist: merged, the survivor answers to the new userId")
def _(a: Account, tmp: Path) -> None:
    old_user, new_user = uid(), uid()
    previous, current = a.new_person("Old", old_user), a.new_person("New", new_user)
    deliver(a, tmp, [ev("alias", previousId=old_user, userId=new_user)])
    assert a.pipedrive.person(previous) is None
    assert only_person(a, new_user)["id"] == current


@rows.add("alias: only the previous exists -> re-keyed; previousId from traits")
def _(a: Account, tmp: Path) -> None:
    old_user, new_user = uid(), uid()
    previous = a.new_person("Old", old_user)
    deliver(a, tmp, [ev("alias", userId=new_user, traits={"previousId": old_user})])
    assert only_person(a, new_user)["id"] == previous
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], old_user) == []


@rows.add("alias: only the current exists -> unchanged; neither -> dead letter")
def _(a: Account, tmp: Path) -> None:
    new_user = uid()
    current = a.new_person("New", new_user)
    known = ev("alias", previousId=uid(), userId=new_user)
    unknown = ev("alias", previousId=uid(), userId=uid())
    out = deliver(a, tmp, [known, unknown])
    assert out.results[known["messageId"]]["action"] == "unchanged"
    assert only_person(a, new_user)["id"] == current
    assert "neither the previous" in out.dead[unknown["messageId"]]


@pytest.mark.parametrize("name", list(rows))
def test_document_conformance(name: str, account: Account, tmp_path: Path) -> None:
    rows[name](account, tmp_path)


def test_the_rows_cover_every_event_type_and_every_document_payload() -> None:
    every = [*identify_rows, *rows]
    kinds = {name.split(" ", 1)[0].split(":", 1)[0] for name in every}
    assert {"identify", "group", "track", "alias", "track_objects"} <= kinds
    # the 2 JSON examples; the identify, identify-with-custom-field, group and track calls
    assert sum("(document" in name for name in every) == 6
