"""The README's quickstart, run for real: every statement, as a user would type it.

The statements are parsed out of README.md, so editing the README changes what is
tested. `pdsync emulator serve` from the README is the Pipedrive the other commands
talk to (on a free port instead of 8765, so tests never collide); the `export` lines
are checked against what it prints. Servers (`… serve`) are started, seen listening,
and stopped with Ctrl-C (SIGINT), as the README says.
"""

from __future__ import annotations

import os
import shlex
import signal
import subprocess
import sys
import threading
from collections.abc import Iterator
from pathlib import Path

import click
import pytest

from pdsync.cli import main

from .readme_blocks import Statement, section, statements
from .scripts import ROOT

BIN = Path(sys.executable).parent
README = (ROOT / "README.md").read_text("utf-8")
QUICKSTART = statements(section(README, "Quickstart"))
SERVER_START_TIMEOUT = 60.0


def _failure(what: str, output: str) -> str:
    return f"README quickstart: `{what}` failed:\n{output[-3000:]}"


def _assert_clean(what: str, returncode: int | None, output: str, ok: tuple[int, ...]) -> None:
    assert returncode in ok, _failure(what, output)
    assert "Traceback (most recent call last)" not in output, _failure(what, output)
    assert "Unexpected error" not in output, _failure(what, output)


class Server:
    """A `pdsync … serve` statement running in the background until stopped."""

    def __init__(self, statement: Statement, cwd: Path, env: dict[str, str]) -> None:
        words = statement.words
        if "--port" not in words:
            words += ["--port", "0"]
        self.text = shlex.join(words)
        self.process = subprocess.Popen(
            [str(BIN / "pdsync"), *words[1:]],
            cwd=cwd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.lines: list[str] = []
        # Bound the wait for the first line: a server that hangs must fail, not block CI.
        self._watchdog = threading.Timer(SERVER_START_TIMEOUT, self.process.kill)
        self._watchdog.start()
        assert self.process.stdout is not None
        self.lines.append(self.process.stdout.readline())
        self._watchdog.cancel()
        assert self.process.poll() is None, _failure(self.text, self.output())

    def output(self) -> str:
        return "".join(self.lines)

    def read_until(self, marker: str) -> str:
        """Read output lines until one contains ``marker``; that line."""
        assert self.process.stdout is not None
        while marker not in self.lines[-1]:
            line = self.process.stdout.readline()
            assert line, _failure(self.text, self.output())
            self.lines.append(line)
        return self.lines[-1]

    def stop(self) -> None:
        """Ctrl-C, as the README says; the server must leave without a traceback."""
        self.process.send_signal(signal.SIGINT)
        try:
            rest, _ = self.process.communicate(timeout=30)
        except subprocess.TimeoutExpired:
            self.process.kill()
            rest, _ = self.process.communicate()
        self.lines.append(rest)
        _assert_clean(self.text, self.process.returncode, self.output(), (0, 130))


def _clean_env(tmp_path: Path) -> dict[str, str]:
    """The user's environment minus any pdsync/Pipedrive settings, config kept in tmp."""
    env = {
        k: v for k, v in os.environ.items() if not k.startswith(("PDSYNC_", "PIPEDRIVE", "XDG_"))
    }
    env["PATH"] = f"{BIN}{os.pathsep}{env.get('PATH', '')}"
    env["PDSYNC_CONFIG_DIR"] = str(tmp_path / "config")
    env["XDG_STATE_HOME"] = str(tmp_path / "state")
    return env


def _emulator_default_url() -> str:
    """The URL `pdsync emulator serve` listens on with its default --host/--port."""
    group = main.get_command(click.Context(main), "emulator")
    assert isinstance(group, click.Group)
    serve = group.get_command(click.Context(group), "serve")
    assert serve is not None
    defaults = {p.name: p.default for p in serve.params}
    return f"http://{defaults['host']}:{defaults['port']}"


@pytest.fixture
def servers() -> Iterator[list[Server]]:
    started: list[Server] = []
    yield started
    for server in started:  # a failed assertion must not leave a server running
        if server.process.poll() is None:
            server.process.kill()
            server.process.communicate()


def test_quickstart_parses_into_commands() -> None:
    pdsync = [s.words[1] for s in QUICKSTART if s.is_pdsync]
    assert pdsync[0] == "emulator", "the quickstart starts the emulator first"
    assert {"check", "sync", "query", "export", "push", "events"} <= set(pdsync)
    assert any(s.export for s in QUICKSTART)


def test_readme_quickstart_runs(tmp_path: Path, servers: list[Server]) -> None:
    env = _clean_env(tmp_path)
    emulator = Server(QUICKSTART[0], tmp_path, env)
    servers.append(emulator)
    url = emulator.read_until("Pipedrive emulator:").split()[2]
    token = emulator.read_until("API token:").split()[2]

    ran = 0
    for statement in QUICKSTART[1:]:
        exported = statement.export
        if exported is not None:
            name, value = exported
            if name == "PIPEDRIVE_BASE_URL":
                assert value == _emulator_default_url(), (
                    "the README's base URL is not the emulator's"
                )
                value = url  # the same emulator, on the port this test got
            if name == "PIPEDRIVE_API_TOKEN":
                assert value == token, "the README's token is not the one the emulator prints"
            env[name] = value
        elif statement.is_server:
            server = Server(statement, tmp_path, env)
            servers.append(server)
            server.stop()
        else:
            done = subprocess.run(
                ["bash", "-c", statement.text],
                cwd=tmp_path,
                env=env,
                capture_output=True,
                text=True,
                timeout=300,
            )
            _assert_clean(statement.text, done.returncode, done.stdout + done.stderr, (0,))
        ran += statement.is_pdsync
    emulator.stop()

    assert ran == sum(s.is_pdsync for s in QUICKSTART) - 1
    assert (tmp_path / "pipedrive.db").stat().st_size > 0
    assert len((tmp_path / "persons.csv").read_text("utf-8").splitlines()) > 100
