"""The emulator's HTTP server: HTTP/1.1 keep-alive, gzip, faults that end connections,
clean shutdown, and `pdsync emulator serve`."""

from __future__ import annotations

import gzip
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import httpx
import pytest

from pdsync.emulator.compression import MIN_SIZE, accepts_gzip
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

SRC = Path(__file__).resolve().parents[2] / "src"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=60, seed=2, rate_limits=False)) as srv:
        yield srv


def request_bytes(srv: EmulatorServer, path: str, *headers: str) -> bytes:
    lines = [f"GET {path} HTTP/1.1", f"Host: 127.0.0.1:{srv.port}",
             f"x-api-token: {srv.config.token}", *headers]  # fmt: skip
    return ("\r\n".join(lines) + "\r\n\r\n").encode()


def read_response(sock: socket.socket) -> tuple[str, dict[str, str], bytes]:
    """One response read off a raw socket: status line, headers, and the body as far as
    it came (``Content-Length`` bytes, fewer if the connection closed first)."""
    data = b""
    while b"\r\n\r\n" not in data:
        chunk = sock.recv(65536)
        if not chunk:
            return "", {}, data  # closed before any complete head
        data += chunk
    head, _, body = data.partition(b"\r\n\r\n")
    status, *lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines)}
    length = int(headers["content-length"])
    while len(body) < length:
        chunk = sock.recv(65536)
        if not chunk:
            break
        body += chunk
    return status, headers, body


def test_two_requests_share_one_connection_over_http_1_1(server: EmulatorServer) -> None:
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_bytes(server, "/api/v2/deals?limit=3"))
        first = read_response(sock)
        sock.sendall(request_bytes(server, "/v1/deals?limit=2"))  # same socket
        second = read_response(sock)
    for status, headers, body in (first, second):
        assert status == "HTTP/1.1 200 OK"
        assert headers.get("connection", "").lower() != "close"
        assert json.loads(body)["success"] is True
    assert len(json.loads(first[2])["data"]) == 3
    assert len(json.loads(second[2])["data"]) == 2


def test_an_httpx_client_reuses_its_connection(server: EmulatorServer) -> None:
    ports: set[int] = set()
    with httpx.Client(base_url=server.url, headers={"x-api-token": server.config.token}) as c:
        for _ in range(5):
            response = c.get("/api/v2/deals", params={"limit": 1})
            assert response.http_version == "HTTP/1.1" and response.status_code == 200
            stream = response.extensions["network_stream"]
            ports.add(stream.get_extra_info("client_addr")[1])
    assert len(ports) == 1, f"expected one connection, saw local ports {sorted(ports)}"


def test_gzip_when_the_client_asks(server: EmulatorServer) -> None:
    path = "/api/v2/deals?limit=20"
    with socket.create_connection(("127.0.0.1", server.port), timeout=5) as sock:
        sock.sendall(request_bytes(server, path))
        _, plain_headers, plain = read_response(sock)
        sock.sendall(request_bytes(server, path, "Accept-Encoding: br, gzip;q=0.8"))
        status, headers, packed = read_response(sock)
        sock.sendall(request_bytes(server, path, "Accept-Encoding: gzip;q=0"))
        _, refused_headers, _ = read_response(sock)
    assert status == "HTTP/1.1 200 OK"
    assert headers["content-encoding"] == "gzip" and "Accept-Encoding" in headers["vary"]
    assert int(headers["content-length"]) == len(packed) < len(plain)
    assert json.loads(gzip.decompress(packed)) == json.loads(plain)
    assert "content-encoding" not in plain_headers
    assert "content-encoding" not in refused_headers


def test_small_bodies_are_not_compressed(server: EmulatorServer) -> None:
    response = httpx.get(server.url + "/api/v2/deals/999999",
                         headers={"x-api-token": server.config.token, "Accept-Encoding": "gzip"})  # fmt: skip
    assert response.status_code == 404 and len(response.content) < MIN_SIZE
    assert "content-encoding" not in response.headers


@pytest.mark.parametrize(
    ("header", "expected"),
    [("gzip", True), ("gzip, deflate, br", True), ("GZIP;q=0.5", True), ("*", True),
     ("gzip;q=0", False), ("deflate", False), ("", False), ("gzip;q=x", False)],
)  # fmt: skip
def test_accept_encoding_parsing(header: str, expected: bool) -> None:
    assert accepts_gzip(header) is expected


def faulty_server(tmp_path: Path, rules: list[dict[str, object]]) -> EmulatorServer:
    script = tmp_path / "faults.json"
    script.write_text(json.dumps({"timeout_s": 0.2, "rules": rules}))
    return EmulatorServer(EmulatorConfig(deals=60, faults=f"script={script}", rate_limits=False))


def test_reset_closes_the_connection_without_a_response(tmp_path: Path) -> None:
    with faulty_server(tmp_path, [{"request": 2, "fault": "reset"}]) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            sock.sendall(request_bytes(srv, "/api/v2/deals?limit=1"))
            assert read_response(sock)[0] == "HTTP/1.1 200 OK"
            sock.sendall(request_bytes(srv, "/api/v2/deals?limit=1"))
            assert sock.recv(65536) == b""  # closed, not a byte of response
        with httpx.Client(base_url=srv.url, headers={"x-api-token": srv.config.token}) as c:
            assert c.get("/api/v2/deals").status_code == 200  # the next connection is fine


