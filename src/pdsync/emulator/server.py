"""A real HTTP server around an :class:`Emulator`, on cheroot (a WSGI server).

HTTP/1.1 with keep-alive: one client connection serves many requests, as Pipedrive's
does, and idle connections wait in cheroot's selector rather than holding a thread, so
a pool of :data:`WORKER_THREADS` serves many clients. Response bodies have a
``Content-Length`` (the app always knows it); chunked request bodies are de-chunked.
Responses are gzipped for clients that send ``Accept-Encoding: gzip``
(:mod:`pdsync.emulator.compression`). It binds in the
constructor (port 0 picks a free one), serves from a thread (``start``/``with``) or the
calling thread (``serve_forever``), and ``stop`` joins every thread it started.

Two faults end a connection, and the gateway does it the HTTP way, without reaching
for the socket: a :class:`ConnectionAbort` raised by the app (``reset``) closes the
connection with no response at all, and a body shorter than its ``Content-Length``
(``truncated``) closes it once the short body is out, so the client sees it stop.

Why cheroot: a thread pool with a selector for idle keep-alive connections, a documented
``stop()`` callable from another thread, and a gateway class made to be replaced, which
is where the faults above live. waitress, the other candidate, answers an app that
raises before its headers with a 500 (so a ``reset`` would need its socket or its
internal exceptions), logs the request path with it, and has no thread-safe stop.

Quiet: no access log (tokens may be in URLs); cheroot's own messages go to the
``pdsync.emulator.server`` logger.
"""

from __future__ import annotations

import io
import logging
import threading
from types import TracebackType

from cheroot import wsgi

from pdsync.emulator.app import Emulator
from pdsync.emulator.compression import GzipMiddleware
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.faults import ConnectionAbort

log = logging.getLogger(__name__)

WORKER_THREADS = 16  # requests in progress at once; idle keep-alive connections take none
KEEP_ALIVE_CONNECTIONS = 1000  # idle connections kept open (cheroot's default is 10)
SOCKET_TIMEOUT_S = 60  # a connection idle (or a request unfinished) this long is closed
# How often the selector loop wakes to expire idle connections, and so how long `stop`
# waits for it (cheroot's default is 0.5 s, which tests that start a server each pay).
EXPIRATION_INTERVAL_S = 0.05
SERVER_NAME = "pdsync-emulator"
# cheroot's writer copies what is left of a write after each partial send: a 1.5 MB page
# written whole costs ~1.3 ms of copies, in 64 KiB slices ~0.3 ms.
WRITE_SLICE = 64 * 1024


class _Gateway(wsgi.Gateway_10):
    """cheroot's WSGI 1.0 gateway, with the two ways the emulator's faults end a connection."""

    def respond(self) -> None:
        request = self.req
        if self.env.get("wsgi.input_terminated") and not self.env.get("CONTENT_LENGTH"):
            # A chunked request body: the app reads ``CONTENT_LENGTH`` bytes, so hand it
            # the de-chunked body with its length (as servers that buffer bodies do).
            body = self.env["wsgi.input"].read()
            self.env["wsgi.input"] = io.BytesIO(body)
            self.env["CONTENT_LENGTH"] = str(len(body))
        try:
            result = request.server.wsgi_app(self.env, self.start_response)
        except ConnectionAbort:  # a `reset` fault: close without sending anything
            request.ready = False  # cheroot then sends no headers for this request
            request.close_connection = True
            return
        sent = 0
        try:
            for chunk in result:
                view = memoryview(chunk)
                for start in range(0, len(view), WRITE_SLICE):
                    self.write(view[start : start + WRITE_SLICE])
                sent += len(view)
        finally:
            close = getattr(result, "close", None)
            if callable(close):
                close()
        request.ensure_headers_sent()
        declared = self.remaining_bytes_out  # the Content-Length the app announced
        if declared is not None and sent < declared:
            # A `truncated` body: the client can only tell once the connection closes.
            request.close_connection = True


class _Server(wsgi.Server):
    expiration_interval = EXPIRATION_INTERVAL_S
    keep_alive_conn_limit = KEEP_ALIVE_CONNECTIONS

    bind_error: OSError | None = None

    def bind(self, family: int, type: int, proto: int = 0) -> None:
        try:
            super().bind(family, type, proto)
        except OSError as exc:
            self.bind_error = exc  # errno and strerror intact, for "port in use" messages
            raise

    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        log.log(level, "%s", msg, exc_info=traceback)


class EmulatorServer:
    """``with EmulatorServer() as srv: httpx.get(srv.url + "/api/v2/deals", headers=...)``.

    Bound (and its worker threads started) once constructed: use it as a context manager,
    or call :meth:`stop`, so that no thread outlives it.
    """

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        self.emulator = Emulator(self.config)
        self.host = host
        self._server = _Server(
            (host, port),
            GzipMiddleware(self.emulator.wsgi),
            numthreads=WORKER_THREADS,
            server_name=SERVER_NAME,
            timeout=SOCKET_TIMEOUT_S,
        )
        self._server.gateway = _Gateway
        try:
            self._server.prepare()  # binds now, so `port` is known and a busy port fails here
        except OSError as exc:  # cheroot words the bind error anew: raise the one with errno
            raise (self._server.bind_error or exc) from None
        self.port: int = self._server.bind_addr[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve, name="pdsync-emulator", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        """Serve from the calling thread until interrupted (Ctrl-C), then stop."""
        try:
            self._server.serve()
        finally:
            self.stop()

    def stop(self) -> None:
        self._server.stop()  # closes the listener and connections, joins the workers
        close = getattr(getattr(self.emulator, "edges", None), "close", None)
        if callable(close):
            close()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None

    def __enter__(self) -> EmulatorServer:
        return self.start()

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()
