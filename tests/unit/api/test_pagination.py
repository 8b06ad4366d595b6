from __future__ import annotations

from typing import Any

import httpx
import pytest
from api_fakes import TOKEN, FakeClock, FakePipedrive, envelope

from pdsync.api.client import PipedriveClient
from pdsync.api.pagination import CursorPaginator, OffsetPaginator, page_items
from pdsync.config import Connection
from pdsync.errors import PaginationError

CONN = Connection(api_token=TOKEN, base_url="http://pd.test")


def make_client(transport: httpx.BaseTransport, clock: FakeClock) -> PipedriveClient:
    return PipedriveClient(CONN, transport=transport, sleep=clock.sleep, clock=clock)


@pytest.mark.parametrize("deals,limit", [(0, 500), (23, 5), (25, 5), (501, 500)])
def test_v2_cursor_pages_join_to_the_whole_list(deals: int, limit: int) -> None:
    clock = FakeClock()
    fake = FakePipedrive(clock=clock, deals=deals)
    with make_client(fake.transport(), clock) as client:
        pages = list(client.paginate("deals", limit=limit))
    ids = [item["id"] for page in pages for item in page.items]
    assert ids == list(range(1, deals + 1))
    assert [p.number for p in pages] == list(range(1, len(pages) + 1))
    assert all(r.url.params["limit"] == str(limit) for r in fake.requests)
    assert "cursor" not in fake.requests[0].url.params


def test_v1_offset_pages_follow_next_start() -> None:
    clock = FakeClock()
    fake = FakePipedrive(clock=clock, deals=12)
    with make_client(fake.transport(), clock) as client:
        ids = [d["id"] for d in client.iter_items("deals", version="v1", limit=5)]
    assert ids == list(range(1, 13))
    assert [r.url.params["start"] for r in fake.requests] == ["0", "5", "10"]


def test_default_limit_is_500_and_token_goes_in_a_header() -> None:
    clock = FakeClock()
    fake = FakePipedrive(clock=clock, deals=3)
    with make_client(fake.transport(), clock) as client:
        list(client.iter_items("deals"))
    request = fake.requests[0]
    assert request.url.params["limit"] == "500"
    assert request.headers["x-api-token"] == TOKEN
    assert TOKEN not in str(request.url)


def _scripted(pages: list[httpx.Response]) -> httpx.MockTransport:
    queue = list(pages)

    def handle(request: httpx.Request) -> httpx.Response:
        return queue.pop(0)

    return httpx.MockTransport(handle)


def test_a_repeated_cursor_stops_with_pagination_error() -> None:
    clock = FakeClock()
    pages = [
        envelope([{"id": 1}], {"next_cursor": "abc"}),
        envelope([{"id": 2}], {"next_cursor": "abc"}),
    ]
    with make_client(_scripted(pages), clock) as client, pytest.raises(PaginationError):
        list(client.iter_items("deals"))


def test_an_offset_that_does_not_advance_stops_with_pagination_error() -> None:
    clock = FakeClock()
    stuck = {
        "pagination": {"start": 0, "limit": 1, "more_items_in_collection": True, "next_start": 0}
    }
    client = make_client(_scripted([envelope([{"id": 1}], stuck)]), clock)
    with client, pytest.raises(PaginationError):
        list(client.iter_items("deals", version="v1"))


def test_a_first_null_data_page_that_promises_nothing_is_an_empty_list() -> None:
    clock = FakeClock()
    with make_client(_scripted([envelope(None, {"next_cursor": None})]), clock) as client:
        result = list(client.paginate("deals"))
        assert [p.items for p in result] == [[]]
        assert client.stats.retries == 0  # nothing was promised: nothing to ask again
        assert client.notices.snapshot() == {}


def test_offset_without_next_start_counts_items() -> None:
    paginator = OffsetPaginator(limit=2)
    body: dict[str, Any] = {
        "data": [{"id": 1}, {"id": 2}],
        "additional_data": {"pagination": {"more_items_in_collection": True}},
    }
    assert paginator.next_params(body) == {"start": 2, "limit": 2}


def test_offset_without_next_start_steps_a_whole_page_past_an_empty_page() -> None:
    paginator = OffsetPaginator(limit=50)
    body: dict[str, Any] = {
        "data": None,
        "additional_data": {"pagination": {"more_items_in_collection": True}},
    }
    assert paginator.next_params(body) == {"start": 50, "limit": 50}


def test_page_items_shapes() -> None:
    assert page_items({"data": None}) == []
    assert page_items({"data": {"items": [{"id": 1}]}}) == [{"id": 1}]
    assert page_items({"data": {"id": 3}}) == [{"id": 3}]
    assert CursorPaginator(limit=7).first_params() == {"limit": 7}
