"""Analytics events (Segment / RudderStack spec) as small, validated dataclasses.

What the payload alone can tell is checked here, at ingest, while the sender still
waits for the answer: the shape, and whether the event names a person at all. An
anonymous event (no ``userId`` and no ``person_id`` external id) can never reach
Pipedrive — leads, deals and organizations all hang off a person, and the seed says
"UserId or External Id is required for all events" — so it is refused with a 400 and
never stored. Whether the event *applies* (the person exists, the date parses, a
mapped field exists) needs Pipedrive and is decided by :mod:`pdsync.events_dest.rules`
at delivery time; those failures end in a dead letter with the reason.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pdsync.errors import EventsError

EVENT_TYPES = ("identify", "group", "track", "alias")
# Segment's own limits: 32 KB per event, 500 KB per batch request.
MAX_EVENT_BYTES = 32 * 1024
MAX_BATCH_BYTES = 500 * 1024
EXTERNAL_ID_TYPES = ("person_id", "org_id", "prev_person_id", "curr_person_id")
ANONYMOUS_REASON = (
    "Anonymous event: Pipedrive needs a person, so send a userId or a person_id external id."
)
ALIAS_WITHOUT_TARGET = "Alias needs the new identity: a userId or a curr_person_id external id."


class InvalidEventError(EventsError):
    """The sender's payload breaks the event spec; nothing was stored."""

    default_hint = (
        "Send JSON in the Segment HTTP API shape: type identify|group|track|alias, a userId "
        "(or a person_id external id), and `event` for track, `groupId` for group, "
        "`previousId` for alias."
    )


@dataclass(frozen=True)
class ExternalIds:
    """Pipedrive ids named directly by ``context.externalId``; they beat any lookup."""

    person_id: int | None = None
    org_id: int | None = None
    prev_person_id: int | None = None
    curr_person_id: int | None = None


@dataclass(frozen=True)
class Event:
    type: str
    message_id: str
    user_id: str | None = None
    anonymous_id: str | None = None
    previous_id: str | None = None
    group_id: str | None = None
    name: str | None = None  # the track event's name
    traits: dict[str, Any] = field(default_factory=dict)
    context_traits: dict[str, Any] = field(default_factory=dict)  # the user's, on any call
    properties: dict[str, Any] = field(default_factory=dict)
    external: ExternalIds = ExternalIds()
    timestamp: str | None = None
    raw: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    @property
    def partition_key(self) -> str:
        """Events of one user are delivered in order; this names the user."""
        ext = self.external
        person = ext.curr_person_id if self.type == "alias" else ext.person_id
        if person is not None:
            return f"pid:{person}"
        if self.user_id:
            return f"uid:{self.user_id}"
        return f"anon:{self.anonymous_id or self.message_id}"

    def to_json(self) -> str:
        return json.dumps(self.raw, separators=(",", ":"), sort_keys=True)


def parse_event(obj: Any, *, event_type: str | None = None) -> Event:
    """Validate one event object; ``event_type`` comes from the URL (``/v1/track``)."""
    if not isinstance(obj, Mapping):
        raise InvalidEventError("An event must be a JSON object.")
    raw = dict(obj)
    kind = event_type or raw.get("type")
    if isinstance(kind, str):
        kind = kind.strip().lower()  # libraries send " Identify " and "IDENTIFY" too
    if kind not in EVENT_TYPES:
        raise InvalidEventError(
            f"Unknown event type {kind!r}; expected one of {', '.join(EVENT_TYPES)}."
        )
    raw["type"] = kind
    message_id = _optional_str(raw, "messageId") or str(uuid.uuid4())
    raw["messageId"] = message_id
    context = _optional_dict(raw, "context")
    context_traits = _optional_dict(context, "traits")
    traits = _optional_dict(raw, "traits")
    if kind == "identify":  # identify's traits are the user's, wherever the library put them
        traits = {**context_traits, **traits}
    # Where a library left an id in traits instead of the top level, RudderStack reads it
    # there: the user's traits may carry userId/id (identify's traits are the user's), a
    # group's traits its groupId, an alias's traits the previousId.
    user_traits = traits if kind == "identify" else context_traits
    event = Event(
        type=kind,
        message_id=message_id,
        user_id=_first_str(
            (raw, "userId"), (user_traits, "userId"), (user_traits, "id"), (context_traits, "id")
        ),
        anonymous_id=_optional_str(raw, "anonymousId"),
        previous_id=_first_str((raw, "previousId"), (traits, "previousId")),
        group_id=_first_str((raw, "groupId"), (traits, "groupId")) if kind == "group" else None,
        name=_optional_str(raw, "event"),
        traits=traits,
        context_traits=context_traits,
        properties=_optional_dict(raw, "properties"),
        external=_external_ids(context),
        timestamp=_first_str((raw, "originalTimestamp"), (raw, "timestamp")),
        raw=raw,
    )
    _check_required(event)
    return event


