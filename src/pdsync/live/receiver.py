"""The HTTP side: Pipedrive's deliveries in, ``/health`` and ``/status`` out.

``POST /pipedrive`` is answered in this order, each refusal with its own status and a
log line that names no person: 413 for a body over :data:`MAX_BODY_BYTES`, 401 unless
the Basic credentials match (constant-time), 400 for a body that is not a v2
delivery, 422 for an object this replica does not follow, 503 if the journal cannot
store it (Pipedrive then retries), and 200 only once the delivery is on disk.

Served by cheroot (a pool of worker threads; idle keep-alive connections wait in its
selector): the thread that takes a delivery waits for the journal's group commit.
"""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Callable, Iterable
from http import HTTPStatus
from typing import Any

from cheroot import wsgi

from pdsync.live.credentials import Credentials
from pdsync.live.journal import Journal, JournalError
from pdsync.live.payload import Rejected, parse_delivery
from pdsync.live.registration import PATH
from pdsync.live.status import Status

log = logging.getLogger(__name__)

MAX_BODY_BYTES = 1024 * 1024  # a delivery is one record: far below this
WORKER_THREADS = 16
StartResponse = Callable[..., Any]


class ReceiverApp:
    """The WSGI application (usable without a server in tests)."""

    def __init__(
        self,
        journal: Journal,
        credentials: Credentials,
        objects: Iterable[str],
        status: Status,
        on_accepted: Callable[[], None] = lambda: None,
        on_lost: Callable[[str], None] = lambda reason: None,
    ) -> None:
        self.journal = journal
        self.credentials = credentials
        self.objects = frozenset(objects)
        self.status = status
        self.on_accepted = on_accepted
        self.on_lost = on_lost  # a delivery could not be kept: Pipedrive may give up on it

    def __call__(self, environ: dict[str, Any], start_response: StartResponse) -> list[bytes]:
        method = environ.get("REQUEST_METHOD", "GET").upper()
        path = environ.get("PATH_INFO") or "/"
        if path == PATH:
            if method != "POST":
                return _reply(start_response, 405, {"error": "deliveries are POSTed"})
            status, body = self.deliver(environ)
            return _reply(start_response, status, body, auth_challenge=status == 401)
        if path in ("/health", "/status"):
            if method != "GET":
                return _reply(start_response, 405, {"error": "use GET"})
            if path == "/health":
                return _reply(start_response, 200, {"status": "ok"})
            return _reply(start_response, 200, self.status.snapshot())
        return _reply(start_response, 404, {"error": f"no such path; deliveries go to {PATH}"})

    def deliver(self, environ: dict[str, Any]) -> tuple[int, dict[str, Any]]:
        length = _content_length(environ)
        if length is not None and length > MAX_BODY_BYTES:
            return self._refuse(413, f"body of {length} bytes is over the {MAX_BODY_BYTES} limit")
        if not self.credentials.accepts(environ.get("HTTP_AUTHORIZATION")):
            return self._refuse(401, "wrong or missing credentials")
        body = environ["wsgi.input"].read(MAX_BODY_BYTES + 1 if length is None else length)
        if len(body) > MAX_BODY_BYTES:
            return self._refuse(413, f"body is over the {MAX_BODY_BYTES}-byte limit")
        try:
            delivery = parse_delivery(body)
        except Rejected as exc:
            return self._refuse(exc.status, exc.reason)
        if delivery.entity not in self.objects:
            return self._refuse(422, f"object {delivery.entity!r} is not followed by this replica")
        try:
            fresh = self.journal.append(delivery, body)
        except JournalError as exc:
            self.status.count("rejected_503")
            log.error("%s", exc.message)
            self.on_lost("deliveries could not be journaled")
            return 503, {"error": "the delivery could not be stored; retry later"}
        self.status.count("received" if fresh else "duplicate")
        log.debug(
            "delivery %s %s %s (attempt %s)%s",
            delivery.action,
            delivery.entity,
            delivery.entity_id,
            delivery.attempt,
            "" if fresh else ", a duplicate",
        )
        if fresh:
            self.on_accepted()
        return 200, {"ok": True, "duplicate": not fresh}

    def _refuse(self, status: int, reason: str) -> tuple[int, dict[str, Any]]:
        self.status.count(f"rejected_{status}")
        log.warning("refused a delivery (%s): %s", status, reason)
        return status, {"error": reason}


def _content_length(environ: dict[str, Any]) -> int | None:
    raw = environ.get("CONTENT_LENGTH") or ""
    return int(raw) if raw.isdigit() else None


def _reply(
    start_response: StartResponse,
    status: int,
    body: dict[str, Any],
    *,
    auth_challenge: bool = False,
) -> list[bytes]:
    data = json.dumps(body, default=str).encode()
    headers = [("Content-Type", "application/json"), ("Content-Length", str(len(data)))]
    if auth_challenge:
        headers.append(("WWW-Authenticate", 'Basic realm="pdsync listen"'))
    start_response(f"{status} {HTTPStatus(status).phrase}", headers)
    return [data]


class _Server(wsgi.Server):
    def error_log(self, msg: str = "", level: int = logging.INFO, traceback: bool = False) -> None:
        log.log(logging.DEBUG if level <= logging.INFO else level, "%s", msg, exc_info=traceback)


class Receiver:
    """The app on a cheroot server, bound at construction (port 0 picks a free one)."""

    def __init__(self, app: ReceiverApp, host: str = "127.0.0.1", port: int = 0) -> None:
        self.app = app
        self.host = host
        self._server = _Server((host, port), app, numthreads=WORKER_THREADS, timeout=30)
        self._server.prepare()
        self.port: int = self._server.bind_addr[1]
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    def start(self) -> Receiver:
        self._thread = threading.Thread(
            target=self._server.serve, name="pdsync-listen-http", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.stop()
        if self._thread is not None:
            self._thread.join(timeout=5)
            self._thread = None
