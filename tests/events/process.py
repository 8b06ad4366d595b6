"""Run `pdsync events serve` as a real subprocess (for kill -9 and load tests)."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import httpx
import yaml


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def write_config(directory: Path, write_key: str, **extra: Any) -> Path:
    path = directory / "events.yaml"
    data = {
        "write_key": write_key,
        "user_id_field": "App user id",
        "group_id_field": "App group id",
        "create_users": True,
        "outbox": str(directory / "outbox.db"),
        "backoff_base": 0.2,
        "backoff_max": 2.0,
        "max_attempts": 50,
        **extra,
    }
    path.write_text(yaml.safe_dump(data))
    return path


class ServeProcess:
    def __init__(self, config: Path, base_url: str, token: str, port: int) -> None:
        self.url = f"http://127.0.0.1:{port}"
        env = {**os.environ, "PIPEDRIVE_API_TOKEN": token, "PIPEDRIVE_BASE_URL": base_url}
        cmd = [
            sys.executable,
            "-m",
            "pdsync",
            "events",
            "serve",
            "--config",
            str(config),
            "--port",
            str(port),
        ]
        self.proc = subprocess.Popen(
            cmd, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
        )
        self._wait_ready()

    def _wait_ready(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                err = self.proc.stderr.read().decode() if self.proc.stderr else ""
                raise RuntimeError(f"serve exited early: {err}")
            try:
                httpx.get(self.url + "/health", timeout=1)
                return
            except httpx.HTTPError:
                time.sleep(0.05)
        raise RuntimeError("serve did not start")

    def health(self) -> dict[str, Any]:
        return dict(httpx.get(self.url + "/health", timeout=5).json())

    def kill9(self) -> None:
        self.proc.kill()  # SIGKILL: no cleanup, no flush
        self.proc.wait()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                self.kill9()
