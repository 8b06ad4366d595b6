"""Small stateful fakes for client tests: a shared fake clock and a fake Pipedrive."""

from __future__ import annotations

import json
import threading
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import httpx

TOKEN = "test-token-7f3a9c1e5b2d4f60"


class FakeClock:
    """A monotonic clock that only moves when someone sleeps (thread-safe)."""

    def __init__(self) -> None:
        self.now = 1000.0
        self.slept: list[float] = []
        self._lock = threading.Lock()

    def __call__(self) -> float:
        with self._lock:
            return self.now

    def sleep(self, seconds: float) -> None:
        with self._lock:
            self.slept.append(seconds)
            self.now += seconds


def envelope(
    data: Any,
    additional: dict[str, Any] | None = None,
    status: int = 200,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    body: dict[str, Any] = {"success": status < 400, "data": data}
    if additional is not None:
        body["additional_data"] = additional
    return httpx.Response(status, json=body, headers=headers or {})


def error(status: int, message: str, headers: dict[str, str] | None = None) -> httpx.Response:
    body = {
        "success": False,
        "error": message,
        "error_info": "Please check developers.pipedrive.com",
    }
    return httpx.Response(status, json=body, headers=headers or {})


@dataclass
class FakePipedrive:
    """A tiny Pipedrive: checks the token header, serves deals in v1 offset and v2 cursor
    pages, and enforces a rolling burst window on a (fake) clock."""

    clock: Callable[[], float]
    deals: int = 23
    burst_limit: int = 1000
    window: float = 2.0
    token: str = TOKEN
    requests: list[httpx.Request] = field(default_factory=list)
    arrivals: deque[float] = field(default_factory=deque)
    burst_429s: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def transport(self) -> httpx.MockTransport:
        return httpx.MockTransport(self.handle)

    def handle(self, request: httpx.Request) -> httpx.Response:
        with self.lock:
            self.requests.append(request)
            now = self.clock()
            while self.arrivals and self.arrivals[0] <= now - self.window:
                self.arrivals.popleft()
            if len(self.arrivals) >= self.burst_limit:
                self.burst_429s += 1
                return error(429, "Too many requests", {"retry-after": "2"})
            self.arrivals.append(now)
            remaining = self.burst_limit - len(self.arrivals)
        headers = {
            "x-ratelimit-limit": str(self.burst_limit),
            "x-ratelimit-remaining": str(remaining),
            "x-ratelimit-reset": str(int(self.window)),
        }
        if request.headers.get("x-api-token") != self.token:
            return error(401, "unauthorized access")
        response = self.route(request)
        response.headers.update(headers)
        return response

    def route(self, request: httpx.Request) -> httpx.Response:
        path = request.url.path
        params = request.url.params
        limit = int(params.get("limit", "100"))
        ids = list(range(1, self.deals + 1))
        if path == "/api/v2/deals":
            start = int(params.get("cursor", "0"))
            page = ids[start : start + limit]
            more = start + limit < len(ids)
            cursor = str(start + limit) if more else None
            return envelope([{"id": i} for i in page], {"next_cursor": cursor})
        if path == "/api/v1/deals":
            start = int(params.get("start", "0"))
            page = ids[start : start + limit]
            more = start + limit < len(ids)
            pagination = {"start": start, "limit": limit, "more_items_in_collection": more}
            if more:
                pagination["next_start"] = start + limit
            return envelope([{"id": i} for i in page], {"pagination": pagination})
        if path == "/api/v1/users/me":
            return envelope(
                {
                    "id": 7,
                    "name": "Jane Doe",
                    "email": "jane@acme.test",
                    "company_name": "Acme Ltd",
                    "company_domain": "acme",
                    "access": [{"app": "global", "admin": True}],
                }
            )
        return error(404, f"path {path} not found")


def json_body(request: httpx.Request) -> Any:
    return json.loads(request.content or b"null")
