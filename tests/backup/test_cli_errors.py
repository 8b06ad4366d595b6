"""The backup commands end to end on a real emulator: snapshots, list, and the documented
exit codes for an unknown snapshot (11), a corrupted or tampered file (12) and a wrong
passphrase (13)."""

from __future__ import annotations

import json
import stat
from pathlib import Path

from pdsync.emulator.server import EmulatorServer

from .conftest import run_cli


def _files(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.is_file()]


def test_create_list_and_exit_codes(server: EmulatorServer, tmp_path: Path) -> None:
    root = tmp_path / "backups"
    code, out, err = run_cli(server, "backup", "create", "--to", str(root), "--label", "first")
    assert code == 0, err
    assert "Snapshot " in out and "records" in out
    assert all(stat.S_IMODE(p.stat().st_mode) == 0o600 for p in _files(root))
    code, out, err = run_cli(server, "backup", "create", "--to", str(root))
    assert code == 0, err

    code, out, _ = run_cli(server, "backup", "list", "--to", str(root), "--json")
    listed = [json.loads(line) for line in out.splitlines()]
    assert [s["label"] for s in listed] == ["first", ""]
    assert [s["latest"] for s in listed] == [False, True]
    assert listed[0]["records"]["deals"] == listed[1]["records"]["deals"] > 0

    code, out, err = run_cli(server, "backup", "diff", "first", "latest", "--to", str(root))
    assert code == 0 and "No differences." in out

    code, _, err = run_cli(server, "backup", "diff", "nope", "--to", str(root))
    assert code == 11 and "No snapshot 'nope'" in err and "backup list" in err

    segment = max((p for p in _files(root) if "objects" in p.parts), key=lambda p: p.stat().st_size)
    data = bytearray(segment.read_bytes())
    data[-5] ^= 0xFF
    segment.write_bytes(bytes(data))
    code, _, err = run_cli(server, "backup", "diff", "first", "latest", "--to", str(root))
    assert code == 12 and "corrupted or was altered" in err

    manifest = next(root.rglob("snapshots/*.json"))
    body = json.loads(manifest.read_text())
    body["label"] = "forged"
    manifest.write_text(json.dumps(body))
    code, _, err = run_cli(server, "backup", "list", "--to", str(root))
    assert code == 12 and "checksum mismatch" in err


def test_encrypted_store_needs_its_passphrase(server: EmulatorServer, tmp_path: Path) -> None:
    root = tmp_path / "secret"
    code, _, err = run_cli(server, "backup", "create", "--to", str(root), "--encrypt")
    assert code == 2 and "PDSYNC_BACKUP_PASSPHRASE" in err
    good = {"PDSYNC_BACKUP_PASSPHRASE": "correct horse battery staple"}
    code, _, err = run_cli(server, "backup", "create", "--to", str(root), "--encrypt", env=good)
    assert code == 0, err
    assert not (root / "acme" / "cache.sqlite").exists()  # no clear copy of the account
    names = [p.read_bytes() for p in _files(root) if "objects" in p.parts]
    assert names and all(b"Vertex" not in data and b"deal" not in data for data in names)

    code, out, _ = run_cli(server, "backup", "list", "--to", str(root), env=good)
    assert code == 0 and "(latest)" in out
    bad = {"PDSYNC_BACKUP_PASSPHRASE": "wrong"}
    code, _, err = run_cli(server, "backup", "list", "--to", str(root), env=bad)
    assert code == 13 and "does not open" in err
    code, _, err = run_cli(server, "backup", "list", "--to", str(root))
    assert code == 13 and "PDSYNC_BACKUP_PASSPHRASE" in err
