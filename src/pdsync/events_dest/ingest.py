"""The ingestion endpoint's logic: the Segment / RudderStack HTTP API, answered after fsync.

``POST /v1/identify|track|group|alias`` take one event, ``POST /v1/batch`` takes
``{"batch": [...]}``. The write key is the HTTP Basic user name (as Segment's
libraries send it) or ``writeKey`` in the body. A 200 means the events are in the
durable outbox; any 4xx means nothing was stored. The socket side lives in
:mod:`pdsync.events_dest.http_server`.
"""

from __future__ import annotations

import base64
import binascii
import hmac
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

from pdsync.events_dest.model import (
    EVENT_TYPES,
    MAX_BATCH_BYTES,
    MAX_EVENT_BYTES,
    Event,
    InvalidEventError,
    parse_batch,
    parse_event,
)
from pdsync.redact import redact

Append = Callable[[list[Event]], list[bool]]


@dataclass(frozen=True)
class Reply:
    status: int
    body: dict[str, Any]

    @classmethod
    def error(cls, status: int, message: str) -> Reply:
        return cls(status, {"success": False, "error": redact(message)})


class IngestApp:
    """HTTP-agnostic request handling, so it can be tested without sockets."""

    def __init__(
        self,
        write_key: str,
        append: Append | None = None,
        *,
        status: Callable[[], dict[str, Any]] | None = None,
    ) -> None:
        if not write_key:
            raise ValueError("a write key is required")
        self._write_key = write_key.encode()
        self._append: Append = append or _no_storage
        self._status = status

    def __repr__(self) -> str:
        return "IngestApp(write_key=***)"

    def handle(self, method: str, path: str, headers: Mapping[str, str], body: bytes) -> Reply:
        """Check, store (blocking until durable) and answer one request."""
        checked = self.check(method, path, headers, body)
        if isinstance(checked, Reply):
            return checked
        return self.accepted(self._append(checked))

    def check(
        self, method: str, path: str, headers: Mapping[str, str], body: bytes
    ) -> Reply | list[Event]:
        """The events to store, or the reply that refuses the request."""
        route = path.split("?", 1)[0].rstrip("/")
        if method == "GET" and route == "/health":
            return Reply(200, {"success": True, **(self._status() if self._status else {})})
        kind = route.removeprefix("/v1/") if route.startswith("/v1/") else None
        if kind is None:
            return Reply.error(404, f"No such endpoint {route!r}; POST to /v1/<type> or /v1/batch.")
        if method != "POST":
            return Reply.error(405, "Use POST to send events.")
        if kind != "batch" and kind not in EVENT_TYPES:
            return Reply.error(
                400,
                f"Unknown event type {kind!r}; this destination takes {', '.join(EVENT_TYPES)}.",
            )
        limit = MAX_BATCH_BYTES if kind == "batch" else MAX_EVENT_BYTES
        if len(body) > limit:
            return Reply.error(413, f"Body of {len(body)} bytes is over the {limit}-byte limit.")
        return self._parse(kind, headers, body)

    def _parse(self, kind: str, headers: Mapping[str, str], body: bytes) -> Reply | list[Event]:
        try:
            payload = json.loads(body)
        except (UnicodeDecodeError, json.JSONDecodeError) as exc:
            return Reply.error(400, f"Malformed JSON: {exc}")
        if not self._authorised(headers, payload):
            return Reply.error(
                401, "Missing or wrong write key; send it as the HTTP Basic user name."
            )
        try:
            if kind == "batch":
                return parse_batch(payload)
            return [parse_event(payload, event_type=kind)]
        except InvalidEventError as exc:
            return Reply.error(400, exc.message)

    @staticmethod
    def accepted(fresh: list[bool]) -> Reply:
        """The 200 sent once the events are durable."""
        accepted = sum(fresh)
        return Reply(
            200, {"success": True, "accepted": accepted, "duplicates": len(fresh) - accepted}
        )

    def _authorised(self, headers: Mapping[str, str], payload: Any) -> bool:
        given = _basic_user(headers.get("authorization", ""))
        if (
            given is None
            and isinstance(payload, Mapping)
            and isinstance(payload.get("writeKey"), str)
        ):
            given = payload["writeKey"].encode()
        return given is not None and hmac.compare_digest(given, self._write_key)


def _basic_user(header: str) -> bytes | None:
    scheme, _, encoded = header.partition(" ")
    if scheme.lower() != "basic" or not encoded:
        return None
    try:
        decoded = base64.b64decode(encoded.strip(), validate=True)
    except (binascii.Error, ValueError):
        return None
    return decoded.split(b":", 1)[0]


def _no_storage(events: list[Event]) -> list[bool]:
    raise RuntimeError("this IngestApp was built without storage; use check() and accepted()")
