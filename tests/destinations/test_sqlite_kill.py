"""kill -9 in the middle of a stream of batches: rows and state always agree afterwards."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest

from pdsync.destinations.sqlite import SQLiteDestination

WRITER = textwrap.dedent(
    """
    import sys
    from pdsync.destinations import Batch, open_destination
    from pdsync.schema import Column, TableSchema
    from pdsync.sync.state import StreamState

    schema = TableSchema("deals", (Column("id", "integer"), Column("title", "text")))
    dest = open_destination(sys.argv[1])
    for k in range(100000):
        rows = [{"id": k * 200 + i, "title": "x" * 50} for i in range(200)]
        st = StreamState("deals", extra={"batches": k + 1})
        dest.write_batch(Batch("deals", schema, rows, state={"deals": st}))
        print(k, flush=True)
    """
)


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs POSIX signals")
def test_kill_9_never_tears_a_batch(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'kill.db'}"
    child = subprocess.Popen(
        [sys.executable, "-c", WRITER, url],
        stdout=subprocess.PIPE,
        text=True,
        env=os.environ.copy(),
    )
    assert child.stdout is not None
    for _ in range(15):  # let it commit a few batches, then kill it mid-stream
        assert child.stdout.readline()
    child.send_signal(signal.SIGKILL)
    child.wait()
    with SQLiteDestination(tmp_path / "kill.db") as dest:
        batches = dest.read_state().get("deals").extra["batches"]
        assert batches >= 15
        assert dest.count("deals") == batches * 200
        assert list(dest.query("PRAGMA integrity_check")) == [("ok",)]
