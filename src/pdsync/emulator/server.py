"""A real HTTP server around an :class:`Emulator`: threaded, HTTP/1.1 keep-alive, ephemeral port."""

from __future__ import annotations

import sys
import threading
from socketserver import ThreadingMixIn
from types import TracebackType
from typing import Any
from wsgiref.simple_server import ServerHandler, WSGIRequestHandler, WSGIServer, make_server

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.faults import ConnectionAbort

# A dropped connection is an expected outcome (a ``reset`` fault, or a client that gave
# up), not a server error: nothing is printed for these.
_DROPPED = (ConnectionAbort, OSError)


class _QuietServerHandler(ServerHandler):
    def log_exception(self, exc_info: Any) -> None:
        if not isinstance(exc_info[1], _DROPPED):
            super().log_exception(exc_info)

    def handle_error(self) -> None:
        if isinstance(sys.exc_info()[1], _DROPPED):
            return  # the socket is gone: there is no one to send a 500 to
        super().handle_error()


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections

    def log_message(self, format: str, *args: object) -> None:  # quiet: tokens may be in URLs
        return

    def get_environ(self) -> dict[str, Any]:
        environ: dict[str, Any] = super().get_environ()
        environ["emulator.socket"] = self.connection  # faults drop it without wsgiref internals
        return environ

    def handle(self) -> None:
        """wsgiref's ``handle`` with the quiet server handler."""
        self.raw_requestline = self.rfile.readline(65537)
        if len(self.raw_requestline) > 65536:
            self.requestline = self.request_version = self.command = ""
            self.send_error(414)
            return
        if not self.parse_request():
            return
        handler = _QuietServerHandler(
            self.rfile,
            self.wfile,  # type: ignore[arg-type]  # typeshed: BufferedIOBase vs IO[bytes]
            self.get_stderr(),
            self.get_environ(),
            multithread=False,
        )
        handler.request_handler = self  # type: ignore[attr-defined]  # wsgiref's back-pointer
        handler.run(self.server.get_app())  # type: ignore[attr-defined]


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True

    def handle_error(self, request: Any, client_address: Any) -> None:
        if not isinstance(sys.exc_info()[1], _DROPPED):
            super().handle_error(request, client_address)


class EmulatorServer:
    """``with EmulatorServer() as srv: httpx.get(srv.url + "/api/v2/deals", headers=...)``."""

    def __init__(
        self, config: EmulatorConfig | None = None, host: str = "127.0.0.1", port: int = 0
    ) -> None:
        self.config = config or EmulatorConfig()
        self.emulator = Emulator(self.config)
        self.host = host
        self._server = make_server(
            host, port, self.emulator.wsgi, server_class=_ThreadingServer, handler_class=_Handler
        )
        self.port = self._server.server_address[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> EmulatorServer:
        if self._thread is None:
            self._thread = threading.Thread(
                target=self._server.serve_forever, name="pdsync-emulator", daemon=True
            )
            self._thread.start()
        return self

    def serve_forever(self) -> None:
        self._server.serve_forever()

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()
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
