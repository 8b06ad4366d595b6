"""A small asyncio HTTP/1.1 server for the ingest endpoint.

Why not ``http.server``: a thread per connection and its e-mail header parser
cap out near 700 requests/s on two cores. Here one event loop parses requests
(request line, headers, Content-Length body; keep-alive; one request at a time
per connection, in order) and hands events to the group committer; the reply is
written when the committer calls back, i.e. after fsync. Chunked bodies are
refused with 411 (Segment clients always send Content-Length).
"""

from __future__ import annotations

import asyncio
import json
import logging
import threading

from pdsync.events_dest.groupcommit import GroupCommitter, storage_error
from pdsync.events_dest.ingest import IngestApp, Reply
from pdsync.events_dest.model import MAX_BATCH_BYTES
from pdsync.redact import redact

log = logging.getLogger(__name__)

MAX_HEADER_BYTES = 16 * 1024
_REASONS = {
    200: "OK",
    400: "Bad Request",
    401: "Unauthorized",
    404: "Not Found",
    405: "Method Not Allowed",
    411: "Length Required",
    413: "Payload Too Large",
    431: "Request Header Fields Too Large",
    503: "Service Unavailable",
}


class _Connection(asyncio.Protocol):
    def __init__(self, server: IngestServer) -> None:
        self.server = server
        self.buffer = bytearray()
        self.busy = False  # a request is waiting for its fsync
        self.transport: asyncio.Transport | None = None

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        assert isinstance(transport, asyncio.Transport)
        self.transport = transport

    def connection_lost(self, exc: Exception | None) -> None:
        self.transport = None

    def data_received(self, data: bytes) -> None:
        self.buffer += data
        self._next_request()

    def _next_request(self) -> None:
        while not self.busy and self.transport is not None:
            end = self.buffer.find(b"\r\n\r\n")
            if end < 0:
                if len(self.buffer) > MAX_HEADER_BYTES:
                    self._reply(Reply.error(431, "Request headers are too large."), close=True)
                return
            head = bytes(self.buffer[:end]).decode("latin-1").split("\r\n")
            method, target, headers = _parse_head(head)
            length = _content_length(headers, method)
            if isinstance(length, Reply):
                self._reply(length, close=True)  # the body cannot be framed or is refused
                return
            if len(self.buffer) < end + 4 + length:
                return  # wait for the rest of the body
            body = bytes(self.buffer[end + 4 : end + 4 + length])
            del self.buffer[: end + 4 + length]
            close = headers.get("connection", "").lower() == "close"
            self._dispatch(method, target, headers, body, close)

    def _dispatch(
        self, method: str, target: str, headers: dict[str, str], body: bytes, close: bool
    ) -> None:
        checked = self.server.app.check(method, target, headers, body)
        if isinstance(checked, Reply):
            self._reply(checked, close=close)
            return
        self.busy = True
        loop = self.server.loop

        def durable(fresh: list[bool] | None, error: BaseException | None) -> None:
            loop.call_soon_threadsafe(self._stored, fresh, error, close)

        self.server.committer.submit(checked, durable)

    def _stored(self, fresh: list[bool] | None, error: BaseException | None, close: bool) -> None:
        self.busy = False
        if error is not None or fresh is None:
            log.error("ingest failed: %s", redact(str(storage_error(error or RuntimeError()))))
            self._reply(
                Reply.error(503, "The event could not be stored; retry later."), close=close
            )
        else:
            self._reply(IngestApp.accepted(fresh), close=close)
        self._next_request()

    def _reply(self, reply: Reply, *, close: bool) -> None:
        if 400 <= reply.status < 500:
            self.server.committer.count_rejection(reply.status)
        if self.transport is None:
            return  # the client left; its events (if stored) are delivered anyway
        data = json.dumps(reply.body).encode()
        head = (
            f"HTTP/1.1 {reply.status} {_REASONS.get(reply.status, 'Error')}\r\n"
            f"Content-Type: application/json\r\nContent-Length: {len(data)}\r\n"
            f"{'Connection: close' if close else 'Connection: keep-alive'}\r\n\r\n"
        )
        self.transport.write(head.encode() + data)
        if close:
            self.transport.close()
            self.transport = None


def _parse_head(lines: list[str]) -> tuple[str, str, dict[str, str]]:
    parts = lines[0].split(" ")
    method, target = (parts[0].upper(), parts[1]) if len(parts) >= 2 else ("", "/")
    headers: dict[str, str] = {}
    for line in lines[1:]:
        name, _, value = line.partition(":")
        headers[name.strip().lower()] = value.strip()
    return method, target, headers


def _content_length(headers: dict[str, str], method: str) -> int | Reply:
    if "transfer-encoding" in headers:
        return Reply.error(411, "Chunked bodies are not supported; send a Content-Length.")
    raw = headers.get("content-length")
    if raw is None:
        return Reply.error(411, "A Content-Length header is required.") if method == "POST" else 0
    if not raw.isdigit():
        return Reply.error(400, "Content-Length is not a number.")
    if int(raw) > MAX_BATCH_BYTES:
        return Reply.error(413, f"Body of {raw} bytes is over the {MAX_BATCH_BYTES}-byte limit.")
    return int(raw)


class IngestServer:
    """Listens on ``address`` in a background thread running its own event loop."""

    def __init__(self, address: tuple[str, int], app: IngestApp, committer: GroupCommitter) -> None:
        self.app = app
        self.committer = committer
        self.loop = asyncio.new_event_loop()
        self._server: asyncio.Server = self.loop.run_until_complete(
            self.loop.create_server(lambda: _Connection(self), address[0], address[1], backlog=512)
        )
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.sockets[0].getsockname()[:2]
        return f"http://{host}:{port}"

    def start_background(self) -> threading.Thread:
        self._thread = threading.Thread(
            target=self.loop.run_forever, name="pdsync-events-http", daemon=True
        )
        self._thread.start()
        return self._thread

    def shutdown(self) -> None:
        """Stop listening and stop the loop; asyncio objects are touched only on its thread."""
        if self._thread is None:
            self._server.close()
            return

        def close_and_stop() -> None:
            self._server.close()
            self.loop.stop()

        self.loop.call_soon_threadsafe(close_and_stop)
        self._thread.join(timeout=10)

    def server_close(self) -> None:
        # Not wait_closed(): on newer Pythons it waits for idle keep-alive clients to leave.
        self.loop.close()

    def __repr__(self) -> str:
        return f"IngestServer({self.url})"
