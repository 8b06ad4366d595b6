"""Paginators: v1 offset (``start``/``limit``), v2 cursor (``cursor``/``next_cursor``).

Each paginator is a tiny token object: :meth:`first_params` for the first request and
:meth:`next_params` from a response body (None when done). A repeated cursor or a
``next_start`` that does not move forward raises :class:`~pdsync.errors.PaginationError`
instead of looping forever. A ``data: null`` page has no records; whether that ends the
list is the envelope's say (:func:`promises_more`), never the page's: an empty page that
promises more is asked for again and then walked past (``PipedriveClient.list_page``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal, Protocol

from pdsync.errors import PaginationError

__all__ = [
    "CursorPaginator",
    "NoPaginator",
    "OffsetPaginator",
    "Page",
    "PaginationStyle",
    "Paginator",
    "make_paginator",
    "page_items",
    "promises_more",
]

PaginationStyle = Literal["cursor", "offset", "none"]
DEFAULT_LIMIT = 500


@dataclass(frozen=True)
class Page:
    """One page of a list: its items, ``additional_data`` and 1-based number."""

    items: list[dict[str, Any]]
    additional_data: dict[str, Any] = field(default_factory=dict)
    number: int = 1


def page_items(body: dict[str, Any]) -> list[dict[str, Any]]:
    """The records of a list response; ``data: null`` means none.

    v2 search answers ``data: {"items": [...]}``; a single object becomes a one-item list.
    """
    data = body.get("data")
    if data is None:
        return []
    if isinstance(data, list):
        return data
    if isinstance(data, dict):
        items = data.get("items")
        return items if isinstance(items, list) else [data]
    return []


def additional_data(body: dict[str, Any]) -> dict[str, Any]:
    extra = body.get("additional_data")
    return extra if isinstance(extra, dict) else {}


def promises_more(style: PaginationStyle, body: dict[str, Any]) -> bool:
    """Whether a list page's envelope says more pages follow."""
    extra = additional_data(body)
    if style == "cursor":
        return bool(extra.get("next_cursor"))
    if style == "offset":
        pagination = extra.get("pagination")
        return isinstance(pagination, dict) and bool(pagination.get("more_items_in_collection"))
    return False


class Paginator(Protocol):
    pages: int
    style: PaginationStyle

    def first_params(self) -> dict[str, Any]: ...

    def next_params(self, body: dict[str, Any]) -> dict[str, Any] | None: ...


class CursorPaginator:
    """v2 lists and v1 ``*/collection``: follow ``additional_data.next_cursor``."""

    style: PaginationStyle = "cursor"

    def __init__(self, limit: int = DEFAULT_LIMIT, path: str = "") -> None:
        self.limit = limit
        self.path = path
        self.pages = 0
        self._seen: set[str] = set()

    def first_params(self) -> dict[str, Any]:
        return {"limit": self.limit}

    def next_params(self, body: dict[str, Any]) -> dict[str, Any] | None:
        self.pages += 1
        cursor = additional_data(body).get("next_cursor")
        if not cursor:
            return None
        cursor = str(cursor)
        if cursor in self._seen:
            raise PaginationError(
                f"Pipedrive returned cursor page {self.pages} of {self.path or 'a list'} twice."
            )
        self._seen.add(cursor)
        return {"limit": self.limit, "cursor": cursor}


class OffsetPaginator:
    """v1 lists: ``start`` + ``limit``, follow ``pagination.next_start`` while more items."""

    style: PaginationStyle = "offset"

    def __init__(self, limit: int = DEFAULT_LIMIT, path: str = "") -> None:
        self.limit = limit
        self.path = path
        self.pages = 0
        self._start = 0

    def first_params(self) -> dict[str, Any]:
        return {"start": 0, "limit": self.limit}

    def next_params(self, body: dict[str, Any]) -> dict[str, Any] | None:
        self.pages += 1
        pagination = additional_data(body).get("pagination") or {}
        if not pagination.get("more_items_in_collection"):
            return None
        next_start = pagination.get("next_start")
        if next_start is None:
            # Some v1 lists omit next_start; the next page starts after this one's items
            # (after a whole page's worth when an empty page is walked past).
            next_start = self._start + (len(page_items(body)) or self.limit)
        next_start = int(next_start)
        if next_start <= self._start:
            raise PaginationError(
                f"Pipedrive's next_start ({next_start}) did not move past {self._start} "
                f"on page {self.pages} of {self.path or 'a list'}."
            )
        self._start = next_start
        return {"start": next_start, "limit": self.limit}


class NoPaginator:
    """Unpaginated lists (``/v1/users``, ``/v1/currencies`` ...): one request."""

    style: PaginationStyle = "none"

    def __init__(self, limit: int = DEFAULT_LIMIT, path: str = "") -> None:
        self.pages = 0

    def first_params(self) -> dict[str, Any]:
        return {}

    def next_params(self, body: dict[str, Any]) -> dict[str, Any] | None:
        self.pages += 1
        return None


def make_paginator(
    style: PaginationStyle | None, version: str, *, limit: int, path: str
) -> Paginator:
    """The paginator for a style; by default v2 uses cursors and v1 offsets."""
    chosen = style or ("cursor" if version == "v2" else "offset")
    classes: dict[str, type[CursorPaginator] | type[OffsetPaginator] | type[NoPaginator]] = {
        "cursor": CursorPaginator,
        "offset": OffsetPaginator,
        "none": NoPaginator,
    }
    if chosen not in classes:
        raise ValueError(f"unknown pagination style {chosen!r}")
    return classes[chosen](limit=limit, path=path)
