"""Mail threads are read once per folder; a thread listed in two folders is one row."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import httpx
from sync_helpers import CAPABLE, rows

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.sync.engine import SyncEngine
from pdsync.sync.replication import select_streams

FOLDERS = {
    "inbox": [{"id": 1, "subject": "hello", "folders": ["inbox"]},
              {"id": 2, "subject": "both", "folders": ["inbox", "archive"]}],
    "drafts": [],
    "sent": [{"id": 3, "subject": "sent one", "folders": ["sent"]}],
    "archive": [{"id": 2, "subject": "both", "folders": ["inbox", "archive"]}],
}  # fmt: skip


def mailbox(asked: list[str]) -> httpx.MockTransport:
    def handle(request: httpx.Request) -> httpx.Response:
        folder = request.url.params.get("folder", "")
        asked.append(folder)
        if request.url.path != "/api/v1/mailbox/mailThreads" or folder not in FOLDERS:
            return httpx.Response(400, json={"success": False, "error": "folder required"})
        body: dict[str, Any] = {
            "success": True,
            "data": FOLDERS[folder],
            "additional_data": {"pagination": {"more_items_in_collection": False}},
        }
        return httpx.Response(200, json=body)

    return httpx.MockTransport(handle)


def test_every_folder_is_read_and_a_shared_thread_is_kept_once(tmp_path: Path) -> None:
    asked: list[str] = []
    client = PipedriveClient(
        Connection(api_token="t" * 40, base_url="http://pd.test"),
        transport=mailbox(asked),
        governor=RateGovernor(burst_limit=1_000),
    )
    db = tmp_path / "mail.db"
    destination = open_destination(f"sqlite:///{db}")
    try:
        selections = select_streams(CAPABLE, requested=["mail_threads"])
        report = SyncEngine(client, destination, selections).run()
    finally:
        destination.close()
        client.close()
    assert sorted(asked) == sorted(FOLDERS)
    assert rows(db, "SELECT id, subject FROM mail_threads ORDER BY id") == [
        (1, "hello"),
        (2, "both"),
        (3, "sent one"),
    ]
    assert report.stream("mail_threads").inserted == 3
