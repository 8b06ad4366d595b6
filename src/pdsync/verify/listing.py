"""Listing a stream's records for an audit: every page, walked so that none can be skipped.

Verify lists what the API holds with the plainest walk the endpoint has: v2 cursors,
v1 offsets (``start``/``limit``, never sorted by a field that can change during the
walk), or one call for unpaginated lists, always at the stream's page limit (500; v1
files 100). It trusts no page it has not checked:

- a page with no records (``data: null`` or ``[]``) whose envelope promises more is
  asked again (``EMPTY_PAGE_RETRIES`` times); if it stays empty the walk moves past it
  by the envelope's own cursor / ``next_start`` (or by one page of offset) and records
  a *gap*, which the report shows: records on that page were not seen;
- a cursor seen twice, or a ``next_start`` that does not move forward, stops the walk
  with :class:`~pdsync.errors.PaginationError` rather than looping.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.api.pagination import additional_data
from pdsync.catalog.streams import StreamSpec
from pdsync.errors import PaginationError
from pdsync.sync.reader import records_of

EMPTY_PAGE_RETRIES = 2
RETRY_PAUSE = 0.25  # seconds, times the attempt number


@dataclass(frozen=True)
class ListedPage:
    records: list[dict[str, Any]]
    gap: bool = False  # the page stayed empty although more was promised: walked past it
    more: bool = False  # the envelope promised another page


@dataclass
class PageWalker:
    """Fetches pages of one endpoint; counts the requests it sent."""

    client: PipedriveClient
    sleep: Callable[[float], None] = time.sleep
    requests: int = 0

    def fetch(self, spec: StreamSpec, path: str, params: Mapping[str, Any]) -> dict[str, Any]:
        self.requests += 1
        return self.client.get(path, version=spec.version, params=dict(params))

    def page(
        self, spec: StreamSpec, path: str, params: Mapping[str, Any]
    ) -> tuple[dict[str, Any], list[dict[str, Any]], bool]:
        """One page (body, records, more promised), asked again while empty but promising."""
        attempt = 0
        while True:
            body = self.fetch(spec, path, params)
            records = records_of(spec, body)
            more = _promises_more(spec, body)
            if records or not more or attempt >= EMPTY_PAGE_RETRIES:
                return body, records, more
            attempt += 1
            self.sleep(RETRY_PAUSE * attempt)

    def walk(
        self, spec: StreamSpec, params: Mapping[str, Any], *, path: str | None = None
    ) -> Iterator[ListedPage]:
        """Every page of a list, first to last."""
        path = path or spec.path
        if spec.pagination == "none":
            _, records, _ = self.page(spec, path, params)
            yield ListedPage(records)
            return
        if spec.pagination == "offset":
            yield from self._offset_walk(spec, path, params)
        else:
            yield from self._cursor_walk(spec, path, params)

    def offset_page(self, spec: StreamSpec, params: Mapping[str, Any], start: int) -> ListedPage:
        """The page of an offset list that starts at ``start`` (for samples)."""
        query = {**params, "start": start, "limit": spec.page_limit}
        _, records, more = self.page(spec, spec.path, query)
        return ListedPage(records, gap=not records and more, more=more)

    def first_page(self, spec: StreamSpec, params: Mapping[str, Any]) -> ListedPage:
        """The first page of a list under ``params`` (for samples)."""
        query = dict(params)
        if spec.pagination != "none":
            query["limit"] = spec.page_limit
        if spec.pagination == "offset":
            query["start"] = 0
        _, records, more = self.page(spec, spec.path, query)
        return ListedPage(records, gap=not records and more, more=more)

    def _cursor_walk(
        self, spec: StreamSpec, path: str, params: Mapping[str, Any]
    ) -> Iterator[ListedPage]:
        cursor: str | None = None
        seen: set[str] = set()
        while True:
            query = {**params, "limit": spec.page_limit}
            if cursor:
                query["cursor"] = cursor
            body, records, more = self.page(spec, path, query)
            yield ListedPage(records, gap=not records and more, more=more)
            if not more:
                return
            cursor = str(additional_data(body).get("next_cursor"))
            if cursor in seen:
                raise PaginationError(f"Pipedrive repeated a page cursor of {spec.name}.")
            seen.add(cursor)

    def _offset_walk(
        self, spec: StreamSpec, path: str, params: Mapping[str, Any]
    ) -> Iterator[ListedPage]:
        start = 0
        while True:
            query = {**params, "start": start, "limit": spec.page_limit}
            body, records, more = self.page(spec, path, query)
            yield ListedPage(records, gap=not records and more, more=more)
            if not more:
                return
            pagination = additional_data(body).get("pagination") or {}
            step = len(records) or spec.page_limit  # an empty page: step over one page
            nxt = pagination.get("next_start")
            next_start = int(nxt) if nxt is not None else start + step
            if next_start <= start:
                raise PaginationError(
                    f"Pipedrive's next_start ({next_start}) for {spec.name} did not move past {start}."
                )
            start = next_start


def _promises_more(spec: StreamSpec, body: Mapping[str, Any]) -> bool:
    extra = additional_data(dict(body))
    if spec.pagination == "cursor":
        return bool(extra.get("next_cursor"))
    if spec.pagination == "offset":
        return bool((extra.get("pagination") or {}).get("more_items_in_collection"))
    return False
