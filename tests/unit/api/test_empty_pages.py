"""A page never ends or thins a listing silently; a 200 that cannot be read is asked again.

The fake is a small stateful list server: it pages its records by v2 cursor or v1 offset
and lets chosen pages misbehave (no records, a body that is not JSON, a body cut short)
a set number of times before they answer properly.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from typing import Any

import httpx
import pytest
from api_fakes import TOKEN, FakeClock

from pdsync.api.client import EMPTY_PAGE_RETRIES, PipedriveClient
from pdsync.api.notices import EMPTY_PAGE
from pdsync.config import Connection
from pdsync.errors import ApiError

CONN = Connection(api_token=TOKEN, base_url="http://pd.test")


@dataclass
class ListServer:
    """``/api/v2/deals`` (cursor) and ``/api/v1/deals`` (offset) over ``total`` records.

    ``faults`` maps a page's start offset to how the next requests for it go wrong, in
    order ("null", "empty", "garbage", "cut"); once used up, the page answers properly.
    """

    total: int = 10
    faults: dict[int, list[str]] = field(default_factory=dict)
    next_start: bool = True  # v1: say where the next page starts (some lists do not)
    served: list[tuple[str, int, str]] = field(default_factory=list)  # (method, start, how)

    def handle(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        limit = int(params.get("limit", "100"))
        v2 = request.url.path.startswith("/api/v2/")
        start = int(params.get("cursor", "0") if v2 else params.get("start", "0"))
        pending = self.faults.get(start, [])
        how = pending.pop(0) if pending and request.method == "GET" else "ok"
        if request.method != "GET":
            how = self.faults.get(-1, ["ok"])[0]  # writes: one fixed behaviour
        self.served.append((request.method, start, how))
        ids = list(range(1, self.total + 1))[start : start + limit]
        more = start + limit < self.total
        data: Any = [{"id": i} for i in ids]
        if how == "null":
            data = None
        elif how == "empty":
            data = []
        if v2:
            extra: dict[str, Any] = {"next_cursor": str(start + limit) if more else None}
        else:
            pagination: dict[str, Any] = {"start": start, "more_items_in_collection": more}
            if more and self.next_start:
                pagination["next_start"] = start + limit
            extra = {"pagination": pagination}
        body = json.dumps({"success": True, "data": data, "additional_data": extra}).encode()
        if how == "garbage":
            return httpx.Response(200, content=b"<html>upstream error</html>")
        if how == "cut":
            headers = {"content-length": str(len(body)), "content-type": "application/json"}
            return httpx.Response(200, content=body[: len(body) // 2], headers=headers)
        return httpx.Response(200, content=body, headers={"content-type": "application/json"})

    def client(self, clock: FakeClock) -> PipedriveClient:
        return PipedriveClient(
            CONN, transport=httpx.MockTransport(self.handle), sleep=clock.sleep, clock=clock
        )


def ids_of(client: PipedriveClient, version: str, limit: int = 3) -> list[int]:
    return [r["id"] for r in client.iter_items("deals", version=version, limit=limit)]  # type: ignore[arg-type]


@pytest.mark.parametrize("version", ["v2", "v1"])
@pytest.mark.parametrize("form", ["null", "empty"])
def test_an_empty_page_that_promises_more_is_asked_again(version: str, form: str) -> None:
    server, clock = ListServer(faults={3: [form, form]}), FakeClock()
    with server.client(clock) as client:
        assert ids_of(client, version) == list(range(1, 11))
        assert client.stats.retries == 2
        assert client.notices.snapshot() == {}
    assert [s for _, s, _ in server.served] == [0, 3, 3, 3, 6, 9]
    assert len(clock.slept) == 2 and clock.slept[0] < clock.slept[1]  # backoff grows


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_a_page_that_stays_empty_is_walked_past_with_a_counted_notice(version: str) -> None:
    server = ListServer(faults={3: ["null"] * 10, 6: ["empty"] * 10})
    with server.client(FakeClock()) as client:
        assert ids_of(client, version) == [1, 2, 3, 10]  # the rest of the list is still read
        notices = client.notices.snapshot()
    (notice,) = notices.values()
    assert (notice.kind, notice.count) == (EMPTY_PAGE, 2)
    assert notice.subject == f"/api/{version}/deals"
    assert "walked past" in notice.describe() and "[2 times]" in notice.describe()
    asked = [s for _, s, _ in server.served]
    assert asked.count(3) == asked.count(6) == EMPTY_PAGE_RETRIES + 1


def test_an_empty_v1_page_without_next_start_is_walked_past_by_a_whole_page() -> None:
    server = ListServer(faults={3: ["null"] * 10}, next_start=False)
    with server.client(FakeClock()) as client:
        assert ids_of(client, "v1") == [1, 2, 3, 7, 8, 9, 10]


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_an_empty_last_page_that_was_promised_is_asked_again(version: str) -> None:
    server = ListServer(total=6, faults={3: ["null"]})  # the last page: it promises nothing
    with server.client(FakeClock()) as client:
        assert ids_of(client, version) == [1, 2, 3, 4, 5, 6]
        assert client.stats.retries == 1


def test_an_empty_last_page_that_stays_empty_ends_the_list_with_a_notice() -> None:
    server = ListServer(total=6, faults={3: ["empty"] * 10})
    with server.client(FakeClock()) as client:
        assert ids_of(client, "v2") == [1, 2, 3]
        assert client.notices.count("/api/v2/deals", EMPTY_PAGE) == 1


@pytest.mark.parametrize("version", ["v2", "v1"])
def test_an_empty_list_is_one_request(version: str) -> None:
    server = ListServer(total=0, faults={0: ["null"]})
    with server.client(FakeClock()) as client:
        assert ids_of(client, version) == []
        assert client.stats.retries == 0 and client.notices.snapshot() == {}
    assert len(server.served) == 1


@pytest.mark.parametrize("how", ["garbage", "cut"])
def test_an_unreadable_200_is_retried_like_a_5xx(how: str) -> None:
    server, clock = ListServer(faults={3: [how, how]}), FakeClock()
    with server.client(clock) as client:
        assert ids_of(client, "v2") == list(range(1, 11))
        assert client.stats.retries == 2
    assert [s for _, s, _ in server.served] == [0, 3, 3, 3, 6, 9]
    assert clock.slept[0] < clock.slept[1]


@pytest.mark.parametrize("how,words", [("garbage", "not JSON"), ("cut", "cut short")])
def test_an_unreadable_200_that_persists_ends_with_the_clear_error(how: str, words: str) -> None:
    server = ListServer(faults={0: [how] * 20})
    client = PipedriveClient(
        CONN, transport=httpx.MockTransport(server.handle), sleep=FakeClock().sleep, max_retries=2
    )
    with client, pytest.raises(ApiError) as info:
        ids_of(client, "v2")
    assert words in info.value.message and info.value.exit_code == 3
    assert "base URL" in (info.value.hint or "")
    assert len(server.served) == 3  # the first try and two retries


@pytest.mark.parametrize("method", ["POST", "PATCH"])
def test_an_unreadable_200_to_a_write_is_not_sent_again(method: str) -> None:
    server = ListServer(faults={-1: ["garbage"]})
    with server.client(FakeClock()) as client, pytest.raises(ApiError) as info:
        client.request(method, "deals", json={"title": "x"})
    assert len(server.served) == 1
    assert "may have landed" in (info.value.hint or "")


def test_an_unreadable_200_to_an_idempotent_write_is_sent_again() -> None:
    server = ListServer(faults={-1: ["garbage"]})
    with server.client(FakeClock()) as client, pytest.raises(ApiError):
        client.request("PUT", "deals/1", json={"title": "x"})
    assert len(server.served) == 6  # PUT is idempotent: retried up to max_retries (5)


def test_with_nobody_listening_a_notice_is_logged_once(caplog: pytest.LogCaptureFixture) -> None:
    server = ListServer(faults={3: ["null"] * 10, 6: ["null"] * 10})
    with caplog.at_level("WARNING", logger="pdsync.api"), server.client(FakeClock()) as client:
        ids_of(client, "v2")
        heard: list[int] = []
        stop = client.notices.subscribe(lambda n: heard.append(n.count))
        client.notices.add("/api/v2/deals", EMPTY_PAGE, "again")
        stop()
    assert [r.getMessage().count("walked past") for r in caplog.records] == [1]
    assert heard == [3]  # a listener hears every occurrence, with its running count
