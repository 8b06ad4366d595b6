"""List-page throughput of the emulator: records/s, in-process and over real HTTP.

Used by ``emulator_bench.py``. Both walks ask the same pages (500 records each, v2 by
cursor, v1 by offset) of a fresh account after one warm-up page (the first list builds
the columns):

* *in-process*: the emulator's WSGI app (edges included) called directly, no sockets;
  records per CPU second of this process.
* *HTTP*: an ``EmulatorServer`` in its own process, pinned to one core when the machine
  has two or more, walked by one keep-alive client (``http.client``, pinned to another
  core); records per CPU second of the server process (``/proc/PID/stat``) and per wall
  second (this one counts the client's parsing too, and whatever else runs on the
  machine), and how many TCP connections the walk's requests needed.
"""

from __future__ import annotations

import http.client
import io
import json
import os
import re
import subprocess
import sys
import time
import zlib
from collections.abc import Callable
from typing import Any
from urllib.parse import urlencode, urlsplit

PAGE = 500
PAGES = 20
_NEXT_CURSOR = re.compile(rb'"next_cursor":"([^"]+)"')
WALKS = {"v2": "/api/v2/deals", "v1": "/v1/deals"}


def _query(path: str, page: int, cursor: str | None) -> dict[str, object]:
    query: dict[str, object] = {"limit": PAGE}
    if path.startswith("/v1"):
        query["start"] = page * PAGE
    elif cursor:
        query["cursor"] = cursor
    return query


def _records(body: bytes) -> tuple[int, str | None]:
    """Records on the page (counted, not assumed) and the next v2 cursor."""
    payload = json.loads(body)
    found = _NEXT_CURSOR.search(body[-400:])
    return len(payload["data"] or []), found.group(1).decode() if found else None


def in_process(emulator: Any, version: str) -> dict[str, Any]:
    path = WALKS[version]
    token = emulator.config.token

    def get(page: int, cursor: str | None) -> bytes:
        environ = {
            "REQUEST_METHOD": "GET", "PATH_INFO": path, "wsgi.input": io.BytesIO(b""),
            "QUERY_STRING": urlencode(_query(path, page, cursor)), "HTTP_X_API_TOKEN": token,
        }  # fmt: skip
        return b"".join(emulator.wsgi(environ, lambda *_: None))

    spent = 0.0

    def timed_get(page: int, cursor: str | None) -> bytes:
        nonlocal spent
        started = time.process_time()
        body = get(page, cursor)
        spent += time.process_time() - started  # the app's CPU only, not the parsing below
        return body

    records = _walk_pages(timed_get, lambda: None)
    return {"records": records, "cpu_s": spent, "records_per_cpu_s": records / spent}


def _walk_pages(get: Callable[[int, str | None], bytes], start: Callable[[], None]) -> int:
    """A warm-up page (builds the columns), then ``start()`` and PAGES pages; a walk that
    reaches the end of the list starts again from the first page. Returns records seen."""
    _count, cursor = _records(get(0, None))
    start()
    records = 0
    offset_page = 1
    for _ in range(PAGES):
        count, cursor = _records(get(offset_page, cursor))
        records += count
        offset_page = offset_page + 1 if count == PAGE else 0  # v1; v2 restarts on no cursor
    return records


class _CountingConnection(http.client.HTTPConnection):
    connects = 0

    def connect(self) -> None:
        type(self).connects += 1
        super().connect()


def _cpu_seconds(pid: int) -> float:
    """User + system CPU of a process and its threads."""
    with open(f"/proc/{pid}/stat") as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def _pin(cores: int) -> None:
    if hasattr(os, "sched_setaffinity") and len(os.sched_getaffinity(0)) >= 2:
        os.sched_setaffinity(0, {cores})


def over_http(size: str, versions: tuple[str, ...], gzip: bool) -> dict[str, dict[str, Any]]:
    """Walk each version's pages through a server process; one keep-alive connection."""
    server = subprocess.Popen(
        [sys.executable, __file__, "--serve", size],
        stdout=subprocess.PIPE,
        stdin=subprocess.PIPE,
        text=True,
    )
    try:
        assert server.stdout is not None
        url, token = server.stdout.readline().split()
        _pin(1)
        return {v: _walk(server.pid, url, token, WALKS[v], gzip) for v in versions}
    finally:
        server.terminate()  # the process this function started, by its own handle
        server.wait(timeout=30)


def _walk(pid: int, url: str, token: str, path: str, gzip: bool) -> dict[str, Any]:
    parts = urlsplit(url)
    _CountingConnection.connects = 0
    conn = _CountingConnection(parts.hostname or "127.0.0.1", parts.port, timeout=120)
    headers = {"x-api-token": token, **({"Accept-Encoding": "gzip"} if gzip else {})}
    status_lines: set[str] = set()
    encodings: set[str] = set()

    def get(page: int, cursor: str | None) -> bytes:
        conn.request("GET", f"{path}?{urlencode(_query(path, page, cursor))}", headers=headers)
        response = conn.getresponse()
        body = response.read()
        status_lines.add(f"HTTP/{response.version / 10:.1f} {response.status}")
        encoding = response.getheader("Content-Encoding") or "identity"
        encodings.add(encoding)
        return zlib.decompress(body, 31) if encoding == "gzip" else body

    marks: dict[str, float] = {}

    def start() -> None:
        marks.update(cpu=_cpu_seconds(pid))
        marks["wall"] = time.perf_counter()

    records = _walk_pages(get, start)
    started = marks["wall"]
    wall = time.perf_counter() - started
    cpu = _cpu_seconds(pid) - marks["cpu"]
    conn.close()
    return {
        "records": records,
        "server_cpu_s": cpu,
        "records_per_server_cpu_s": records / cpu if cpu else float("inf"),
        "records_per_wall_s": records / wall,
        "connections": _CountingConnection.connects,  # for the warm-up page and the walk
        "status": " ".join(sorted(status_lines)),
        "encoding": " ".join(sorted(encodings)),
    }


def serve(size: str) -> None:
    """Child process: an emulator server on one core; prints ``URL TOKEN``; runs until killed."""
    from pdsync.emulator.config import EmulatorConfig, parse_size
    from pdsync.emulator.server import EmulatorServer

    _pin(0)
    server = EmulatorServer(EmulatorConfig(deals=parse_size(size), rate_limits=False))
    print(server.url, server.config.token, flush=True)
    server.serve_forever()


if __name__ == "__main__" and len(sys.argv) == 3 and sys.argv[1] == "--serve":
    serve(sys.argv[2])
