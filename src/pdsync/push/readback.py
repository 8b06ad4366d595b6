"""Find a record whose create request went out but whose answer never came back.

A POST is never retried blindly: the request may have landed. Before a create is sent
again, the records changed since just before it was sent are listed (``updated_since``,
cheap and outside the search rate limit) and compared with the body that was sent. A
record that holds every sent value, was added after the request left, and is not
already claimed by another row is the one that landed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping
from typing import Any

from pdsync.push.api import PushClient, is_deleted, list_records
from pdsync.push.objects import ObjectSpec
from pdsync.push.payload import same

# Clock skew and request latency tolerated between our clock and Pipedrive's.
SKEW_SECONDS = 120.0


def find_created(
    client: PushClient,
    spec: ObjectSpec,
    body: Mapping[str, Any],
    sent_at: float,
    claimed: Callable[[Any], bool] = lambda _: False,
) -> Any | None:
    """The id of the record this create made, or None if it did not land."""
    since = dt.datetime.fromtimestamp(sent_at - SKEW_SECONDS, tz=dt.timezone.utc)
    if spec.version == "v2":
        params = {"updated_since": since.strftime("%Y-%m-%dT%H:%M:%SZ")}
    else:
        params = {"updated_since": since.strftime("%Y-%m-%d %H:%M:%S")}
    for record in list_records(client, spec.path, spec.version, params):
        if is_deleted(record) or not _added_after(record, sent_at - SKEW_SECONDS):
            continue
        if holds_body(record, body) and not claimed(record.get("id")):
            return record.get("id")
    return None


def holds_body(record: Mapping[str, Any], body: Mapping[str, Any]) -> bool:
    """True if the record has every value of a create body (custom fields included)."""
    for key, value in body.items():
        if key == "custom_fields" and isinstance(value, Mapping):
            current = record.get("custom_fields") or {}
            if not all(same(v, current.get(k)) for k, v in value.items()):
                return False
        elif not same(value, record.get(key)):
            return False
    return True


def _added_after(record: Mapping[str, Any], threshold: float) -> bool:
    added = parse_time(record.get("add_time"))
    return added is None or added >= threshold


def parse_time(value: Any) -> float | None:
    """Seconds since the epoch of a v2 RFC 3339 or v1 ``YYYY-MM-DD HH:MM:SS`` (UTC) time."""
    if not isinstance(value, str) or not value:
        return None
    text = value.strip().replace("Z", "+00:00")
    try:
        parsed = dt.datetime.fromisoformat(text)
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=dt.timezone.utc)
    return parsed.timestamp()
