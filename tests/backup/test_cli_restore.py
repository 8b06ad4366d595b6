"""`pdsync restore` from the command line: a dry run plans and writes nothing; the real run
re-creates the record; `backup diff SNAPSHOT live` then maps its new id."""

from __future__ import annotations

from pathlib import Path

import httpx

from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer

from .conftest import WRITE_PREFIXES, run_cli


def _writes(server: EmulatorServer) -> int:
    ops = httpx.get(f"{server.url}/_emulator/stats").json()["requests_by_operation"]
    return sum(n for op, n in ops.items() if op.lower().startswith(WRITE_PREFIXES))


def test_dry_run_then_restore_then_diff_live(tmp_path: Path) -> None:
    root = str(tmp_path / "backups")
    with EmulatorServer(EmulatorConfig(deals=20, seed=6, rate_limits=False)) as server:
        assert run_cli(server, "backup", "create", "--to", root)[0] == 0
        headers = {"x-api-token": server.config.token}
        notes = httpx.get(f"{server.url}/api/v1/notes", headers=headers).json()["data"]
        note = notes[0]
        httpx.delete(f"{server.url}/api/v1/notes/{note['id']}", headers=headers)

        code, out, err = run_cli(server, "backup", "diff", "latest", "live", "notes", "--to", root)
        assert code == 0 and "one listing" in err
        assert "notes: 0 added, 1 deleted, 0 changed" in out and f"- #{note['id']}" in out

        writes = _writes(server)
        code, out, err = run_cli(server, "restore", "latest", "notes", "--dry-run", "--to", root)
        assert code == 0, err
        assert "[notes] row     1  create notes:" in out and "Dry run" in err
        assert _writes(server) == writes

        code, out, err = run_cli(server, "restore", "latest", "notes", "--to", root)
        assert code == 0, err
        assert "notes: 1 create" in out
        code, out, _ = run_cli(server, "backup", "diff", "latest", "live", "notes", "--to", root)
        assert "re-created ids mapped" in out
        # What remains is the one field the emulator does not take on create.
        assert "deleted" not in out or "0 deleted" in out

        code, out, err = run_cli(server, "restore", "latest", "notes", "--to", root)
        assert code == 0 and "notes: 1 done before" in out
        code, _, err = run_cli(server, "restore", "nope", "--to", root)
        assert code == 11 and "No snapshot 'nope'" in err
