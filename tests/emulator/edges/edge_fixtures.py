"""Fixtures for the edges tests: a tiny stand-in for the emulator's core (store, router,
WSGI app), so the edges are tested on their own, over ``httpx.WSGITransport`` and over a real HTTP server."""

from __future__ import annotations

import json
import threading
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from socketserver import ThreadingMixIn
from typing import Any
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

import httpx
import pytest

from pdsync.emulator.changes import ChangeEvent, ChangeListener
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.edge_clock import FakeClock
from pdsync.emulator.edges import EdgeApp, install
from pdsync.emulator.http import (
    Request,
    Response,
    Router,
    StartResponse,
    WSGIEnviron,
    error_response,
)

TOKEN = "test-token-abcdef123456"
DEAL_FIELDS = [
    {"field_code": "a" * 40, "field_name": "Tier", "field_type": "enum"},
    {"field_code": "b" * 40, "field_name": "Budget", "field_type": "monetary"},
    {"field_code": "c" * 40, "field_name": "Tags", "field_type": "set"},
    {"field_code": "d" * 40, "field_name": "Note", "field_type": "varchar"},
]


class FakeStore:
    def __init__(self) -> None:
        self.listeners: list[ChangeListener] = []
        self.deals: dict[int, dict[str, Any]] = {
            i: {"id": i, "title": f"Deal {i}", "value": 100 * i, "custom_fields": {}}
            for i in range(1, 601)
        }

    def add_listener(self, listener: ChangeListener) -> None:
        self.listeners.append(listener)

    def fields_v2(self, entity: str) -> list[dict[str, Any]]:
        if entity != "deal":
            raise KeyError(entity)
        return DEAL_FIELDS

    def publish(self, event: ChangeEvent) -> None:
        for listener in self.listeners:
            listener(event)


@dataclass
class FakeEmulator:
    config: EmulatorConfig
    store: FakeStore = field(default_factory=FakeStore)
    router: Router = field(default_factory=Router)
    seen: list[WSGIEnviron] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.router.add("GET", "/api/v2/deals", self._list)
        self.router.add("GET", "/api/v1/deals", self._list)
        self.router.add("GET", "/api/v2/deals/{id}", self._get)
        self.router.add("POST", "/api/v2/deals", self._create)
        self.router.add("GET", "/api/v2/persons/search", self._search)

    def core_wsgi(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        self.seen.append(environ)
        request = Request.from_environ(environ)
        handler, _template, params, exists = self.router.match(request.method, request.path)
        if handler is None:
            response = error_response(405 if exists else 404, "Unknown method or path")
        else:
            request.path_params = params
            response = handler(request)
        return response(environ, start_response)

    def _list(self, request: Request) -> Response:
        limit = int(request.arg("limit", "100") or 100)
        items = list(self.store.deals.values())[:limit]
        request.environ["emulator.records"] = len(items)
        return Response.json(
            {"success": True, "data": items, "additional_data": {"next_cursor": "x"}}
        )

    def _get(self, request: Request) -> Response:
        deal = self.store.deals.get(int(request.path_params["id"]))
        if deal is None:
            return error_response(404, "Deal not found")
        return Response.json({"success": True, "data": deal})

    def _create(self, request: Request) -> Response:
        body = request.json()
        deal_id = max(self.store.deals) + 1
        deal = {"id": deal_id, "title": body.get("title"), "custom_fields": {}}
        self.store.deals[deal_id] = deal
        self.store.publish(ChangeEvent("create", "deal", deal_id, deal, None))
        return Response.json({"success": True, "data": deal}, 201)

    def _search(self, request: Request) -> Response:
        return Response.json({"success": True, "data": {"items": []}})


@dataclass
class Harness:
    emulator: FakeEmulator
    edges: EdgeApp
    clock: FakeClock
    sleeps: list[float]

    def client(self, token: str | None = TOKEN, **kwargs: Any) -> httpx.Client:
        headers = {"x-api-token": token} if token else {}
        return httpx.Client(
            transport=httpx.WSGITransport(app=self.edges),
            base_url="http://acme.pipedrive.test",
            headers=headers,
            **kwargs,
        )


MakeHarness = Callable[..., Harness]


@pytest.fixture
def make_harness() -> Iterator[MakeHarness]:
    made: list[EdgeApp] = []

    def make(**config: Any) -> Harness:
        config.setdefault("token", TOKEN)
        config.setdefault("webhook_retry_delays", (0.01, 0.02, 0.03))
        config.setdefault("webhook_timeout", 2.0)
        emulator = FakeEmulator(EmulatorConfig(**config))
        clock = FakeClock()
        sleeps: list[float] = []
        app = install(emulator, clock=clock, sleep=sleeps.append)
        assert isinstance(app, EdgeApp)
        made.append(app)
        return Harness(emulator, app, clock, sleeps)

    yield make
    for app in made:
        app.close()


@pytest.fixture
def harness(make_harness: MakeHarness) -> Harness:
    return make_harness()


# -- a real HTTP server for the edges (socket exposed, as the emulator's server does) -----
class _SocketHandler(WSGIRequestHandler):
    def get_environ(self) -> dict[str, Any]:
        environ = super().get_environ()
        environ["emulator.socket"] = self.connection
        return environ

    def log_message(self, format: str, *args: Any) -> None:
        pass

    def log_exception(self, exc_info: Any) -> None:  # a dropped connection is the point
        pass


class _ThreadingWSGIServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        pass  # dropped connections are what the fault tests ask for


@pytest.fixture
def serve_wsgi() -> Iterator[Callable[[Any], str]]:
    servers: list[WSGIServer] = []

    def serve(app: Any) -> str:
        server = make_server("127.0.0.1", 0, app, _ThreadingWSGIServer, _SocketHandler)
        threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
        servers.append(server)
        return f"http://127.0.0.1:{server.server_address[1]}"

    yield serve
    for server in servers:
        server.shutdown()
        server.server_close()


# -- a webhook subscriber: a real HTTP server that records what it receives -----------
@dataclass
class Subscriber:
    url: str
    received: list[dict[str, Any]]
    statuses: list[int]  # status to answer, in order; the last repeats

    def bodies(self) -> list[dict[str, Any]]:
        return [r["body"] for r in self.received]


@pytest.fixture
def subscriber() -> Iterator[Subscriber]:
    received: list[dict[str, Any]] = []
    statuses: list[int] = [200]
    lock = threading.Lock()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            body = json.loads(self.rfile.read(length))
            with lock:
                received.append({"body": body, "authorization": self.headers.get("Authorization")})
                status = statuses.pop(0) if len(statuses) > 1 else statuses[0]
            self.send_response(status)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    yield Subscriber(f"http://127.0.0.1:{server.server_address[1]}/hook", received, statuses)
    server.shutdown()
    server.server_close()
