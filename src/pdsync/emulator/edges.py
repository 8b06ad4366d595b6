"""The edge of every emulated API request: auth, limits, faults, latency, stats, webhooks.

:func:`install` wraps the emulator's core WSGI app. For each request on ``/api/...``
(``/v1/...`` included) the edge, in order:

1. numbers it and draws its fault (deterministic under the seed);
2. authenticates it (401 with the gateway's body when that fails);
3. admits it through the burst window and the daily token budget (429, or the
   Cloudflare 403 for a token that ignored a 429), charging the operation's cost;
4. fails it before the handler (500/502/503/reset) or runs the handler, with
   ``environ["emulator.user_id"]`` and ``environ["emulator.auth"]`` set;
5. waits the simulated latency, applies body faults (timeout, truncated, malformed,
   ``data: null``) and adds the rate-limit headers.

``/oauth/*`` and ``/_emulator/*`` skip auth and limits; ``/_emulator/*`` is not counted.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Iterable
from typing import Any

import httpx

from pdsync.emulator.auth import Authenticator, Principal, unauthorized
from pdsync.emulator.costs import CostTable, Operation
from pdsync.emulator.edge_clock import Clock, Sleep, SystemClock
from pdsync.emulator.edge_routes import register_control_routes
from pdsync.emulator.fault_spec import parse_fault_spec
from pdsync.emulator.faults import (
    Fault,
    FaultInjector,
    body_iterable,
    corrupt_body,
    drop_connection,
    failure_response,
)
from pdsync.emulator.http import (
    Response,
    StartResponse,
    WSGIApp,
    WSGIEnviron,
    normalise_path,
    status_line,
)
from pdsync.emulator.latency import Latency
from pdsync.emulator.limit_responses import cloudflare_block, too_many_requests
from pdsync.emulator.oauth import OAuthServer
from pdsync.emulator.ratelimit import Admission, RateLimiter
from pdsync.emulator.stats import Stats
from pdsync.emulator.webhooks import Webhooks, field_types_from

Headers = list[tuple[str, str]]


class EdgeApp:
    """The emulator's outer WSGI app. Its parts are public so tests can drive them."""

    def __init__(
        self,
        emulator: Any,
        *,
        clock: Clock | None = None,
        sleep: Sleep | None = None,
        webhook_transport: httpx.BaseTransport | None = None,
    ) -> None:
        config = emulator.config
        self.config = config
        self.core: WSGIApp = emulator.core_wsgi
        self.clock: Clock = clock or SystemClock()
        self.sleep: Sleep = sleep or time.sleep
        self.stats = Stats()
        self.costs = CostTable.load()
        self.oauth = OAuthServer(config, self.clock)
        self.auth = Authenticator(config, self.oauth)
        self.limiter = RateLimiter(config, self.clock)
        self.faults = FaultInjector(parse_fault_spec(config.faults), config.seed)
        self.latency = Latency(config, lambda seconds: self.sleep(seconds))
        self.webhooks = Webhooks(
            config, self.clock, self.stats, field_types_from(emulator.store), webhook_transport
        )
        self.oauth.register(emulator.router)
        self.webhooks.register(emulator.router)
        register_control_routes(emulator.router, self)
        emulator.store.add_listener(self.webhooks.on_change)

    def use_clock(self, clock: Clock) -> None:
        """Swap the clock everywhere (tests: a FakeClock)."""
        self.clock = clock
        self.oauth.clock = clock
        self.limiter.clock = clock
        self.webhooks.clock = clock

    def close(self) -> None:
        self.webhooks.close()

    # -- WSGI -------------------------------------------------------------------------
    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        path = normalise_path(environ.get("PATH_INFO") or "/")
        if not path.startswith("/api/"):
            if path.startswith("/oauth/"):
                self.stats.request(self.costs.lookup(environ["REQUEST_METHOD"], path).operation_id)
            return self.core(environ, start_response)
        method = environ["REQUEST_METHOD"].upper()
        op = self.costs.lookup(method, path)
        fault = self.faults.draw(method, path)
        self.stats.request(op.operation_id)
        principal = self.auth.authenticate(environ, path)
        if principal is None:
            return self._send(unauthorized(), start_response)
        admission = self.limiter.admit(
            principal.limit_key, principal.kind, principal.user_id, method, op
        )
        if admission.verdict == "blocked":
            return self._send(cloudflare_block(principal.limit_key), start_response)
        if not admission.allowed:
            return self._send(too_many_requests(admission), start_response)
        self.stats.charged(op.cost)
        return self._serve(environ, start_response, principal, op, admission, fault)

    def _serve(
        self,
        environ: WSGIEnviron,
        start_response: StartResponse,
        principal: Principal,
        op: Operation,
        admission: Admission,
        fault: Fault | None,
    ) -> Iterable[bytes]:
        environ["emulator.user_id"] = principal.user_id
        environ["emulator.auth"] = principal.kind
        environ["emulator.operation_id"] = op.operation_id
        if fault is not None:
            self.stats.fault(fault.kind)
            if fault.before_handler:
                return self._fail(fault.kind, environ, start_response, admission.headers)
        status, headers, body = self._run_core(environ)
        records = environ.get("emulator.records")
        self.latency.wait(records if isinstance(records, int) else 0)
        if fault is None:
            return self._send(Response(status, body, headers + admission.headers), start_response)
        if fault.apply and fault.kind in ("500", "502", "503", "reset"):
            return self._fail(fault.kind, environ, start_response, admission.headers)
        if fault.kind == "timeout":
            self.sleep(self.faults.spec.timeout_s)
        new_body, declared = corrupt_body(fault.kind, body, isinstance(records, int))
        response = Response(status, new_body, headers + admission.headers)
        return self._send(response, start_response, environ, declared)

    def _fail(
        self, kind: str, environ: WSGIEnviron, start_response: StartResponse, extra: Headers
    ) -> Iterable[bytes]:
        if kind == "reset":
            drop_connection(environ)  # raises
        response = failure_response(kind)
        response.headers.extend(extra)
        return self._send(response, start_response)

    def _run_core(self, environ: WSGIEnviron) -> tuple[int, Headers, bytes]:
        captured: dict[str, Any] = {}

        def capture(status: str, headers: Headers, exc_info: Any = None) -> Any:
            captured["status"], captured["headers"] = status, headers
            return lambda data: captured.setdefault("written", []).append(data)

        result = self.core(environ, capture)
        try:
            chunks = [*captured.get("written", []), *result]
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        status = int(str(captured["status"]).split(" ", 1)[0])
        headers = [(k, v) for k, v in captured["headers"] if k.lower() != "content-length"]
        return status, headers, b"".join(chunks)

    def _send(
        self,
        response: Response,
        start_response: StartResponse,
        environ: WSGIEnviron | None = None,
        declared_length: int | None = None,
    ) -> Iterable[bytes]:
        self.stats.status(response.status)
        length = declared_length if declared_length is not None else len(response.body)
        headers = [(k, v) for k, v in response.headers if k.lower() != "content-length"]
        start_response(status_line(response.status), [*headers, ("Content-Length", str(length))])
        if environ is not None and declared_length is not None:
            return body_iterable(response.body, environ, close_after=True)
        return [response.body]


def install(
    emulator: Any,
    *,
    clock: Clock | None = None,
    sleep: Sleep | None = None,
    webhook_transport: httpx.BaseTransport | None = None,
) -> WSGIApp:
    """Wrap ``emulator.core_wsgi`` with the edges; the result is also ``emulator.edges``."""
    app = EdgeApp(emulator, clock=clock, sleep=sleep, webhook_transport=webhook_transport)
    # An emulator object with __slots__ cannot take it: reach the edges via the returned app.
    with contextlib.suppress(AttributeError):
        emulator.edges = app
    return app
