"""`pdsync check`, `conns` and `config show` as a user runs them, over real HTTP.

The emulator tests skip only while ``pdsync.emulator.server`` cannot be imported; the
others use a tiny stdlib HTTP server that answers like Pipedrive does.
"""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

import pytest
from click.testing import CliRunner

from pdsync.cli import main

TOKEN = "cli-test-token-0c0ffee0c0ffee"
ME = {
    "id": 7,
    "name": "Jane Doe",
    "email": "jane@acme.test",
    "company_name": "Acme Ltd",
    "company_domain": "acme",
    "access": [{"app": "global", "admin": True}],
}


class _Handler(BaseHTTPRequestHandler):
    mode = "ok"

    def do_GET(self) -> None:
        if self.headers.get("x-api-token") != TOKEN:
            self._send(401, {"success": False, "error": "unauthorized access", "errorCode": 401})
        elif self.server.mode == "exhausted":  # type: ignore[attr-defined]
            self._send(
                429,
                {"success": False, "error": "Daily limit reached"},
                {"x-daily-ratelimit-token-remaining": "0", "retry-after": "3600"},
            )
        elif self.server.mode == "wrong-domain":  # type: ignore[attr-defined]
            self._send(404, {"success": False, "error": "Not found"})
        else:
            self._send(
                200,
                {"success": True, "data": ME},
                {
                    "x-ratelimit-limit": "40",
                    "x-ratelimit-remaining": "39",
                    "x-ratelimit-reset": "2",
                    "x-daily-ratelimit-token-limit": "60000",
                    "x-daily-ratelimit-token-remaining": "59980",
                },
            )

    def _send(
        self, status: int, body: dict[str, Any], headers: dict[str, str] | None = None
    ) -> None:
        data = json.dumps(body).encode()
        self.send_response(status)
        self.send_header("content-type", "application/json")
        for key, value in (headers or {}).items():
            self.send_header(key, value)
        self.send_header("content-length", str(len(data)))
        self.end_headers()
        self.wfile.write(data)

    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture
def stub() -> Iterator[ThreadingHTTPServer]:
    server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
    server.mode = "ok"  # type: ignore[attr-defined]
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()


def url(server: ThreadingHTTPServer) -> str:
    return f"http://127.0.0.1:{server.server_address[1]}"


@pytest.fixture(autouse=True)
def fresh_governors() -> Iterator[None]:
    """Each test starts with no remembered rate-limit state for its token."""
    from pdsync.api.ratelimit import RateGovernor

    RateGovernor.forget_all()
    yield
    RateGovernor.forget_all()


