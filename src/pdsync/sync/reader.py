"""Reading pages of one list endpoint: the request params and the two page walks.

Incremental reads ask for ``updated_since`` (inclusive) sorted by ``update_time``
ascending, and ``updated_until`` (exclusive) where the endpoint has it so a read
has a fixed end. v2 lists walk their opaque cursor, which is stable under
concurrent writes. v1 lists page by offset, and an offset walk over a list
sorted by update time skips a record whenever an earlier one is edited during
the read (everything behind it shifts left); so v1 incremental reads walk by
*keyset* instead: each page asks again from the highest ``update_time`` seen
(inclusive, re-reading only the ties), falling back to offsets only inside a
run of records that share one timestamp.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.pagination import additional_data, page_items
from pdsync.catalog.streams import StreamSpec
from pdsync.errors import PaginationError
from pdsync.sync.state import format_instant

EPOCH = "1970-01-01T00:00:00Z"


@dataclass(frozen=True)
class RawPage:
    records: list[dict[str, Any]]
    next_page: str | None  # None: this was the last page
    seen: str | None  # highest cursor value on the page (canonical UTC text)


def records_of(spec: StreamSpec, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a response, wherever the stream's envelope keeps them."""
    if spec.records_path == ("data",):
        return page_items(dict(body))
    node: Any = body
    for key in spec.records_path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return [r for r in node if isinstance(r, dict)] if isinstance(node, list) else []


def max_cursor(spec: StreamSpec, records: list[dict[str, Any]]) -> str | None:
    field = spec.cursor
    if field is None:
        return None
    values = [r.get(field) for r in records]
    present = [format_instant(v) for v in values if isinstance(v, str) and v]
    return max(present) if present else None


def list_params(spec: StreamSpec, extra: Mapping[str, Any] | None = None) -> dict[str, Any]:
    params: dict[str, Any] = dict(spec.params)
    params.update(extra or {})
    return params


def incremental_params(
    spec: StreamSpec, since: str | None, until: str | None, extra: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    inc = spec.incremental
    assert inc is not None, f"{spec.name} has no incremental read"
    params = list_params(spec, extra)
    params.update(dict(inc.sort))
    if since and since != EPOCH:
        params[inc.since_param] = since
    if until and inc.until_param:
        params[inc.until_param] = until
    return params


def walk(
    client: PipedriveClient,
    spec: StreamSpec,
    params: Mapping[str, Any],
    *,
    path: str | None = None,
    start_cursor: str | None = None,
) -> Iterator[RawPage]:
    """Every page of a list, in order (keyset walk for v1 incremental reads)."""
    style = spec.pagination
    sorted_by_cursor = spec.incremental is not None and all(
        k in params for k, _ in spec.incremental.sort
    )
    if style == "offset" and sorted_by_cursor:
        yield from _keyset_walk(client, spec, params, path or spec.path)
        return
    yield from _plain_walk(client, spec, params, path or spec.path, start_cursor)


def _plain_walk(
    client: PipedriveClient,
    spec: StreamSpec,
    params: Mapping[str, Any],
    path: str,
    start_cursor: str | None,
) -> Iterator[RawPage]:
    style = spec.pagination
    cursor, start, seen_cursors = start_cursor, 0, set()
    while True:
        query = dict(params)
        if style != "none":
            query["limit"] = spec.page_limit
        if style == "cursor" and cursor:
            query["cursor"] = cursor
        if style == "offset":
            query["start"] = start
        body = client.get(path, version=spec.version, params=query)
        records = records_of(spec, body)
        nxt = _next_token(style, body, start, len(records))
        yield RawPage(records, nxt, max_cursor(spec, records))
        if nxt is None:
            return
        if nxt in seen_cursors:
            raise PaginationError(f"Pipedrive repeated a page cursor of {spec.name}.")
        seen_cursors.add(nxt)
        if style == "cursor":
            cursor = nxt
        else:
            start = int(nxt)


def _next_token(style: str, body: Mapping[str, Any], start: int, count: int) -> str | None:
    extra = additional_data(dict(body))
    if style == "cursor":
        token = extra.get("next_cursor")
        return str(token) if token else None
    if style == "offset":
        pagination = extra.get("pagination") or {}
        if not pagination.get("more_items_in_collection"):
            return None
        nxt = pagination.get("next_start")
        return str(int(nxt) if nxt is not None else start + count)
    return None


def _keyset_walk(
    client: PipedriveClient, spec: StreamSpec, params: Mapping[str, Any], path: str
) -> Iterator[RawPage]:
    assert spec.incremental is not None
    since_param = spec.incremental.since_param
    query = dict(params)
    offset = 0  # only non-zero inside a run of records sharing one update_time
    while True:
        body = client.get(
            path,
            version=spec.version,
            params={**query, "start": offset, "limit": spec.page_limit},
        )
        records = records_of(spec, body)
        seen = max_cursor(spec, records)
        more = bool(
            (additional_data(dict(body)).get("pagination") or {}).get("more_items_in_collection")
        )
        yield RawPage(records, "more" if more else None, seen)
        if not more or seen is None:
            return
        if seen == query.get(since_param):
            offset += len(records)  # the whole page shares the boundary time: step over it
        else:
            query[since_param], offset = seen, 0
