"""Every rule of the destination, against the Pipedrive emulator."""

from __future__ import annotations

import uuid
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest

from pdsync.api.client import PipedriveClient
from pdsync.errors import ConfigError
from pdsync.events_dest.config import EventsConfig, build_events_config
from pdsync.events_dest.model import Event, InvalidEventError, parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.payloads import EventRejected
from pdsync.events_dest.rules import PipedriveDestination

from .emulated import (
    GROUP_FIELD,
    PLAN_FIELD,
    ROLE_FIELD,
    SOURCE_FIELD,
    USER_FIELD,
    field_key,
    leads_of,
    persons_with,
)


@pytest.fixture
def config(tmp_path: Path) -> EventsConfig:
    return build_events_config(
        {
            "user_id_field": USER_FIELD,
            "group_id_field": GROUP_FIELD,
            "create_users": True,
            "mappings": {
                "persons": {"role": ROLE_FIELD},
                "organizations": {"plan": PLAN_FIELD},
                "leads": {"source": SOURCE_FIELD},
            },
            "track_objects": {"Deal Won": "deal", "Demo Booked": "activity", "Feedback": "note"},
        },
        base=tmp_path,
    )


def uid() -> str:
    return f"user-{uuid.uuid4().hex[:10]}"


def send(dest: PipedriveDestination, first_try: bool = True, **event: Any) -> dict[str, Any]:
    return dest.deliver(parse_event(event), first_try=first_try)


def user_key(client: PipedriveClient) -> str:
    return field_key(client, "personFields", USER_FIELD)


# -- identify --------------------------------------------------------------------------


