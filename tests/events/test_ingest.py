"""The HTTP ingestion endpoint over a real socket: auth, validation, durability, idempotency."""

from __future__ import annotations

import json
from collections.abc import Iterator

import httpx
import pytest

from pdsync.events_dest.config import EventsConfig
from pdsync.events_dest.groupcommit import GroupCommitter
from pdsync.events_dest.model import parse_event
from pdsync.events_dest.outbox import Outbox
from pdsync.events_dest.service import EventsService

from .conftest import WRITE_KEY, RecordingDeliverer, auth, post, wait_until

IDENTIFY = {"userId": "u-1", "messageId": "m-1", "traits": {"name": "Ada"}}


def test_identify_is_acknowledged_stored_and_delivered(
    service: EventsService, outbox: Outbox, deliverer: RecordingDeliverer
) -> None:
    response = post(service.url, "/v1/identify", IDENTIFY)
    assert response.status_code == 200
    assert response.json() == {"success": True, "accepted": 1, "duplicates": 0}
    delivered = deliverer.wait_for(1)
    assert [e.message_id for e in delivered] == ["m-1"]
    assert delivered[0].type == "identify" and delivered[0].traits == {"name": "Ada"}


def test_same_message_id_takes_effect_once(
    service: EventsService, outbox: Outbox, deliverer: RecordingDeliverer
) -> None:
    first = post(service.url, "/v1/identify", IDENTIFY)
    second = post(service.url, "/v1/identify", IDENTIFY)
    assert first.json()["accepted"] == 1
    assert second.status_code == 200 and second.json() == {
        "success": True,
        "accepted": 0,
        "duplicates": 1,
    }
    batch = {"batch": [{**IDENTIFY, "type": "identify"}, {**IDENTIFY, "type": "identify"}]}
    assert post(service.url, "/v1/batch", batch).json()["duplicates"] == 2
    deliverer.wait_for(1)
    post(service.url, "/v1/track", {"userId": "u-1", "event": "Sync", "messageId": "m-2"})
    assert [e.message_id for e in deliverer.wait_for(2)] == ["m-1", "m-2"]
    wait_until(lambda: outbox.status().delivered == 2)
    assert outbox.status().pending == 0


def test_batch_stores_every_event_in_order(
    service: EventsService, deliverer: RecordingDeliverer
) -> None:
    batch = {
        "batch": [
            {"type": "identify", "userId": "u-1", "messageId": "b-1"},
            {"type": "track", "userId": "u-1", "event": "Signed Up", "messageId": "b-2"},
            {"type": "group", "userId": "u-1", "groupId": "g-1", "messageId": "b-3"},
            {"type": "alias", "userId": "u-2", "previousId": "u-1", "messageId": "b-4"},
        ]
    }
    response = post(service.url, "/v1/batch", batch)
    assert response.json()["accepted"] == 4
    assert [e.message_id for e in deliverer.wait_for(4)] == ["b-1", "b-2", "b-3", "b-4"]


def test_write_key_in_body_is_accepted(service: EventsService, outbox: Outbox) -> None:
    body = {**IDENTIFY, "writeKey": WRITE_KEY}
    assert post(service.url, "/v1/identify", body, headers={}).status_code == 200


