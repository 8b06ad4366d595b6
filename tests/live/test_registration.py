"""Webhooks: one per object, registered once, registered again when removed, removed on request."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx

from pdsync.emulator.server import EmulatorServer

from .account import Writer, differences
from .conftest import ListenerFactory, api_for, emulator_config, settle


def hooks(api: httpx.Client) -> list[dict[str, Any]]:
    return list(api.get("/api/v1/webhooks").raise_for_status().json()["data"])


def test_registered_once_reregistered_when_removed_and_unregistered(
    tmp_path: Path, start_listener: ListenerFactory
) -> None:
    with EmulatorServer(emulator_config(seed=12)) as server, api_for(server) as api:
        service = start_listener(server, streams=("deals", "persons"), unregister_on_stop=True)
        settle(server, service)
        registered = hooks(api)
        assert sorted(h["event_object"] for h in registered) == ["deal", "person"]
        for hook in registered:
            assert hook["version"] == "2.0" and hook["event_action"] == "*"
            assert hook["subscription_url"] == service.receiver.url + "/pipedrive"
            assert hook["http_auth_user"] == service.credentials.user
            assert hook["http_auth_password"] != service.credentials.password

        deal_hook = next(h for h in registered if h["event_object"] == "deal")
        api.delete(f"/api/v1/webhooks/{deal_hook['id']}").raise_for_status()
        Writer(api, seed=3).create("deals")  # lost: no webhook for deals now
        service.request_catch_up("test: periodic check", reconcile=False)
        settle(server, service)
        assert service.snapshot()["registration"]["registered_last_check"] == ["deal"]
        assert len(hooks(api)) == 2
        assert differences(api, str(tmp_path / "replica.db"), ("deals", "persons")) == {}

        Writer(api, seed=4).create("deals")  # delivered through the new webhook
        settle(server, service)
        assert service.snapshot()["received"] == 1

        service.stop()
        assert hooks(api) == []
