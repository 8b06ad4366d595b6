"""The few API calls push needs, over any client with pdsync's ``request`` signature.

:class:`PushClient` is the slice of :class:`pdsync.api.client.PipedriveClient` that push
uses (the same as events': :class:`pdsync.fieldmap.RequestClient`), so tests can pass a
fake and the library never depends on more than this.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pdsync.errors import NotFoundError
from pdsync.fieldmap import RequestClient, Version, list_records, search_exact
from pdsync.push.objects import ObjectSpec

PushClient = RequestClient

__all__ = ["PushClient", "Version", "data_of", "get_record", "list_records", "search_exact"]


def data_of(envelope: Mapping[str, Any]) -> Any:
    return envelope.get("data")


def get_record(client: PushClient, spec: ObjectSpec, record_id: Any) -> dict[str, Any] | None:
    """The record as the API shows it, or None if it does not exist or is deleted."""
    try:
        record = data_of(client.request("GET", spec.record_path(record_id), version=spec.version))
    except NotFoundError:
        return None
    if not isinstance(record, dict) or is_deleted(record):
        return None
    return record


def is_deleted(record: Mapping[str, Any]) -> bool:
    if record.get("is_deleted") is True or record.get("deleted") is True:
        return True
    return record.get("active_flag") is False or record.get("status") == "deleted"