def test_identify_creates_the_person_with_the_user_id_and_mapped_fields(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    traits = {
        "name": "Ada Lovelace",
        "email": "ada@example.com",
        "phone": "+3725550000",
        "role": "Engineer",
        "favourite_colour": "blue",
        "owner_id": 1,
    }
    result = send(dest, type="identify", userId=user, traits=traits)
    assert result["action"] == "created"
    assert result["dropped"] == ["favourite_colour", "owner_id"]
    assert result["counters"] == {"dropped_traits": 2}
    person = client.get(f"persons/{result['person_id']}")["data"]
    assert person["name"] == "Ada Lovelace"
    assert person["emails"][0]["value"] == "ada@example.com"
    assert person["phones"][0]["value"] == "+3725550000"
    assert person["custom_fields"][user_key(client)] == user
    role_key = field_key(client, "personFields", ROLE_FIELD)
    assert person["custom_fields"][role_key] is not None  # the option id of "Engineer"
    assert len(persons_with(client, user_key(client), user)) == 1


def test_identify_again_updates_the_same_person(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    first = send(dest, type="identify", userId=user, traits={"name": "Old"})
    second = send(dest, type="identify", userId=user, traits={"name": "New", "visible_to": 3})
    assert second == {"action": "updated", "person_id": first["person_id"]}
    person = client.get(f"persons/{first['person_id']}")["data"]
    assert person["name"] == "New" and person["visible_to"] == 3
    assert len(persons_with(client, user_key(client), user)) == 1


def test_identify_finds_a_person_by_search_when_the_local_map_is_empty(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> None:
    user = uid()
    created = client.post(
        "persons", json={"name": "Pre-existing", "custom_fields": {user_key(client): user}}
    )
    fresh = PipedriveDestination(client, config, Outbox(tmp_path / "fresh.db"))
    result = send(fresh, type="identify", userId=user, traits={"name": "Found"})
    assert result == {"action": "updated", "person_id": created["data"]["id"]}


def test_identify_without_create_users_rejects_an_unknown_user(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> None:
    strict = PipedriveDestination(
        client, replace(config, create_users=False), Outbox(tmp_path / "s.db")
    )
    with pytest.raises(EventRejected, match="create_users is off"):
        send(strict, type="identify", userId=uid(), traits={"name": "Nobody"})


def test_external_person_id_takes_precedence_over_the_user_id(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    other = send(dest, type="identify", userId=uid(), traits={"name": "Other"})["person_id"]
    user = uid()
    mine = send(dest, type="identify", userId=user, traits={"name": "Mine"})["person_id"]
    ext = {"externalId": [{"type": "person_id", "id": other}]}
    result = send(dest, type="identify", userId=user, context=ext, traits={"name": "Via ext"})
    assert result["person_id"] == other
    assert client.get(f"persons/{other}")["data"]["name"] == "Via ext"
    assert client.get(f"persons/{mine}")["data"]["name"] == "Mine"


def test_external_person_id_that_does_not_exist_is_rejected(dest: PipedriveDestination) -> None:
    ext = {"externalId": [{"type": "person_id", "id": 987654321}]}
    with pytest.raises(EventRejected, match="does not exist"):
        send(dest, type="identify", userId=uid(), context=ext, traits={"name": "X"})


@pytest.mark.parametrize("kind", ["identify", "track", "group"])
def test_anonymous_events_are_refused_before_they_are_stored(kind: str) -> None:
    event = {"type": kind, "anonymousId": "anon-1", "event": "Viewed", "groupId": "g"}
    with pytest.raises(InvalidEventError, match="Anonymous event"):
        parse_event(event)
    only_previous = {"externalId": [{"type": "prev_person_id", "id": 5}]}  # alias-only type
    with pytest.raises(InvalidEventError, match="Anonymous event"):
        parse_event({**event, "context": only_previous})


def test_an_alias_without_the_new_identity_is_refused() -> None:
    with pytest.raises(InvalidEventError, match="new identity"):
        parse_event({"type": "alias", "previousId": "old", "anonymousId": "anon-1"})


@pytest.mark.parametrize("kind", ["identify", "track", "group", "alias"])
def test_an_anonymous_event_reaching_delivery_is_rejected(
    dest: PipedriveDestination, kind: str
) -> None:
    # e.g. queued by a pdsync that accepted them, or built in Python without parse_event
    event = Event(type=kind, message_id="m-anon", anonymous_id="anon-1", name="V", group_id="g")
    with pytest.raises(EventRejected, match=r"Anonymous event|new identity"):
        dest.deliver(event)


def test_unknown_mapped_field_is_a_clear_rejection(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> None:
    broken = replace(config, mappings={"persons": {"role": "No such field"}})
    dest = PipedriveDestination(client, broken, Outbox(tmp_path / "b.db"))
    with pytest.raises(Exception, match="not a field of persons"):
        send(dest, type="identify", userId=uid(), traits={"role": "x"})


def test_owner_fields_cannot_be_mapped() -> None:
    with pytest.raises(ConfigError, match="owner field"):
        build_events_config({"mappings": {"persons": {"boss": "owner_id"}}})


# -- group -----------------------------------------------------------------------------


def test_group_creates_the_organization_and_adds_the_person(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user, group = uid(), f"grp-{uuid.uuid4().hex[:8]}"
    result = send(
        dest,
        type="group",
        userId=user,
        groupId=group,
        traits={"name": "Acme Ltd", "plan": "pro", "industry_code": 7},
    )
    assert result["action"] == "created" and result["dropped"] == ["industry_code"]
    org = client.get(f"organizations/{result['org_id']}")["data"]
    assert org["name"] == "Acme Ltd"
    assert org["custom_fields"][field_key(client, "organizationFields", GROUP_FIELD)] == group
    assert org["custom_fields"][field_key(client, "organizationFields", PLAN_FIELD)] == "pro"
    assert client.get(f"persons/{result['person_id']}")["data"]["org_id"] == result["org_id"]
    again = send(dest, type="group", userId=user, groupId=group, traits={"name": "Acme Inc"})
    assert again["action"] == "updated" and again["org_id"] == result["org_id"]
    assert client.get(f"organizations/{result['org_id']}")["data"]["name"] == "Acme Inc"


def test_group_needs_a_name_to_create_an_organization(dest: PipedriveDestination) -> None:
    with pytest.raises(EventRejected, match="needs a name"):
        send(dest, type="group", userId=uid(), groupId="grp-nameless", traits={"plan": "x"})


def test_group_by_external_org_id(dest: PipedriveDestination, client: PipedriveClient) -> None:
    org_id = client.post("organizations", json={"name": "Direct"})["data"]["id"]
    ext = {"externalId": [{"type": "org_id", "id": org_id}]}
    result = send(dest, type="group", userId=uid(), context=ext, traits={"name": "Direct 2"})
    assert result["org_id"] == org_id and result["action"] == "updated"


# -- track -----------------------------------------------------------------------------


def test_track_creates_a_lead_for_the_person(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    props = {
        "revenue": 1200,
        "currency": "eur",
        "expected_close_date": "2031-04-27",
        "source": "webinar",
        "utm_campaign": "spring",
    }
    result = send(
        dest,
        type="track",
        userId=user,
        event="Potential Lead",
        properties=props,
        messageId="lead-msg-1" + user,
    )
    assert result["action"] == "lead_created" and result["dropped"] == ["utm_campaign"]
    [lead] = leads_of(client, result["person_id"])
    assert lead["title"] == "Potential Lead"
    assert lead["value"] == {"amount": 1200, "currency": "EUR"}
    assert lead["expected_close_date"] == "2031-04-27"
    source_key = field_key(client, "dealFields", SOURCE_FIELD)
    assert lead[source_key] == "webinar"  # leads reuse deal fields, flat in v1


@pytest.mark.parametrize("prop", ["value", "total", "amount"])
def test_track_value_comes_from_any_money_property(
    dest: PipedriveDestination, client: PipedriveClient, prop: str
) -> None:
    result = send(dest, type="track", userId=uid(), event="Intent", properties={prop: 5})
    [lead] = leads_of(client, result["person_id"])
    assert lead["value"] == {"amount": 5, "currency": "USD"}


@pytest.mark.parametrize("bad", ["27-04-2031", "2031-13-01", "tomorrow", "2031-04-27T10:00:00Z"])
def test_track_with_a_non_iso_close_date_is_rejected(dest: PipedriveDestination, bad: str) -> None:
    with pytest.raises(EventRejected, match="YYYY-MM-DD"):
        send(dest, type="track", userId=uid(), event="X", properties={"expected_close_date": bad})


def test_track_for_an_unknown_user_without_create_users_is_rejected(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> None:
    strict = PipedriveDestination(
        client, replace(config, create_users=False), Outbox(tmp_path / "t.db")
    )
    with pytest.raises(EventRejected, match="No Pipedrive person"):
        send(strict, type="track", userId=uid(), event="X")


def test_a_retried_track_reads_back_instead_of_duplicating(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    event = {
        "type": "track",
        "userId": user,
        "event": "Trial Started",
        "messageId": "retry-" + user,
    }
    first = send(dest, **event)
    again = send(dest, first_try=False, **event)
    assert again["action"] == "lead_exists" and again["lead_id"] == first["lead_id"]
    assert len(leads_of(client, first["person_id"])) == 1


def test_track_can_upsert_a_deal(dest: PipedriveDestination, client: PipedriveClient) -> None:
    user = uid()
    first = send(dest, type="track", userId=user, event="Deal Won", properties={"value": 10})
    second = send(dest, type="track", userId=user, event="Deal Won", properties={"value": 20})
    assert first["action"] == "deal_created" and second["action"] == "deal_updated"
    assert client.get(f"deals/{first['deal_id']}")["data"]["value"] == 20


def test_track_can_add_an_activity_and_a_note(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    activity = send(
        dest, type="track", userId=user, event="Demo Booked", properties={"due_date": "2031-01-02"}
    )
    assert client.get(f"activities/{activity['activity_id']}")["data"]["subject"] == "Demo Booked"
    note = send(dest, type="track", userId=user, event="Feedback", properties={"note": "Loves it"})
    assert "Loves it" in client.get(f"notes/{note['note_id']}", version="v1")["data"]["content"]


# -- alias -----------------------------------------------------------------------------


def test_alias_merges_previous_into_current(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    old, new = uid(), uid()
    prev_id = send(dest, type="identify", userId=old, traits={"name": "Anon"})["person_id"]
    curr_id = send(dest, type="identify", userId=new, traits={"name": "Known"})["person_id"]
    result = send(dest, type="alias", previousId=old, userId=new)
    assert result == {"action": "merged", "person_id": curr_id, "merged_from": prev_id}
    assert persons_with(client, user_key(client), old) == []
    [survivor] = persons_with(client, user_key(client), new)
    assert survivor["id"] == curr_id


def test_alias_rekeys_when_only_the_previous_exists(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    old, new = uid(), uid()
    prev_id = send(dest, type="identify", userId=old, traits={"name": "Anon"})["person_id"]
    assert send(dest, type="alias", previousId=old, userId=new) == {
        "action": "rekeyed",
        "person_id": prev_id,
    }
    assert client.get(f"persons/{prev_id}")["data"]["custom_fields"][user_key(client)] == new
    assert send(dest, type="identify", userId=new, traits={"name": "Same"})["person_id"] == prev_id


def test_alias_by_external_ids(dest: PipedriveDestination, client: PipedriveClient) -> None:
    a = client.post("persons", json={"name": "A"})["data"]["id"]
    b = client.post("persons", json={"name": "B"})["data"]["id"]
    ext = {"externalId": [{"type": "prev_person_id", "id": a}, {"type": "curr_person_id", "id": b}]}
    result = send(dest, type="alias", context=ext)
    assert result["action"] == "merged" and result["person_id"] == b


def test_alias_with_neither_person_is_rejected(dest: PipedriveDestination) -> None:
    with pytest.raises(EventRejected, match="neither"):
        send(dest, type="alias", previousId=uid(), userId=uid())
