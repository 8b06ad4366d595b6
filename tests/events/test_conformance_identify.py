"""Document conformance, identify: every branch, asserted on the person read back by HTTP.

The rows walk the document's identify payloads (its sample call, the call with a custom
field, the external-id JSON example) and every branch of identify: found (by the identity
map or by search, even behind decoy hits) / not found / creation on or off, external ids,
email and phone shapes, nested traits and arrays, timestamps, visibility, type and id
fall-backs. Group, track and alias are in test_document_conformance.py.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest

from .conformance import (
    CITY,
    DOC_EXTERNAL_ID,
    DOC_IDENTIFY,
    DOC_IDENTIFY_CUSTOM,
    INTERESTS,
    ROLE_TEXT,
    Account,
    Rows,
    deliver,
    emails,
    ev,
    only_person,
    uid,
)
from .emulated import USER_FIELD

rows = Rows()


# identify


@rows.add("identify (document sample): not found, create on -> created with its userId")
def _(a: Account, tmp: Path) -> None:
    user = uid("sample-user-id")
    deliver(a, tmp, [ev("identify", userId=user, **copy.deepcopy(DOC_IDENTIFY))])
    person = only_person(a, user)
    assert person["name"] == "John Doe"
    assert emails(person) == [("john@doe.com", True)]


@rows.add("identify (document, custom field role): mapped field written")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    deliver(a, tmp, [ev("identify", userId=user, **copy.deepcopy(DOC_IDENTIFY_CUSTOM))])
    assert only_person(a, user)["custom_fields"][a.keys[ROLE_TEXT]] == "Software Developer"


@rows.add("identify: found -> updated, no second person")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    first = ev("identify", userId=user, traits={"name": "Ann"})
    deliver(
        a, tmp, [first, ev("identify", userId=user, traits={"name": "Ann B", "phone": "+1 555"})]
    )
    person = only_person(a, user)
    assert person["name"] == "Ann B" and [p["value"] for p in person["phones"]] == ["+1 555"]


@rows.add("identify: found by search with an empty identity map (another outbox)")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    person_id = a.new_person("Made in Pipedrive", user)
    out = deliver(a, tmp, [ev("identify", userId=user, traits={"name": "Renamed"})])
    assert only_person(a, user)["id"] == person_id
    assert a.pipedrive.person(person_id)["name"] == "Renamed"  # type: ignore[index]
    assert next(iter(out.results.values()))["action"] == "updated"


@rows.add("identify: found behind five search hits that hold the userId in another field")
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


@rows.add("identify: not found, create off -> dead letter, nobody created")
def _(a: Account, tmp: Path) -> None:
    user = uid()
    out = deliver(a, tmp, [ev("identify", userId=user, traits={"name": "X"})], create_users=False)
    assert "create_users is off" in next(iter(out.dead.values()))
    assert a.pipedrive.persons_with(a.keys[USER_FIELD], user) == []


@rows.add("identify (document external id payload): the named person is updated")
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


@rows.add("identify: external person_id that does not exist -> dead letter")
def _(a: Account, tmp: Path) -> None:
    payload = copy.deepcopy(DOC_EXTERNAL_ID)
    payload["context"]["externalId"][0]["id"] = 99_999_999
    out = deliver(a, tmp, [ev("identify", **payload)])
    assert "99999999 does not exist" in next(iter(out.dead.values()))


@rows.add("identify: email and phone as string, list, and Pipedrive's own array")
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


@rows.add("identify: nested traits by dotted path, arrays kept whole (set field), rest dropped")
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


@rows.add("identify: created person dates from originalTimestamp; add_time trait wins")
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


@rows.add("identify: visible_to; ' Identify ' type; userId from traits.id")
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


@pytest.mark.parametrize("name", list(rows))
def test_identify_conformance(name: str, account: Account, tmp_path: Path) -> None:
    rows[name](account, tmp_path)
