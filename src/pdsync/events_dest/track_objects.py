"""What a track event creates: a lead (the seed's rule), or a deal / activity / note.

Every read goes through the destination's
:class:`~pdsync.events_dest.checked.CheckedClient`: a list page answered with ``data:
null`` is retried, never read as "nothing there yet" (which would write twice).

Writes are POSTs, which the API client never retries blindly. So a retried event
first reads back what an earlier try may already have created: leads carry the
event's messageId in ``origin_id`` (Pipedrive's field for "which integration
created this"), deals are upserted by (person, title), activities and notes are
found by person and subject/content. The first try skips the read-back.
"""

from __future__ import annotations

import datetime as dt
import html
from typing import Any

from pdsync.events_dest.config import EventsConfig
from pdsync.events_dest.fields import ApiClient, FieldResolver
from pdsync.events_dest.model import Event
from pdsync.events_dest.payloads import (
    LEAD_PROPERTIES,
    Body,
    apply_mapping,
    iso_date,
    lead_body,
    monetary_value,
)
from pdsync.fieldmap import list_records

ORIGIN_PREFIX = "pdsync:"
DEAL_PROPERTIES = LEAD_PROPERTIES | {"title"}
ACTIVITY_PROPERTIES = frozenset({"due_date", "due_time", "note", "subject"})
NOTE_PROPERTIES = frozenset({"note", "content"})


class TrackWriter:
    def __init__(self, client: ApiClient, fields: FieldResolver, config: EventsConfig) -> None:
        self.client = client
        self.fields = fields
        self.config = config

    def write(self, event: Event, person_id: int, *, first_try: bool) -> dict[str, Any]:
        kind = self.config.track_object(event.name or "")
        writer = getattr(self, f"_{kind}")
        body, result = writer(event, person_id, first_try)
        result["person_id"] = person_id
        if body.dropped:
            result["dropped"] = sorted(body.dropped)
            result["counters"] = {"dropped_properties": len(body.dropped)}
        return dict(result)

    def _lead(self, event: Event, person_id: int, first_try: bool) -> tuple[Body, dict[str, Any]]:
        body = lead_body(
            event.name or "", event.properties, self.config.mapping("leads"), self.fields
        )
        origin = ORIGIN_PREFIX + event.message_id
        if not first_try:
            found = self._find_v1("leads", person_id, lambda lead: lead.get("origin_id") == origin)
            if found is not None:
                return body, {"action": "lead_exists", "lead_id": found}
        payload = {**body.v1(), "person_id": person_id, "origin_id": origin}
        created = self.client.request("POST", "leads", version="v1", json=payload)
        return body, {"action": "lead_created", "lead_id": created["data"]["id"]}

    def _deal(self, event: Event, person_id: int, first_try: bool) -> tuple[Body, dict[str, Any]]:
        props = event.properties
        title = str(props.get("title") or event.name)
        body = Body(fields={"title": title})
        money = monetary_value(props)
        if money is not None:
            body.fields["value"], body.fields["currency"] = money
        if props.get("expected_close_date") is not None:
            body.fields["expected_close_date"] = iso_date(props["expected_close_date"])
        apply_mapping(
            "deals", props, self.config.mapping("deals"), self.fields, body, known=DEAL_PROPERTIES
        )
        existing = self._open_deal(person_id, title)
        if existing is not None:
            self.client.request("PATCH", f"deals/{existing}", version="v2", json=body.v2())
            return body, {"action": "deal_updated", "deal_id": existing}
        created = self.client.request(
            "POST", "deals", version="v2", json={**body.v2(), "person_id": person_id}
        )
        return body, {"action": "deal_created", "deal_id": created["data"]["id"]}

    def _activity(
        self, event: Event, person_id: int, first_try: bool
    ) -> tuple[Body, dict[str, Any]]:
        props = event.properties
        subject = str(props.get("subject") or event.name)
        due = iso_date(props["due_date"]) if props.get("due_date") else _today(event)
        body = Body(fields={"subject": subject, "type": self.config.activity_type, "due_date": due})
        if props.get("note"):
            body.fields["note"] = str(props["note"])
        apply_mapping(
            "activities",
            props,
            self.config.mapping("activities"),
            self.fields,
            body,
            known=ACTIVITY_PROPERTIES,
        )
        if not first_try:
            for item in list_records(self.client, "activities", "v2", {"person_id": person_id}):
                if item.get("subject") == subject and item.get("due_date") == due:
                    return body, {"action": "activity_exists", "activity_id": item["id"]}
        payload = {**body.v2(), "participants": [{"person_id": person_id, "primary": True}]}
        created = self.client.request("POST", "activities", version="v2", json=payload)
        return body, {"action": "activity_created", "activity_id": created["data"]["id"]}

    def _note(self, event: Event, person_id: int, first_try: bool) -> tuple[Body, dict[str, Any]]:
        props = event.properties
        text = props.get("note") or props.get("content")
        content = html.escape(str(text)) if text else _render_properties(event)
        body = Body(fields={"content": content})
        apply_mapping(
            "notes", props, self.config.mapping("notes"), self.fields, body, known=NOTE_PROPERTIES
        )
        if not first_try:
            found = self._find_v1("notes", person_id, lambda note: note.get("content") == content)
            if found is not None:
                return body, {"action": "note_exists", "note_id": found}
        created = self.client.request(
            "POST", "notes", version="v1", json={**body.v1(), "person_id": person_id}
        )
        return body, {"action": "note_created", "note_id": created["data"]["id"]}

    def _open_deal(self, person_id: int, title: str) -> int | None:
        params = {"person_id": person_id, "status": "open"}
        for deal in list_records(self.client, "deals", "v2", params):  # every page
            if deal.get("title") == title:
                return int(deal["id"])
        return None

    def _find_v1(self, path: str, person_id: int, matches: Any) -> Any:
        for item in list_records(self.client, path, "v1", {"person_id": person_id}):
            if matches(item):
                return item["id"]
        return None


def _today(event: Event) -> str:
    if event.timestamp and len(event.timestamp) >= 10:
        try:
            return dt.date.fromisoformat(event.timestamp[:10]).isoformat()
        except ValueError:
            pass
    return dt.date.today().isoformat()


def _render_properties(event: Event) -> str:
    rows = "".join(
        f"<li>{html.escape(str(k))}: {html.escape(str(v))}</li>"
        for k, v in sorted(event.properties.items())
    )
    return f"<b>{html.escape(event.name or '')}</b><ul>{rows}</ul>"
