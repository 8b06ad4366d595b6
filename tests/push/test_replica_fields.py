"""``push --replica`` reads the field mappings a real sync stored (not a hand-made table)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.push.replica import Replica


def test_field_mappings_of_a_synced_replica(tmp_path: Path) -> None:
    db = tmp_path / "replica.db"
    with EmulatorServer(EmulatorConfig(deals=30, seed=2, rate_limits=False)) as server:
        result = CliRunner().invoke(
            main,
            [
                "sync",
                "deals",
                "deal_fields",
                "--target",
                f"sqlite:///{db}",
                "--base-url",
                server.url,
            ],
            env={"PIPEDRIVE_API_TOKEN": server.config.token},
        )
        assert result.exit_code == 0, result.output
    mappings = Replica(f"sqlite:///{db}").field_mappings("deal")
    with sqlite3.connect(db) as conn:
        columns = {row[1] for row in conn.execute('PRAGMA table_info("deals")')}
    custom = [m for m in mappings if m.is_custom]
    assert custom, "the synced account has custom deal fields"
    # user/org/person fields are stored as ``<column>_id``
    assert all(m.column in columns or f"{m.column}_id" in columns for m in custom)
    assert all(len(m.key) == 40 for m in custom)
