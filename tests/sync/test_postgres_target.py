"""`pdsync sync` into a real PostgreSQL server, in the schema the replication file names."""

from __future__ import annotations

import os
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from click.testing import CliRunner

from pdsync.cli import main
from pdsync.emulator.server import EmulatorServer

psycopg = pytest.importorskip("psycopg")

SERVER = os.environ.get("PDSYNC_TEST_POSTGRES_URL", "postgresql://postgres@127.0.0.1:5432/test")


@pytest.fixture
def schema() -> Iterator[str]:
    try:
        psycopg.connect(SERVER, connect_timeout=3).close()
    except psycopg.Error as exc:
        reason = f"no PostgreSQL server at {SERVER} ({str(exc).strip()[:120]})"
        if os.environ.get("CI"):
            pytest.fail(f"CI is set, so PostgreSQL tests must run: {reason}")
        pytest.skip(reason)
    name = f"pdsync_sync_{uuid.uuid4().hex[:10]}"
    yield name
    with psycopg.connect(SERVER, autocommit=True) as conn:
        conn.execute(f'DROP SCHEMA IF EXISTS "{name}" CASCADE')


def test_sync_lands_in_the_replication_files_schema(
    account: EmulatorServer, tmp_path: Path, schema: str
) -> None:
    config = tmp_path / "replication.yaml"
    config.write_text(
        f"target: {SERVER}\n"
        f"defaults:\n  object: '{schema}.pd_{{stream_name}}'\n"
        "streams:\n  deals:\n  stages:\n"
    )
    result = CliRunner().invoke(
        main,
        ["sync", "--config", str(config), "--base-url", account.url],
        env={"PIPEDRIVE_API_TOKEN": account.config.token},
    )
    assert result.exit_code == 0, result.output
    with psycopg.connect(SERVER) as conn:
        tables = {
            row[0]
            for row in conn.execute(
                "SELECT table_name FROM information_schema.tables WHERE table_schema = %s",
                (schema,),
            )
        }
        assert {"pd_deals", "pd_stages"} <= tables
        deals = conn.execute(f'SELECT count(*) FROM "{schema}".pd_deals').fetchone()[0]
    assert deals > 100