def test_truncated_body_ends_the_connection(tmp_path: Path) -> None:
    with faulty_server(tmp_path, [{"request": 1, "fault": "truncated"}]) as srv:
        with socket.create_connection(("127.0.0.1", srv.port), timeout=5) as sock:
            sock.sendall(request_bytes(srv, "/api/v2/deals?limit=50", "Accept-Encoding: gzip"))
            status, headers, body = read_response(sock)
            assert status == "HTTP/1.1 200 OK"
            assert 0 < len(body) < int(headers["content-length"])
            assert sock.recv(65536) == b""  # the short body is followed by a close
        headers_ = {"x-api-token": srv.config.token}
        with httpx.Client(base_url=srv.url, headers=headers_) as c:
            assert c.get("/api/v2/deals").status_code == 200


def test_reset_and_truncated_reach_httpx_as_transport_errors(tmp_path: Path) -> None:
    rules = [{"request": 1, "fault": "reset"}, {"request": 2, "fault": "truncated"}]
    with (
        faulty_server(tmp_path, rules) as srv,
        httpx.Client(base_url=srv.url, headers={"x-api-token": srv.config.token}) as c,
    ):
        with pytest.raises(httpx.RemoteProtocolError):
            c.get("/api/v2/deals")
        with pytest.raises(httpx.RemoteProtocolError):  # fewer bytes than Content-Length
            c.get("/api/v2/deals", params={"limit": 100})
        assert c.get("/api/v2/deals").status_code == 200


def test_chunked_request_body_reaches_the_handler(server: EmulatorServer) -> None:
    def body() -> Iterator[bytes]:
        yield b'{"title": "Chunked'
        yield b' deal"}'

    headers = {"x-api-token": server.config.token, "Content-Type": "application/json"}
    response = httpx.post(server.url + "/api/v2/deals", content=body(), headers=headers)
    assert response.request.headers["transfer-encoding"] == "chunked"
    assert response.status_code == 200, response.text
    assert response.json()["data"]["title"] == "Chunked deal"


def test_many_clients_at_once(server: EmulatorServer) -> None:
    def client_run(n: int) -> list[int]:
        with httpx.Client(base_url=server.url, headers={"x-api-token": server.config.token}) as c:
            return [c.get("/api/v2/deals", params={"limit": 2}).status_code for _ in range(3)]

    with ThreadPoolExecutor(max_workers=40) as pool:
        results = list(pool.map(client_run, range(40)))
    assert results == [[200, 200, 200]] * 40


def test_stop_leaves_no_thread_and_closes_the_port() -> None:
    before = set(threading.enumerate())
    srv = EmulatorServer(EmulatorConfig(deals=10)).start()
    with httpx.Client(base_url=srv.url, headers={"x-api-token": srv.config.token}) as c:
        assert c.get("/api/v2/deals").status_code == 200  # an idle keep-alive connection
        srv.stop()
    leaked = [t for t in set(threading.enumerate()) - before if t.is_alive()]
    assert not leaked, leaked
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", srv.port), timeout=1).close()


def test_cli_serve_prints_url_and_token_then_serves() -> None:
    env = {**os.environ, "PYTHONPATH": str(SRC)}
    command = [sys.executable, "-m", "pdsync", "emulator", "serve", "--port", "0",
               "--size", "tiny", "--token", "cli-test-token"]  # fmt: skip
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True, env=env)
    try:
        assert process.stdout is not None
        first, second = process.stdout.readline(), process.stdout.readline()
        assert first.startswith("Pipedrive emulator: http://127.0.0.1:")
        assert second.strip() == "API token: cli-test-token"
        url = first.split()[2]
        response = httpx.get(url + "/api/v2/deals", headers={"x-api-token": "cli-test-token"})
        assert response.status_code == 200 and response.http_version == "HTTP/1.1"
    finally:
        process.terminate()  # the process this test started
        process.wait(timeout=10)


def test_a_busy_port_is_a_clear_os_error() -> None:
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        with pytest.raises(OSError) as caught:
            EmulatorServer(EmulatorConfig(deals=10), port=taken.getsockname()[1])
    assert caught.value.strerror  # "Address already in use": the CLI prints it


def test_dropped_and_abandoned_connections_log_no_error(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    rules = [{"request": 1, "fault": "reset"}, {"request": 2, "fault": "timeout"}]
    with faulty_server(tmp_path, rules) as srv:  # timeout_s 0.2: held longer than the client waits
        headers = {"x-api-token": srv.config.token}
        with caplog.at_level(logging.INFO, logger="pdsync.emulator.server"):
            with httpx.Client(base_url=srv.url, headers=headers, timeout=0.05) as c:
                with pytest.raises(httpx.RemoteProtocolError):
                    c.get("/api/v2/deals")
                with pytest.raises(httpx.ReadTimeout):
                    c.get("/api/v2/deals")
            time.sleep(0.3)  # the held response is written to a socket the client closed
            assert httpx.get(srv.url + "/api/v2/deals", headers=headers).status_code == 200
    problems = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert not problems, [r.getMessage() for r in problems]
