"""Send one validated call with pdsync's client, or walk every page of a list.

The client brings the connection's auth, the shared rate governor, retries of
idempotent requests and the daily-budget stop. Paging follows v2 cursors and v1
``start``/``more_items_in_collection`` with the checks sync puts on listings: a
repeated cursor stops the walk, and a page with no records that promises more is
asked again before it is passed by its own cursor (with a warning), never taken as
the end.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pdsync.errors import PaginationError
from pdsync.operations.catalog import Operation, normalise_path

if TYPE_CHECKING:
    from pdsync.api.client import ApiResponse, PipedriveClient

EMPTY_PAGE_RETRIES = 2


@dataclass(frozen=True)
class ApiCall:
    operation: Operation
    path: str  # as given, values filled in: "/v1/deals/42/flow"
    query: Mapping[str, Any] = field(default_factory=dict)
    body: Any = None

    @property
    def relative(self) -> str:
        return normalise_path(self.path).split("/", 3)[3]


def call(client: PipedriveClient, api_call: ApiCall) -> ApiResponse:
    op = api_call.operation
    return client.send(
        op.method,
        api_call.relative,
        version=op.version,
        params=dict(api_call.query),
        json=api_call.body,
    )


def paginate(
    client: PipedriveClient,
    api_call: ApiCall,
    *,
    warn: Callable[[str], None] = lambda message: None,
) -> Iterator[dict[str, Any]]:
    """Every record of a list, page after page."""
    query = dict(api_call.query)
    query.setdefault("limit", 500 if "files" not in api_call.relative else 100)
    seen: set[str] = set()
    while True:
        body = _page(client, api_call, query, warn)
        records = _records(body)
        yield from records
        raw_extra = body.get("additional_data")
        extra: dict[str, Any] = raw_extra if isinstance(raw_extra, dict) else {}
        pagination = extra.get("pagination") or {}
        if extra.get("next_cursor"):
            token = str(extra["next_cursor"])
            query["cursor"] = token
        elif pagination.get("more_items_in_collection"):
            start = int(query.get("start", 0) or 0)
            token = str(pagination.get("next_start", start + len(records)))
            if int(token) <= start:
                raise PaginationError(f"Pipedrive's next_start did not move past {start}.")
            query["start"] = int(token)
        else:
            return
        if token in seen:
            raise PaginationError(f"Pipedrive repeated a page cursor of {api_call.relative}.")
        seen.add(token)


def _page(
    client: PipedriveClient,
    api_call: ApiCall,
    query: dict[str, Any],
    warn: Callable[[str], None],
) -> dict[str, Any]:
    replay = ApiCall(api_call.operation, api_call.path, query, None)
    for attempt in range(EMPTY_PAGE_RETRIES + 1):
        body = call(client, replay).body
        if _records(body) or not _promises_more(body):
            return body
        if attempt == EMPTY_PAGE_RETRIES:
            warn(
                f"a page of {api_call.relative} had no records but promised more; "
                "passed by its own cursor after retries"
            )
    return body


def _records(body: Mapping[str, Any]) -> list[dict[str, Any]]:
    data = body.get("data")
    if isinstance(data, list):
        return [r for r in data if isinstance(r, dict)]
    if isinstance(data, dict) and isinstance(data.get("items"), list):
        return [r for r in data["items"] if isinstance(r, dict)]
    return []


def _promises_more(body: Mapping[str, Any]) -> bool:
    extra = body.get("additional_data")
    if not isinstance(extra, dict):
        return False
    return bool(extra.get("next_cursor")) or bool(
        (extra.get("pagination") or {}).get("more_items_in_collection")
    )
