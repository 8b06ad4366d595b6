"""The API token never appears in anything pdsync prints, logs or writes.

Each command runs as a real subprocess at debug log level against a real emulator
that accepts a distinctive token, on success and on failure paths, and every byte
of stdout, stderr and the files the command wrote is searched for the token.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

SECRET = "s3cr3t-token-that-must-never-leak-4242"
WRONG = "wrong-token-that-must-never-leak-9090"


@pytest.fixture(scope="module")
def server() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(seed=3, deals=60, token=SECRET)) as srv:
        yield srv


def run_pdsync(
    args: list[str], base_url: str, token: str, cwd: Path
) -> subprocess.CompletedProcess[str]:
    env = {
        **os.environ,
        "PIPEDRIVE_BASE_URL": base_url,
        "PIPEDRIVE_API_TOKEN": token,
        "PDSYNC_CONFIG_DIR": str(cwd / "config"),
        "PDSYNC_LOG_LEVEL": "debug",
    }
    return subprocess.run(
        [sys.executable, "-m", "pdsync", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )


def assert_nowhere(token: str, result: subprocess.CompletedProcess[str], folder: Path) -> None:
    assert token not in result.stdout
    assert token not in result.stderr
    for path in folder.rglob("*"):
        if path.is_file():
            assert token.encode() not in path.read_bytes(), f"token written to {path}"


@pytest.mark.parametrize(
    "args",
    [["check"], ["check", "--json"], ["discover", "persons", "--json"]],
    ids=lambda a: " ".join(a),
)
def test_token_absent_on_success(server: EmulatorServer, tmp_path: Path, args: list[str]) -> None:
    result = run_pdsync(args, server.url, SECRET, tmp_path)
    assert result.returncode == 0, result.stderr
    # Debug logging really ran, so the check below covers the client's log lines too.
    assert "DEBUG" in result.stderr
    assert_nowhere(SECRET, result, tmp_path)


def test_config_show_masks_the_token(server: EmulatorServer, tmp_path: Path) -> None:
    result = run_pdsync(["config", "show"], server.url, SECRET, tmp_path)
    assert result.returncode == 0, result.stderr
    assert "api_token" in result.stdout and "***" in result.stdout
    assert_nowhere(SECRET, result, tmp_path)


@pytest.mark.parametrize("args", [["check"], ["discover", "deals"]], ids=lambda a: " ".join(a))
def test_wrong_token_absent_from_the_failure(
    server: EmulatorServer, tmp_path: Path, args: list[str]
) -> None:
    result = run_pdsync(args, server.url, WRONG, tmp_path)
    assert result.returncode == 4, result.stderr
    assert "Traceback" not in result.stderr
    assert_nowhere(WRONG, result, tmp_path)


def test_token_absent_from_push_report_and_journal(server: EmulatorServer, tmp_path: Path) -> None:
    people = tmp_path / "people.csv"
    people.write_text("name,email\nAda Secretless,ada@example.test\nBob,not-an-email-at-all\n")
    result = run_pdsync(
        ["push", "persons", "--input", str(people), "--report", str(tmp_path / "report.jsonl")],
        server.url,
        SECRET,
        tmp_path,
    )
    assert result.returncode in (0, 8), result.stderr
    assert (tmp_path / "report.jsonl").exists()
    assert_nowhere(SECRET, result, tmp_path)


def test_token_absent_when_the_host_is_unreachable(tmp_path: Path) -> None:
    result = run_pdsync(["check"], "http://127.0.0.1:9", SECRET, tmp_path)
    assert result.returncode == 5
    assert_nowhere(SECRET, result, tmp_path)