@pytest.mark.parametrize(
    ("path", "body", "headers", "status", "words"),
    [
        ("/v1/identify", IDENTIFY, {}, 401, "write key"),
        ("/v1/identify", IDENTIFY, auth("wrong-key-123"), 401, "write key"),
        ("/v1/identify", IDENTIFY, {"Authorization": "Basic !!!"}, 401, "write key"),
        ("/v1/identify", b"{not json", None, 400, "Malformed JSON"),
        ("/v1/identify", b"\xff\xfe", None, 400, "Malformed JSON"),
        ("/v1/page", IDENTIFY, None, 400, "Unknown event type 'page'"),
        ("/v1/batch", {"batch": [{**IDENTIFY, "type": "screen"}]}, None, 400, "batch[0]"),
        ("/v1/batch", {"events": []}, None, 400, "`batch` array"),
        ("/v1/track", {"userId": "u"}, None, 400, "`event` name"),
        ("/v1/group", {"userId": "u"}, None, 400, "groupId"),
        ("/v1/alias", {"userId": "u"}, None, 400, "previousId"),
        ("/v1/alias", {"previousId": "u", "anonymousId": "a"}, None, 400, "new identity"),
        ("/v1/track", {"anonymousId": "a", "event": "Viewed"}, None, 400, "Anonymous event"),
        (
            "/v1/batch",
            {"batch": [{**IDENTIFY, "type": "identify"}, {"type": "identify"}]},
            None,
            400,
            "batch[1]: Anonymous event",
        ),
        ("/v1/identify", [1, 2], None, 400, "JSON object"),
        ("/v1/identify", {**IDENTIFY, "traits": "x"}, None, 400, "`traits`"),
        ("/v1/identify", {**IDENTIFY, "userId": {"a": 1}}, None, 400, "`userId`"),
        (
            "/v1/identify",
            {**IDENTIFY, "context": {"externalId": [{"type": "person_id", "id": "abc"}]}},
            None,
            400,
            "person_id",
        ),
        ("/v1/identify", {**IDENTIFY, "traits": {"bio": "x" * 40_000}}, None, 413, "limit"),
        ("/nowhere", IDENTIFY, None, 404, "No such endpoint"),
    ],
)
def test_bad_input_is_refused_and_nothing_is_stored(
    service: EventsService,
    outbox: Outbox,
    path: str,
    body: object,
    headers: dict[str, str] | None,
    status: int,
    words: str,
) -> None:
    response = post(service.url, path, body, headers=headers)
    assert response.status_code == status
    assert response.json()["success"] is False
    assert words in response.json()["error"]
    assert outbox.status().pending + outbox.status().delivered == 0


def test_oversized_body_is_refused_before_reading(service: EventsService, outbox: Outbox) -> None:
    body = json.dumps({"batch": [{**IDENTIFY, "type": "identify"}] * 6000}).encode()
    response = post(service.url, "/v1/batch", body)
    assert response.status_code == 413
    assert outbox.status().pending == 0


def test_get_on_an_event_endpoint_is_refused(service: EventsService) -> None:
    response = httpx.get(service.url + "/v1/identify", headers=auth())
    assert response.status_code == 405


def test_health_reports_the_queue(service: EventsService) -> None:
    body = httpx.get(service.url + "/health").json()
    assert body["success"] is True and "pending" in body


def test_write_key_never_appears_in_replies_or_repr(service: EventsService) -> None:
    response = post(service.url, "/v1/identify", b"{bad", headers=auth())
    assert WRITE_KEY not in response.text
    assert WRITE_KEY not in repr(service.server.app)


def test_a_chunked_body_is_refused_with_411(service: EventsService, outbox: Outbox) -> None:
    def chunks() -> Iterator[bytes]:
        yield json.dumps(IDENTIFY).encode()

    response = httpx.post(service.url + "/v1/identify", content=chunks(), headers=auth())
    assert response.status_code == 411
    assert "Content-Length" in response.json()["error"]
    assert outbox.status().pending + outbox.status().delivered == 0


def test_rejections_are_counted_with_the_next_commit(
    service: EventsService, outbox: Outbox
) -> None:
    post(service.url, "/v1/identify", b"{bad")
    post(service.url, "/v1/page", IDENTIFY)
    post(service.url, "/v1/identify", IDENTIFY, headers=auth("wrong-key-123"))
    assert post(service.url, "/v1/identify", IDENTIFY).status_code == 200
    assert outbox.status().counters == {"rejected_400": 2, "rejected_401": 1}


def test_rejections_ride_along_with_event_commits_not_writes_of_their_own(
    config: EventsConfig, outbox: Outbox
) -> None:
    committer = GroupCommitter(outbox, flush_every=3600)
    committer.count_rejection(400)
    assert outbox.status().counters == {}  # no write (no fsync) per bad request
    committer.append([parse_event(IDENTIFY, event_type="identify")])
    assert outbox.status().counters == {"rejected_400": 1}
    committer.count_rejection(413)
    committer.count_rejection(413)
    committer.close()  # the last counts are written on close, or after an idle second
    assert outbox.status().counters == {"rejected_400": 1, "rejected_413": 2}
