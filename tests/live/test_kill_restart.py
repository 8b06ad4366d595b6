"""``pdsync listen`` killed with SIGKILL mid-stream, then restarted: the replica ends equal to
the account, and the webhook password shows up in no output and not in the replica."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx

from pdsync.emulator.server import EmulatorServer

from .account import Writer, differences
from .conftest import api_for, emulator_config


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def start(server: EmulatorServer, folder: Path, port: int) -> subprocess.Popen[str]:
    env = {
        **os.environ,
        "PIPEDRIVE_BASE_URL": server.url,
        "PIPEDRIVE_API_TOKEN": server.config.token,
        "PDSYNC_CONFIG_DIR": str(folder / "config"),
    }
    args = ["--log-level", "debug", "listen", "--target", f"sqlite:///{folder / 'replica.db'}"]
    return subprocess.Popen(
        [sys.executable, "-m", "pdsync", *args, "--port", str(port), "--catch-up-every", "never"],
        cwd=folder,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def wait_status(port: int, ready: Any, timeout: float = 30.0) -> dict[str, Any]:
    deadline = time.monotonic() + timeout
    last: dict[str, Any] = {}
    while time.monotonic() < deadline:
        try:
            last = httpx.get(f"http://127.0.0.1:{port}/status", timeout=2).json()
            if ready(last):
                return last
        except httpx.HTTPError:
            pass
        time.sleep(0.05)
    raise AssertionError(f"listener not ready: {last}")


def settled(status: dict[str, Any]) -> bool:
    return status["catch_ups"] >= 1 and not status["catching_up"] and status["pending"] == 0


def test_kill_9_then_restart(tmp_path: Path) -> None:
    port = free_port()
    outputs: list[str] = []
    with EmulatorServer(emulator_config("duplicate=0.05,reorder=0.05")) as server:
        api = api_for(server)
        first = start(server, tmp_path, port)
        try:
            wait_status(port, settled)
            writer = Writer(api, seed=21)
            for _ in range(150):
                writer.one()
                time.sleep(0.002)
            wait_status(port, lambda s: s["applied"] > 0)
            first.send_signal(signal.SIGKILL)  # mid-stream: deliveries still coming
            for _ in range(150):
                writer.one()
        finally:
            first.kill()
            out, err = first.communicate(timeout=10)
            outputs += [out, err]
        assert first.returncode == -signal.SIGKILL
        assert server.emulator.edges.webhooks.wait_idle(20)  # retries given up while down

        second = start(server, tmp_path, port)
        try:
            wait_status(port, settled)
            assert differences(api, str(tmp_path / "replica.db")) == {}
            second.send_signal(signal.SIGTERM)  # a clean stop
            out, err = second.communicate(timeout=30)
            outputs += [out, err]
        finally:
            second.kill()
        assert second.returncode == 0, err
        assert "Stopped." in err

    with sqlite3.connect(tmp_path / "replica.db.listen") as conn:
        password = conn.execute(
            "SELECT value FROM live_state WHERE key = 'auth_password'"
        ).fetchone()[0]
        ids = conn.execute("SELECT COUNT(*), COUNT(DISTINCT event_id) FROM deliveries").fetchone()
    assert ids[0] == ids[1]
    assert oct((tmp_path / "replica.db.listen").stat().st_mode)[-3:] == "600"
    for text in outputs:
        assert password not in text
    assert password.encode() not in (tmp_path / "replica.db").read_bytes()
