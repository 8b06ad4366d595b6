"""identify / group / track / alias → Pipedrive, point by point as the destination's spec says.

* External ids (``context.externalId``: ``person_id``, ``org_id``; for alias
  ``prev_person_id``, ``curr_person_id``) take precedence over any lookup.
* identify → the person found by userId (or ``person_id``) is updated; missing and
  ``create_users`` → created with the userId stored; missing otherwise → rejected.
* group → the organization found by groupId (or ``org_id``) is updated, or created
  (a name is required); then the event's person is added to it.
* track → a lead titled by the event name, linked to the event's person (or a
  deal / activity / note when ``track_objects`` says so).
* alias → both persons exist: merged, previous into current; only the previous:
  re-keyed to the new userId.
* anonymous events (no userId, no ``person_id`` external id) are refused at ingest
  (400, see :mod:`pdsync.events_dest.model`); one that reaches delivery anyway (an
  outbox written by an older pdsync, an event built in Python) is rejected here.

Every rejection is an :class:`EventRejected` whose message is the reason kept
with the dead letter.
"""

from __future__ import annotations

from typing import Any

from pdsync.events_dest.config import EventsConfig
from pdsync.events_dest.directory import Directory, IdentityStore, Keyed
from pdsync.events_dest.fields import ApiClient, FieldResolver
from pdsync.events_dest.model import Event, missing_person
from pdsync.events_dest.payloads import Body, EventRejected, api_time, org_body, person_body
from pdsync.events_dest.track_objects import TrackWriter