@pytest.fixture
def runner(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> CliRunner:
    for key in (
        "PIPEDRIVE_API_TOKEN",
        "PIPEDRIVE_COMPANY_DOMAIN",
        "PIPEDRIVE_BASE_URL",
        "PDSYNC_CONNECTION",
    ):
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("PDSYNC_CONFIG_DIR", str(tmp_path / "config"))
    return CliRunner()


def invoke(runner: CliRunner, *args: str, env: dict[str, str] | None = None) -> Any:
    result = runner.invoke(main, list(args), env=env)
    assert TOKEN not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    return result


def test_check_reports_company_user_and_budget(
    runner: CliRunner, stub: ThreadingHTTPServer
) -> None:
    result = invoke(
        runner, "check", env={"PIPEDRIVE_API_TOKEN": TOKEN, "PIPEDRIVE_BASE_URL": url(stub)}
    )
    assert result.exit_code == 0, result.output
    assert "✓ Connected to Pipedrive" in result.output
    assert "Acme Ltd (acme.pipedrive.com)" in result.output
    assert "Jane Doe <jane@acme.test> (admin)" in result.output
    assert "39/40 requests left" in result.output
    assert "59,980/60,000 tokens left today" in result.output


def test_check_json(runner: CliRunner, stub: ThreadingHTTPServer) -> None:
    result = invoke(runner, "check", "--json", "--base-url", url(stub), "--api-token", TOKEN)
    data = json.loads(result.output)
    assert data["ok"] and data["company_name"] == "Acme Ltd" and data["is_admin"] is True
    assert data["rate"]["daily_remaining"] == 59980


@pytest.mark.parametrize(
    "mode,token,exit_code,needle",
    [
        ("ok", "wrong-token-123456", 4, "rejected the credentials"),
        ("wrong-domain", TOKEN, 3, "company domain"),
        ("exhausted", TOKEN, 6, "daily API token budget"),
    ],
)
def test_check_failures_are_one_line_with_their_exit_code(
    runner: CliRunner, stub: ThreadingHTTPServer, mode: str, token: str, exit_code: int, needle: str
) -> None:
    stub.mode = mode  # type: ignore[attr-defined]
    result = invoke(
        runner, "check", env={"PIPEDRIVE_API_TOKEN": token, "PIPEDRIVE_BASE_URL": url(stub)}
    )
    assert result.exit_code == exit_code, result.output
    assert needle in result.output
    assert "Traceback" not in result.output
    assert token not in result.output


def test_check_unreachable_host_exits_5(runner: CliRunner) -> None:
    import socket

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    result = invoke(
        runner,
        "check",
        env={"PIPEDRIVE_API_TOKEN": TOKEN, "PIPEDRIVE_BASE_URL": f"http://127.0.0.1:{port}"},
    )
    assert result.exit_code == 5
    assert "Cannot connect" in result.output


def test_check_without_credentials_exits_2(runner: CliRunner) -> None:
    result = invoke(runner, "check")
    assert result.exit_code == 2 and "PIPEDRIVE_API_TOKEN" in result.output


def test_conns_set_list_test_rm(
    runner: CliRunner, stub: ThreadingHTTPServer, tmp_path: Path
) -> None:
    result = invoke(runner, "conns", "set", "work", "--api-token", TOKEN, "--base-url", url(stub))
    assert result.exit_code == 0, result.output
    listed = invoke(
        runner,
        "conns",
        "list",
        "--json",
        env={"OTHER": "{api_token: other-token-99, domain: other}"},
    )
    names = {row["name"]: row for row in json.loads(listed.output)}
    assert (
        names["work"]["auth"] == "API token" and names["OTHER"]["target"] == "other.pipedrive.com"
    )
    tested = invoke(runner, "conns", "test", "work", env={"PIPEDRIVE_API_TOKEN": "ignored-token-1"})
    assert tested.exit_code == 0 and "Acme Ltd" in tested.output
    shown = invoke(runner, "config", "show", "--connection", "work")
    assert "***" in shown.output and "connections.yaml" in shown.output
    assert invoke(runner, "conns", "rm", "work").exit_code == 0
    assert invoke(runner, "conns", "test", "work").exit_code == 2


def test_config_show_json_masks_secrets_and_names_sources(runner: CliRunner) -> None:
    result = invoke(
        runner,
        "config",
        "show",
        "--json",
        "--company-domain",
        "https://acme.pipedrive.com",
        env={"PIPEDRIVE_API_TOKEN": TOKEN, "PDSYNC_TIMEOUT": "9"},
    )
    rows = {row["name"]: row for row in json.loads(result.output)["settings"]}
    assert rows["api_token"] == {
        "name": "api_token",
        "value": "***",
        "source": "env PIPEDRIVE_API_TOKEN",
    }
    assert rows["company_domain"]["value"] == "acme" and rows["company_domain"]["source"] == "flag"
    assert rows["timeout"]["source"] == "env PDSYNC_TIMEOUT"
    assert rows["root_url"]["value"] == "https://acme.pipedrive.com"


# ------------------------------------------------------------------ emulator


@pytest.fixture
def emulator() -> Iterator[Any]:
    server_module = pytest.importorskip("pdsync.emulator.server")
    from pdsync.emulator.config import EmulatorConfig

    with server_module.EmulatorServer(EmulatorConfig(deals=50, seed=1)) as srv:
        yield srv


def test_check_against_the_emulator(runner: CliRunner, emulator: Any) -> None:
    env = {"PIPEDRIVE_API_TOKEN": emulator.config.token, "PIPEDRIVE_BASE_URL": emulator.url}
    result = runner.invoke(main, ["check"], env=env)
    assert result.exit_code == 0, result.output
    assert "✓ Connected to Pipedrive" in result.output
    assert "tokens left today" in result.output
    assert emulator.config.token not in result.output


def test_check_against_the_emulator_with_a_wrong_token(runner: CliRunner, emulator: Any) -> None:
    env = {"PIPEDRIVE_API_TOKEN": "not-the-emulator-token", "PIPEDRIVE_BASE_URL": emulator.url}
    result = runner.invoke(main, ["check"], env=env)
    assert result.exit_code == 4, result.output


def test_check_against_an_exhausted_emulator(runner: CliRunner) -> None:
    server_module = pytest.importorskip("pdsync.emulator.server")
    from pdsync.emulator.config import EmulatorConfig

    with server_module.EmulatorServer(EmulatorConfig(deals=50, seed=1, daily_budget=0)) as srv:
        env = {"PIPEDRIVE_API_TOKEN": srv.config.token, "PIPEDRIVE_BASE_URL": srv.url}
        result = runner.invoke(main, ["check"], env=env)
    assert result.exit_code == 6, result.output
    assert "daily" in result.output
