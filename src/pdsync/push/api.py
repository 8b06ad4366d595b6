"""The few API calls push needs, over any client with pdsync's ``request`` signature.

:class:`PushClient` is the slice of :class:`pdsync.api.client.PipedriveClient` that push
uses, so tests can pass a fake and the library never depends on more than this.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, Literal, Protocol

from pdsync.errors import NotFoundError
from pdsync.push.objects import ObjectSpec

Version = Literal["v1", "v2"]


class PushClient(Protocol):
    def request(
        self,
        method: str,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]: ...


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


def search_exact(
    client: PushClient, search_path: str, term: str, fields: str
) -> list[dict[str, Any]]:
    """Items of a v2 exact-match search (``items[].item``), every page."""
    params: dict[str, Any] = {"term": term, "fields": fields, "exact_match": "true", "limit": 500}
    found: list[dict[str, Any]] = []
    while True:
        envelope = client.request("GET", search_path, version="v2", params=params)
        payload = data_of(envelope) or {}
        items = payload.get("items", []) if isinstance(payload, dict) else payload
        found.extend(entry.get("item", entry) for entry in items or [])
        cursor = (envelope.get("additional_data") or {}).get("next_cursor")
        if not cursor:
            return found
        params = {**params, "cursor": cursor}


def list_records(
    client: PushClient, path: str, version: Version, params: Mapping[str, Any] | None = None
) -> Iterator[dict[str, Any]]:
    """Every record of a list endpoint: v2 cursor pagination or v1 start/limit."""
    query: dict[str, Any] = {"limit": 500, **(params or {})}
    while True:
        envelope = client.request("GET", path, version=version, params=query)
        yield from data_of(envelope) or []
        extra = envelope.get("additional_data") or {}
        if version == "v2":
            cursor = extra.get("next_cursor")
            if not cursor:
                return
            query = {**query, "cursor": cursor}
        else:
            page = extra.get("pagination") or {}
            if not page.get("more_items_in_collection"):
                return
            query = {**query, "start": page.get("next_start", 0)}