class PipedriveDestination:
    """The :class:`~pdsync.events_dest.worker.Deliverer` that talks to Pipedrive."""

    def __init__(self, client: ApiClient, config: EventsConfig, identities: IdentityStore) -> None:
        self.client = client
        self.config = config
        self.fields = FieldResolver(client)
        self.persons = Directory(
            client,
            self.fields,
            identities,
            Keyed("persons", "person", "user_id_field", config.user_id_field),
        )
        self.orgs = Directory(
            client,
            self.fields,
            identities,
            Keyed("organizations", "org", "group_id_field", config.group_id_field),
        )
        self.track_writer = TrackWriter(client, self.fields, config)

    def deliver(self, event: Event, *, first_try: bool = True) -> dict[str, Any]:
        anonymous = missing_person(event)
        if anonymous is not None:
            raise EventRejected(anonymous)
        handler = getattr(self, f"_{event.type}")
        result: dict[str, Any] = handler(event, first_try)
        return result

    # -- identify --------------------------------------------------------------------

    def _identify(self, event: Event, first_try: bool) -> dict[str, Any]:
        body = person_body(event.traits, self.config.mapping("persons"), self.fields)
        person_id, created = self._person(event, body, create=self.config.create_users)
        if not created:
            self.persons.update(person_id, body.v2())
        return _result(body, person_id=person_id, action="created" if created else "updated")

    # -- group -----------------------------------------------------------------------

    def _group(self, event: Event, first_try: bool) -> dict[str, Any]:
        person_id, _ = self._person(event, self._user_body(event), create=self.config.create_users)
        body = org_body(event.traits, self.config.mapping("organizations"), self.fields)
        org_id, action = self._upsert_org(event, body)
        self.persons.update(person_id, {"org_id": org_id})
        return _result(body, person_id=person_id, org_id=org_id, action=action)

    def _upsert_org(self, event: Event, body: Body) -> tuple[int, str]:
        org_id = event.external.org_id
        if org_id is None:
            assert event.group_id is not None  # validated at ingest
            org_id = self.orgs.find(event.group_id)
        if org_id is not None:
            self.orgs.update(org_id, body.v2())
            return org_id, "updated"
        if "name" not in body.fields:
            raise EventRejected(
                f"Organization for groupId {event.group_id!r} does not exist and the group call "
                "has no `name` trait; Pipedrive needs a name to create it."
            )
        assert event.group_id is not None
        return self.orgs.create(event.group_id, with_event_time(body.v2(), event)), "created"

    # -- track -----------------------------------------------------------------------

    def _track(self, event: Event, first_try: bool) -> dict[str, Any]:
        person_id, _ = self._person(event, self._user_body(event), create=self.config.create_users)
        assert event.name is not None  # validated at ingest
        return self.track_writer.write(event, person_id, first_try=first_try)

    # -- alias -----------------------------------------------------------------------

    def _alias(self, event: Event, first_try: bool) -> dict[str, Any]:
        ext = event.external
        previous = ext.prev_person_id or (
            self.persons.find(event.previous_id) if event.previous_id else None
        )
        current = ext.curr_person_id or (
            self.persons.find(event.user_id) if event.user_id else None
        )
        if (
            previous is not None
            and ext.prev_person_id is not None
            and not self.persons.exists(previous)
        ):
            previous = None
        if (
            current is not None
            and ext.curr_person_id is not None
            and not self.persons.exists(current)
        ):
            current = None
        if previous is not None and current is not None:
            return self._merge(event, previous, current)
        if previous is not None:
            if not event.user_id:
                raise EventRejected(f"Person {current} named by curr_person_id does not exist.")
            self.persons.rekey(previous, event.previous_id, event.user_id)
            return {"action": "rekeyed", "person_id": previous}
        if current is not None:
            return {"action": "unchanged", "person_id": current}  # already known by the new id
        raise EventRejected(
            f"Alias: neither the previous ({event.previous_id or ext.prev_person_id!r}) nor the "
            f"current ({event.user_id or ext.curr_person_id!r}) identity matches a Pipedrive person."
        )

    def _merge(self, event: Event, previous: int, current: int) -> dict[str, Any]:
        # The userId the survivor must answer to afterwards: the event's new one, else the
        # one either person already had (read before the merge discards the previous).
        keep = event.user_id or self.persons.app_id(current) or self.persons.app_id(previous)
        if previous != current:
            # merge_with_id is the survivor: its data wins conflicts, so the current userId stays.
            self.client.request(
                "PUT", f"persons/{previous}/merge", version="v1", json={"merge_with_id": current}
            )
        if event.previous_id and event.previous_id != keep:
            self.persons.forget(event.previous_id)
        if keep is not None and self.persons.app_id(current) != keep:
            self.persons.rekey(current, None, keep)
        elif keep is not None:
            self.persons.remember(keep, current)
        return {"action": "merged", "person_id": current, "merged_from": previous}

    # -- the event's person ----------------------------------------------------------

    def _person(self, event: Event, body: Body, *, create: bool) -> tuple[int, bool]:
        """The event's person id, and whether it was created now."""
        if event.external.person_id is not None:
            return event.external.person_id, False
        assert event.user_id is not None  # missing_person() refused the event otherwise
        found = self.persons.find(event.user_id)
        if found is not None:
            return found, False
        if not create:
            raise EventRejected(
                f"No Pipedrive person has userId {event.user_id!r} and create_users is off.",
                hint="Turn on `create_users`, send an identify first, or send a person_id external id.",
            )
        fields = with_event_time(body.v2(), event)
        fields.setdefault("name", str(event.user_id))  # Pipedrive requires a name
        return self.persons.create(event.user_id, fields), True

    def _user_body(self, event: Event) -> Body:
        """The person of a track or group call, as an identify with its traits would write it:
        a person created here gets the configured person mappings too."""
        return person_body(event.context_traits, self.config.mapping("persons"), self.fields)


def with_event_time(fields: dict[str, Any], event: Event) -> dict[str, Any]:
    """A record created from an event dates from the event (``originalTimestamp``, else
    ``timestamp``), unless the traits say when; a malformed timestamp is ignored."""
    if "add_time" in fields or not event.timestamp:
        return fields
    try:
        return {**fields, "add_time": api_time(event.timestamp, "timestamp")}
    except EventRejected:
        return fields


def _result(body: Body, **values: Any) -> dict[str, Any]:
    result: dict[str, Any] = {k: v for k, v in values.items() if v is not None}
    if body.dropped:
        result["dropped"] = sorted(body.dropped)
        result["counters"] = {"dropped_traits": len(body.dropped)}
    return result
