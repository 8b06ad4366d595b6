"""A real HTTP server around an :class:`Emulator`: threaded, HTTP/1.1 keep-alive, ephemeral port."""

from __future__ import annotations

import threading
from socketserver import ThreadingMixIn
from types import TracebackType
from wsgiref.simple_server import WSGIRequestHandler, WSGIServer, make_server

from pdsync.emulator.app import Emulator
from pdsync.emulator.config import EmulatorConfig


class _Handler(WSGIRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, so clients reuse connections

    def log_message(self, format: str, *args: object) -> None:  # quiet: tokens may be in URLs
        return


class _ThreadingServer(ThreadingMixIn, WSGIServer):
    daemon_threads = True
    allow_reuse_address = True


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
