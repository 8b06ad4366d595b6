"""gzip for clients that ask for it, as Pipedrive's edge does (``Accept-Encoding: gzip``).

A WSGI middleware in front of the HTTP server only: the in-process transport has no
wire to save. The app answers every request with a single body and its length, so the
whole body is compressed at once and the length rewritten. Left as they are:

* bodies too small to gain anything (under :data:`MIN_SIZE` bytes);
* responses that already carry a ``Content-Encoding``;
* a body shorter than its ``Content-Length`` (a ``truncated`` fault): the client must see
  the promised bytes go missing, not a re-measured, complete response.
"""

from __future__ import annotations

import zlib
from collections.abc import Iterable
from typing import Any

from pdsync.emulator.http import StartResponse, WSGIApp, WSGIEnviron

MIN_SIZE = 512
# Level 1: over a local socket compression costs CPU and saves no time; 1 keeps it to a
# few ms per 500-record page (level 6 would triple that for ~20 % smaller bodies).
LEVEL = 1
_GZIP_WBITS = 31  # zlib's window bits for a gzip wrapper (header + CRC32 trailer)


def accepts_gzip(header: str) -> bool:
    """Whether an ``Accept-Encoding`` value allows gzip (``gzip;q=0`` refuses it)."""
    for item in header.lower().split(","):
        name, _, params = item.partition(";")
        if name.strip() not in ("gzip", "*"):
            continue
        quality = params.strip()
        if quality.startswith("q="):
            try:
                return float(quality[2:]) > 0
            except ValueError:
                return False
        return True
    return False


def gzip_bytes(body: bytes) -> bytes:
    compressor = zlib.compressobj(LEVEL, zlib.DEFLATED, _GZIP_WBITS)
    return compressor.compress(body) + compressor.flush()


class GzipMiddleware:
    """Compresses the responses of ``app`` for clients that accept gzip."""

    def __init__(self, app: WSGIApp) -> None:
        self.app = app

    def __call__(self, environ: WSGIEnviron, start_response: StartResponse) -> Iterable[bytes]:
        if not accepts_gzip(environ.get("HTTP_ACCEPT_ENCODING", "")):
            return self.app(environ, start_response)
        captured: list[Any] = []

        def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
            captured[:] = [status, headers, exc_info]
            return _no_write

        result = self.app(environ, capture)
        status, headers, exc_info = captured
        declared = _content_length(headers)
        encoded = any(name.lower() == "content-encoding" for name, _ in headers)
        if isinstance(result, list) and not encoded:
            body = b"".join(result)
            if len(body) >= MIN_SIZE and declared in (None, len(body)):
                compressed = gzip_bytes(body)
                kept = [(n, v) for n, v in headers if n.lower() != "content-length"]
                start_response(
                    status,
                    [*kept, ("Content-Encoding", "gzip"), ("Vary", "Accept-Encoding"),
                     ("Content-Length", str(len(compressed)))],
                    exc_info,
                )  # fmt: skip
                return [compressed]
        start_response(status, headers, exc_info)
        return result  # streamed or special (e.g. a fault's closing body): as it is


def _no_write(data: bytes) -> None:
    raise RuntimeError("the emulator's apps return their body; they never call write()")


def _content_length(headers: list[tuple[str, str]]) -> int | None:
    for name, value in headers:
        if name.lower() == "content-length":
            return int(value)
    return None
