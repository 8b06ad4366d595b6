"""Fault injection: the failures a Pipedrive client must survive, on demand and repeatable.

Kinds (see :mod:`pdsync.emulator.fault_spec` for how to ask for them):

* ``500`` / ``503`` — Pipedrive's JSON error envelope; ``502`` — the edge's HTML page.
* ``timeout`` — the handler runs, then the response is held back ``timeout_s`` seconds
  (longer than a sane client timeout).
* ``reset`` — the connection is dropped without a response (see :class:`ConnectionAbort`).
* ``truncated`` — the body stops half-way though ``Content-Length`` promised all of it.
* ``malformed`` — the body is not valid JSON.
* ``null_data`` — a list page comes back with ``data: null`` (other responses pass unchanged).

Draws are deterministic: request number N under seed S always gets the same fault,
whatever the thread interleaving.
"""

from __future__ import annotations

import contextlib
import fnmatch
import json
import random
import socket
import threading
from collections.abc import Iterable, Iterator
from dataclasses import dataclass

import httpx

from pdsync.emulator.fault_spec import FaultRule, FaultSpec
from pdsync.emulator.http import Response, WSGIEnviron, error_response

# Faults decided before the handler runs (the request never reaches it unless `apply`).
PRE_HANDLER = frozenset({"500", "502", "503", "reset"})

_BAD_GATEWAY_HTML = (
    b"<html>\r\n<head><title>502 Bad Gateway</title></head>\r\n<body>\r\n"
    b"<center><h1>502 Bad Gateway</h1></center>\r\n<hr><center>cloudflare</center>\r\n"
    b"</body>\r\n</html>\r\n"
)


class ConnectionAbort(httpx.RemoteProtocolError):
    """Raised by the app to drop the connection without a response.

    The emulator's HTTP server (:mod:`pdsync.emulator.server`) catches it and closes the
    connection having sent nothing, so the client sees a real disconnect. Under another
    WSGI server the socket in ``environ["emulator.socket"]`` (or under a stdlib request
    stream) is shut down first, to the same effect. Under ``httpx.WSGITransport`` the
    exception reaches the client as it is — an ``httpx.RemoteProtocolError``, the same
    class httpx raises when a server disconnects without answering — so transport-error
    handling is exercised either way.
    """

    def __init__(self) -> None:
        super().__init__("Server disconnected without sending a response.")


@dataclass(frozen=True)
class Fault:
    kind: str
    apply: bool = False  # run the handler first (the write lands, the client sees the fault)

    @property
    def before_handler(self) -> bool:
        return self.kind in PRE_HANDLER and not self.apply


class FaultInjector:
    """Decides, per API request, whether and how it fails; thread-safe."""

    def __init__(self, spec: FaultSpec, seed: int) -> None:
        self.spec = spec
        self.seed = seed
        self._lock = threading.Lock()
        self._count = 0
        self._match_counts: dict[int, int] = {}

    def reset(self) -> None:
        with self._lock:
            self._count = 0
            self._match_counts.clear()

    def draw(self, method: str, path: str) -> Fault | None:
        """Number this request and return its fault, if it gets one."""
        if not self.spec.active:
            return None
        with self._lock:
            self._count += 1
            number = self._count
            scripted = self._scripted(number, f"{method.upper()} {path}")
        if scripted is not None:
            return scripted
        if self.spec.rate <= 0:
            return None
        rng = random.Random(self.seed * 1_000_003 + number)
        if rng.random() >= self.spec.rate:
            return None
        return Fault(rng.choice(self.spec.kinds))

    def _scripted(self, number: int, request_line: str) -> Fault | None:
        chosen: FaultRule | None = None
        for index, rule in enumerate(self.spec.rules):
            if rule.request is not None:
                hit = rule.request == number
            else:
                hit = fnmatch.fnmatchcase(request_line, rule.match or "")
                if hit:
                    seen = self._match_counts.get(index, 0) + 1
                    self._match_counts[index] = seen
                    hit = rule.nth is None or rule.nth == seen
            if hit and chosen is None:
                chosen = rule  # keep counting the later rules' matches
        return Fault(chosen.fault, chosen.apply) if chosen else None


def client_socket(environ: WSGIEnviron) -> socket.socket | None:
    """The connection's socket: ``environ["emulator.socket"]`` when the server puts it
    there, else the socket under a stdlib (socketserver/wsgiref) request stream."""
    sock = environ.get("emulator.socket")
    if sock is None:
        raw = getattr(environ.get("wsgi.input"), "raw", None)
        sock = getattr(raw, "_sock", None)  # socket.SocketIO keeps its socket here
    return sock if isinstance(sock, socket.socket) else None


def _shutdown(environ: WSGIEnviron) -> None:
    sock = client_socket(environ)
    if sock is not None:
        with contextlib.suppress(OSError):  # the client may already be gone
            sock.shutdown(socket.SHUT_RDWR)


def drop_connection(environ: WSGIEnviron) -> None:
    """Shut the client socket (under a real server) and abort the response."""
    _shutdown(environ)
    raise ConnectionAbort()


def failure_response(kind: str) -> Response:
    """The response for a server-error fault."""
    if kind == "500":
        return error_response(500, "Internal server error")
    if kind == "503":
        response = error_response(503, "Service is temporarily unavailable, try again later")
        response.headers.append(("Retry-After", "1"))
        return response
    return Response(
        502, _BAD_GATEWAY_HTML, [("Content-Type", "text/html"), ("Server", "cloudflare")]
    )


def corrupt_body(kind: str, body: bytes, is_list: bool) -> tuple[bytes, int | None]:
    """``(new body, declared length or None)`` for a body fault; unchanged when it does not apply."""
    if kind == "truncated" and body:
        return body[: len(body) // 2], len(body)  # promises more than it sends
    if kind == "malformed" and body:
        middle = len(body) // 2
        return body[:middle] + b'",}<!-- upstream error -->' + body[middle:], None
    if kind == "null_data" and is_list:
        try:
            payload = json.loads(body)
        except ValueError:
            return body, None
        if isinstance(payload, dict) and "data" in payload:
            payload["data"] = None
            return json.dumps(payload, separators=(",", ":")).encode("utf-8"), None
    return body, None


class ClosingBody:
    """A WSGI body that drops the connection once written: a truncated body ends the stream.

    The emulator's HTTP server needs no socket for this (it closes a connection whose body
    fell short of its ``Content-Length``); ``close`` serves other WSGI servers."""

    def __init__(self, body: bytes, environ: WSGIEnviron) -> None:
        self.body = body
        self.environ = environ

    def __iter__(self) -> Iterator[bytes]:
        yield self.body

    def close(self) -> None:
        _shutdown(self.environ)


def body_iterable(body: bytes, environ: WSGIEnviron, close_after: bool) -> Iterable[bytes]:
    return ClosingBody(body, environ) if close_after else [body]
