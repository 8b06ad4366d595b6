"""Behaviours where pdsync used to differ from RudderStack's Pipedrive destination.

One test per cause found when pdsync was run against cases restated from how that
destination handles real payloads; each failed before the fix.
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest

from pdsync.api.client import PipedriveClient
from pdsync.errors import ServerError
from pdsync.events_dest.config import EventsConfig, build_events_config
from pdsync.events_dest.model import parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.rules import PipedriveDestination

from .emulated import (
    GROUP_FIELD,
    PLAN_FIELD,
    ROLE_FIELD,
    USER_FIELD,
    field_key,
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
                "organizations": {"plan.name": PLAN_FIELD},
            },
        },
        base=tmp_path,
    )


def uid(prefix: str = "user") -> str:
    return f"{prefix}-{uuid.uuid4().hex[:10]}"


def send(dest: PipedriveDestination, **event: Any) -> dict[str, Any]:
    return dest.deliver(parse_event(event))


def orgs_with(client: PipedriveClient, key: str, value: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"limit": 500, **({"cursor": cursor} if cursor else {})}
        body = client.get("organizations", params=params)
        found += [o for o in body["data"] or [] if (o.get("custom_fields") or {}).get(key) == value]
        cursor = (body.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return found


class NullSearches:
    """The real client, except that searches answer ``data: null`` (a Pipedrive anomaly)."""

    def __init__(self, client: PipedriveClient) -> None:
        self.client = client
        self.searches = 0

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if path.endswith("/search"):
            self.searches += 1
            return {"success": True, "data": None, "additional_data": None}
        return self.client.request(method, path, **kwargs)


# 1. A search answering data: null is an anomaly to retry, never proof of absence.
def test_a_null_search_is_retried_and_never_creates_a_second_organization(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> None:
    group = uid("group")
    user = uid()
    first_box, fresh_box = Outbox(tmp_path / "a.db"), Outbox(tmp_path / "b.db")
    first = PipedriveDestination(client, config, first_box)
    send(first, type="group", userId=user, groupId=group, traits={"name": "Acme"})
    flaky = NullSearches(client)
    fresh = PipedriveDestination(flaky, config, fresh_box)  # an empty identity map: it searches
    with pytest.raises(ServerError) as raised:
        send(fresh, type="group", userId=user, groupId=group, traits={"name": "Acme 2"})
    first_box.close()
    fresh_box.close()
    assert raised.value.transient
    assert flaky.searches >= 1
    assert len(orgs_with(client, field_key(client, "organizationFields", GROUP_FIELD), group)) == 1


# 2. Email and phone in Pipedrive's own array shape.
def test_email_and_phone_in_pipedrives_array_shape(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    traits = {
        "name": "Array Shape",
        "email": [{"value": "work@example.com", "primary": False}, {"value": "main@example.com", "primary": True}],
        "phone": [{"value": "+3725551111", "primary": True, "label": "mobile"}],
    }  # fmt: skip
    result = send(dest, type="identify", userId=uid(), traits=traits)
    person = client.get(f"persons/{result['person_id']}")["data"]
    emails = {e["value"]: e["primary"] for e in person["emails"]}
    assert emails == {"work@example.com": False, "main@example.com": True}
    assert person["phones"][0]["value"] == "+3725551111"
    assert person["phones"][0]["label"] == "mobile"


# 3. traits.groupId stands in for a missing top-level groupId.
def test_group_id_in_traits(dest: PipedriveDestination, client: PipedriveClient) -> None:
    group = uid("group")
    result = send(dest, type="group", userId=uid(), traits={"groupId": group, "name": "Traits Co"})
    assert result["action"] == "created"
    org = client.get(f"organizations/{result['org_id']}")["data"]
    assert org["custom_fields"][field_key(client, "organizationFields", GROUP_FIELD)] == group


# 4. Nested traits are addressable by dotted path.
def test_nested_traits_match_a_dotted_mapping(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    traits = {"name": "Nested Co", "plan": {"name": "Enterprise", "seats": 40}}
    result = send(dest, type="group", userId=uid(), groupId=uid("group"), traits=traits)
    org = client.get(f"organizations/{result['org_id']}")["data"]
    assert org["custom_fields"][field_key(client, "organizationFields", PLAN_FIELD)] == "Enterprise"
    assert result["dropped"] == ["plan.seats"]


# 5. Alias by Pipedrive ids: the survivor answers to the merged person's userId.
def test_alias_by_pipedrive_ids_keeps_the_user_id_on_the_survivor(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    previous = send(dest, type="identify", userId=user, traits={"name": "Before"})["person_id"]
    current = client.post("persons", json={"name": "After"})["data"]["id"]
    external = [
        {"type": "prev_person_id", "id": previous},
        {"type": "curr_person_id", "id": current},
    ]
    result = send(dest, type="alias", anonymousId="a", context={"externalId": external})
    assert result == {"action": "merged", "person_id": current, "merged_from": previous}
    key = field_key(client, "personFields", USER_FIELD)
    assert client.get(f"persons/{current}")["data"]["custom_fields"][key] == user
    follow_up = send(dest, type="identify", userId=user, traits={"name": "Later"})
    assert follow_up["person_id"] == current


# 6a. A person or organization created from an event dates from the event.
def test_records_created_from_an_event_take_its_time(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    result = send(
        dest,
        type="group",
        userId=uid(),
        groupId=uid("group"),
        traits={"name": "Dated Co"},
        originalTimestamp="2024-03-04T05:06:07.890Z",
        timestamp="2024-03-04T05:06:09.000Z",
    )
    person = client.get(f"persons/{result['person_id']}")["data"]
    org = client.get(f"organizations/{result['org_id']}")["data"]
    assert person["add_time"].startswith("2024-03-04T05:06:07")
    assert org["add_time"].startswith("2024-03-04T05:06:07")


# 6b. A person created by a track call gets the person mappings of its context traits.
def test_track_creating_a_person_applies_the_person_mappings(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    context: Mapping[str, Any] = {"traits": {"name": "Tracked", "role": "Founder"}}
    result = send(dest, type="track", userId=user, event="Signed Up", context=context)
    person = client.get(f"persons/{result['person_id']}")["data"]
    role_key = field_key(client, "personFields", ROLE_FIELD)
    assert person["custom_fields"][role_key] is not None
    assert person["name"] == "Tracked"


# 7. Smaller: type trimmed and case-insensitive; userId and previousId from traits.
def test_type_is_trimmed_and_case_insensitive(dest: PipedriveDestination) -> None:
    result = send(dest, type=" Identify ", userId=uid(), traits={"name": "Spaced"})
    assert result["action"] == "created"


def test_user_id_falls_back_to_traits_id(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    user = uid()
    result = send(dest, type="identify", traits={"id": user, "name": "By traits id"})
    assert result["action"] == "created"
    assert len(persons_with(client, field_key(client, "personFields", USER_FIELD), user)) == 1


def test_alias_previous_id_falls_back_to_traits(
    dest: PipedriveDestination, client: PipedriveClient
) -> None:
    old, new = uid(), uid()
    person = send(dest, type="identify", userId=old, traits={"name": "Renamed"})["person_id"]
    result = send(dest, type="alias", userId=new, traits={"previousId": old})
    assert result == {"action": "rekeyed", "person_id": person}


class NullReads(NullSearches):
    """The real client, except that reading one record answers ``data: null``."""

    def request(self, method: str, path: str, **kwargs: Any) -> dict[str, Any]:
        if method == "GET" and path.startswith("persons/") and path[8:].isdigit():
            self.searches += 1
            return {"success": True, "data": None}
        return self.client.request(method, path, **kwargs)


def test_a_null_record_read_is_retried_not_taken_for_absence(
    client: PipedriveClient, config: EventsConfig, tmp_path: Path
) -> None:
    user = uid()
    box = Outbox(tmp_path / "ids.db")
    send(PipedriveDestination(client, config, box), type="identify", userId=user, traits={})
    flaky = PipedriveDestination(NullReads(client), config, box)  # type: ignore[arg-type]
    with pytest.raises(ServerError):
        send(flaky, type="identify", userId=user, traits={"name": "Again"})
    box.close()
    assert len(persons_with(client, field_key(client, "personFields", USER_FIELD), user)) == 1
