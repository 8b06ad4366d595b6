"""``pdsync listen`` on an emulated account whose webhook deliveries are duplicated,
reordered and dropped: the replica follows, and equals the account after a catch-up."""

from __future__ import annotations

from pathlib import Path

from pdsync.emulator.server import EmulatorServer

from .account import Writer, differences
from .conftest import ListenerFactory, api_for, emulator_config, settle

FAULTS = "drop=0.02,duplicate=0.05,reorder=0.05"


def test_replica_follows_faulty_deliveries_and_catch_up_recovers_drops(
    tmp_path: Path, start_listener: ListenerFactory
) -> None:
    with EmulatorServer(emulator_config(FAULTS)) as server, api_for(server) as api:
        service = start_listener(server)
        settle(server, service)
        assert differences(api, str(tmp_path / "replica.db")) == {}  # the start catch-up

        writer = Writer(api, seed=11)
        for _ in range(500):
            writer.one()
        settle(server, service)

        webhooks = server.emulator.edges.stats.snapshot()["webhook_deliveries"]
        status = service.snapshot()
        dropped, duplicated = webhooks["fault_dropped"], webhooks["fault_duplicated"]
        assert dropped > 0 and duplicated > 0 and webhooks["fault_held_back"] > 0
        assert status["duplicates"] == duplicated  # each copy recognised by its event id
        assert status["received"] == 500 - dropped
        assert status["failed"] == 0 and status["rejected"] == {}
        # Without the catch-up only records whose last delivery was dropped may differ.
        stale = differences(api, str(tmp_path / "replica.db"))
        assert sum(stale.values()) <= dropped

        service.request_catch_up("test: gap", reconcile=True)
        settle(server, service)
        assert differences(api, str(tmp_path / "replica.db")) == {}
        assert service.snapshot()["last_catch_up"]["ok"] is True