def parse_batch(obj: Any) -> list[Event]:
    """``POST /v1/batch``: ``{"batch": [event, ...]}``, each event naming its type."""
    if not isinstance(obj, Mapping) or not isinstance(obj.get("batch"), list):
        raise InvalidEventError("A batch must be a JSON object with a `batch` array.")
    events = []
    for index, item in enumerate(obj["batch"]):
        try:
            events.append(parse_event(item))
        except InvalidEventError as exc:
            raise InvalidEventError(f"batch[{index}]: {exc.message}") from None
    return events


def event_from_stored(payload: str) -> Event:
    """Rebuild an event from the outbox's stored JSON (already validated once)."""
    return parse_event(json.loads(payload))


def missing_person(event: Event) -> str | None:
    """Why the event names no Pipedrive person it could be applied to, or None if it does."""
    if event.type == "alias":
        named = event.user_id or event.external.curr_person_id is not None
        return None if named else ALIAS_WITHOUT_TARGET
    named = event.user_id or event.external.person_id is not None
    return None if named else ANONYMOUS_REASON


def _check_required(event: Event) -> None:
    anonymous = missing_person(event)
    if anonymous is not None:
        raise InvalidEventError(anonymous)
    if event.type == "track" and not event.name:
        raise InvalidEventError("A track event needs an `event` name.")
    if event.type == "group" and not event.group_id and event.external.org_id is None:
        raise InvalidEventError("A group event needs a `groupId` (or an `org_id` external id).")
    if event.type == "alias" and not (
        event.previous_id or event.external.prev_person_id is not None
    ):
        raise InvalidEventError(
            "An alias event needs a `previousId` (or a `prev_person_id` external id)."
        )


def _optional_str(obj: Mapping[str, Any], key: str) -> str | None:
    value = obj.get(key)
    if value is None or value == "":
        return None
    if isinstance(value, bool) or not isinstance(value, (str, int)):
        raise InvalidEventError(f"`{key}` must be a string.")
    return str(value)


def _first_str(*places: tuple[Mapping[str, Any], str]) -> str | None:
    """The first of several places that holds a usable id (a string or an integer)."""
    top = _optional_str(*places[0])  # a malformed top-level id is refused, not skipped
    if top is not None and top.strip():
        return top.strip()
    for obj, key in places[1:]:
        value = obj.get(key)
        if isinstance(value, str) and value.strip():
            return value.strip()
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
    return None


def _optional_dict(obj: Mapping[str, Any], key: str) -> dict[str, Any]:
    value = obj.get(key)
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise InvalidEventError(f"`{key}` must be a JSON object.")
    return dict(value)


def _external_ids(context: Mapping[str, Any]) -> ExternalIds:
    entries = context.get("externalId") or []
    if not isinstance(entries, list):
        raise InvalidEventError("`context.externalId` must be an array of {type, id}.")
    found: dict[str, int] = {}
    for entry in entries:
        if not isinstance(entry, Mapping) or entry.get("type") not in EXTERNAL_ID_TYPES:
            continue  # other destinations' external ids are not ours to judge
        found[str(entry["type"])] = _pipedrive_id(entry.get("id"), str(entry["type"]))
    return ExternalIds(**found)


def _pipedrive_id(value: Any, kind: str) -> int:
    try:
        number = int(value)
    except (TypeError, ValueError):
        raise InvalidEventError(
            f"External id {kind} must be a Pipedrive id (an integer)."
        ) from None
    if isinstance(value, bool) or number <= 0:
        raise InvalidEventError(f"External id {kind} must be a positive integer.")
    return number
