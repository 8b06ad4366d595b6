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

Neither walk trusts the order it asked for (:mod:`pdsync.sync.order`): every page is
checked, and a list that is not in order is read again with a walk that cannot skip.
A page that comes back empty while its envelope promises more is asked for again, then
walked past (:meth:`PipedriveClient.list_page`). Both leave a notice on the client.
"""

from __future__ import annotations

from collections.abc import Generator, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.notices import UNORDERED
from pdsync.api.pagination import additional_data, page_items
from pdsync.catalog.streams import StreamSpec
from pdsync.errors import PaginationError
from pdsync.sync.order import (
    CursorRange,
    OrderCheck,
    asks_cursor_order,
    cursor_values,
    stable_params,
)

EPOCH = "1970-01-01T00:00:00Z"
# Page tokens of a walk that fell back to a plain listing start with this: a partition
# resumed from one restarts that listing from the partition's start (see fetch.py).
UNORDERED_TOKEN = "unordered:"


@dataclass(frozen=True)
class RawPage:
    records: list[dict[str, Any]]
    next_page: str | None  # None: this was the last page
    # A safe bookmark: every record of the walk's range with a lower cursor value has been
    # read (the highest value on the page of a walk whose order was checked); None when
    # the walk has no such point (a listing in no checked order, an empty page).
    seen: str | None


def records_of(spec: StreamSpec, body: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The records of a response, wherever the stream's envelope keeps them."""
    if spec.records_path == ("data",):
        return page_items(dict(body))
    node: Any = body
    for key in spec.records_path:
        node = node.get(key) if isinstance(node, Mapping) else None
    return [r for r in node if isinstance(r, dict)] if isinstance(node, list) else []


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
    trust_order: bool = True,
) -> Iterator[RawPage]:
    """Every page of a list, in order (keyset walk for v1 incremental reads).

    A walk asked in cursor order checks every page and, at the first page out of order,
    reads the whole range again with a plain listing (``trust_order=False`` starts with
    that listing: a partition that fell back before is resumed so).
    """
    where = path or spec.path
    if not asks_cursor_order(spec, params):
        for records, token in _plain_pages(client, spec, params, where, start_cursor):
            yield RawPage(records, token, None)
        return
    if not trust_order:
        yield from _unordered_walk(client, spec, params, where, "a resumed read that fell back")
        return
    pages = (
        _keyset_pages(client, spec, params, where)
        if spec.pagination == "offset"
        else _plain_pages(client, spec, params, where, start_cursor)
    )
    check = OrderCheck(CursorRange.of(spec, params).since)
    for number, (records, token) in enumerate(pages, 1):
        values = cursor_values(records, spec.cursor)
        if not check.admits(values):
            pages.close()
            why = f"page {number} was out of order"
            yield from _unordered_walk(client, spec, params, where, why)
            return
        yield RawPage(records, token, values[-1] if values else None)


def is_unordered_token(token: str | None) -> bool:
    """Whether a page token was left by a walk that fell back to a plain listing."""
    return token is not None and token.startswith(UNORDERED_TOKEN)


def _unordered_walk(
    client: PipedriveClient, spec: StreamSpec, params: Mapping[str, Any], path: str, why: str
) -> Iterator[RawPage]:
    """The range read again by a listing that cannot skip, filtered to the range on our side.

    Its pages carry no safe bookmark (``seen=None``): the range is complete only at its end.
    """
    client.notices.add(
        spec.name,
        UNORDERED,
        f"Pipedrive did not list {spec.version} {path} in the {spec.cursor} order asked for "
        f"({why}); the range was read again with a plain listing that cannot skip records "
        f"(more requests, nothing lost)",
    )
    keep = CursorRange.of(spec, params)
    for records, token in _plain_pages(client, spec, stable_params(spec, params), path, None):
        yield RawPage(keep.keep(records), None if token is None else UNORDERED_TOKEN + token, None)


Pages = Generator[tuple[list[dict[str, Any]], str | None], None, None]


def _list_page(
    client: PipedriveClient,
    spec: StreamSpec,
    path: str,
    query: Mapping[str, Any],
    promised: bool,
) -> dict[str, Any]:
    """A page, asked again when it is empty while it or its predecessor promised more."""
    return client.list_page(
        path,
        version=spec.version,
        params=query,
        style=spec.pagination,
        records=lambda body: records_of(spec, body),
        subject=spec.name,
        promised=promised,
    )


def _plain_pages(
    client: PipedriveClient,
    spec: StreamSpec,
    params: Mapping[str, Any],
    path: str,
    start_cursor: str | None,
) -> Pages:
    """(records, next page token) of each page, following the API's cursor or offset."""
    style = spec.pagination
    cursor, start, seen_cursors = start_cursor, 0, set()
    promised = start_cursor is not None  # every page but the first was promised by one
    while True:
        query = dict(params)
        if style != "none":
            query["limit"] = spec.page_limit
        if style == "cursor" and cursor:
            query["cursor"] = cursor
        if style == "offset":
            query["start"] = start
        body = _list_page(client, spec, path, query, promised)
        records = records_of(spec, body)
        nxt = _next_token(style, body, start, len(records) or spec.page_limit)
        yield records, nxt
        if nxt is None:
            return
        promised = True
        if nxt in seen_cursors:
            raise PaginationError(f"Pipedrive repeated a page cursor of {spec.name}.")
        seen_cursors.add(nxt)
        if style == "cursor":
            cursor = nxt
        else:
            start = int(nxt)


def _next_token(style: str, body: Mapping[str, Any], start: int, step: int) -> str | None:
    extra = additional_data(dict(body))
    if style == "cursor":
        token = extra.get("next_cursor")
        return str(token) if token else None
    if style == "offset":
        pagination = extra.get("pagination") or {}
        if not pagination.get("more_items_in_collection"):
            return None
        nxt = pagination.get("next_start")
        return str(int(nxt) if nxt is not None else start + step)
    return None


def _keyset_pages(
    client: PipedriveClient, spec: StreamSpec, params: Mapping[str, Any], path: str
) -> Pages:
    """Pages of a v1 list sorted by the cursor, each asked from the highest value read."""
    assert spec.incremental is not None
    since_param = spec.incremental.since_param
    query = dict(params)
    offset = 0  # only non-zero inside a run of records sharing one update_time
    promised = False
    while True:
        page = {**query, "start": offset, "limit": spec.page_limit}
        body = _list_page(client, spec, path, page, promised)
        records = records_of(spec, body)
        values = cursor_values(records, spec.cursor)
        seen = max(values) if values else None
        token = _next_token("offset", body, offset, len(records) or spec.page_limit)
        yield records, None if token is None else "more"
        if token is None:
            return
        promised = True
        if seen is None or seen == query.get(since_param):
            # No record to move the keyset to (an empty page walked past, records without
            # a cursor value) or a whole page at the boundary time: step on by offset.
            offset = offset + len(records) if records else int(token)
        else:
            query[since_param], offset = seen, 0
