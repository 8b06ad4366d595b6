"""Carry out the planned writes, one row at a time, each recorded in the journal first.

Writes go through the client, hence through the shared rate governor, on v2 wherever
Pipedrive has it. A row the API rejects (400/404/422, a permission) fails alone; the
batch goes on. A create whose answer was lost (5xx, connection drop) is read back
before it is sent again, so it is never created twice. An exhausted daily budget or a
rejected token stops the push with the journal intact: run the same command again.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pdsync.errors import (
    ApiError,
    AuthError,
    PaymentRequiredError,
    RateLimitError,
    ServerError,
    TransportError,
)
from pdsync.push.api import PushClient, data_of
from pdsync.push.journal import Journal
from pdsync.push.objects import ObjectSpec
from pdsync.push.plan import PlanItem
from pdsync.push.readback import find_created

# A create is sent at most this many times, each after a read-back found nothing.
MAX_CREATE_ATTEMPTS = 3


class Applier:
    def __init__(
        self,
        client: PushClient,
        spec: ObjectSpec,
        journal: Journal,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.client = client
        self.spec = spec
        self.journal = journal
        self.clock = clock

    def apply(self, item: PlanItem) -> PlanItem:
        """Send one planned write; return the item with its final status and record id."""
        attempts = MAX_CREATE_ATTEMPTS if item.action == "create" else 1
        for attempt in range(1, attempts + 1):
            sent_at = self.clock()
            self.journal.mark_sending(item.row, sent_at)
            try:
                record_id = self._send(item)
            except RateLimitError:
                self.journal.mark_planned(item.row)  # refused, not landed: plan again next run
                raise
            except (AuthError, PaymentRequiredError):
                self.journal.mark_planned(item.row)
                raise
            except (ServerError, TransportError) as exc:
                found = self._landed(item, sent_at)
                if found is not None:
                    return self._done(item, found, "created (answer lost; found by read-back)")
                if attempt == attempts:
                    return self._failed(item, exc.message)
                continue
            except ApiError as exc:
                return self._failed(item, exc.message)
            return self._done(item, record_id, "")
        return item  # pragma: no cover - the loop always returns

    def _send(self, item: PlanItem) -> Any:
        spec = self.spec
        if item.action == "create":
            created = data_of(
                self.client.request("POST", spec.path, version=spec.version, json=item.body)
            )
            return created.get("id") if isinstance(created, dict) else None
        if item.action == "update":
            path = spec.record_path(item.record_id)
            self.client.request(spec.update_method, path, version=spec.version, json=item.body)
            return item.record_id
        if item.action == "delete":
            self.client.request("DELETE", spec.record_path(item.record_id), version=spec.version)
            return item.record_id
        if item.action == "merge":
            assert spec.merge_path is not None
            path = spec.merge_path.format(id=item.record_id)
            self.client.request("PUT", path, version="v1", json={"merge_with_id": item.merge_with})
            return item.merge_with
        raise ValueError(f"not a write: {item.action}")

    def _landed(self, item: PlanItem, sent_at: float) -> Any | None:
        if item.action != "create" or item.body is None:
            return None
        return find_created(
            self.client,
            self.spec,
            item.body,
            sent_at,
            claimed=lambda rid: self.journal.is_claimed(rid, item.row),
        )

    def _done(self, item: PlanItem, record_id: Any, message: str) -> PlanItem:
        self.journal.mark_done(item.row, record_id, message)
        item.record_id, item.status, item.message = record_id, "done", message
        return item

    def _failed(self, item: PlanItem, message: str) -> PlanItem:
        self.journal.mark_failed(item.row, message)
        item.status, item.message = "failed", message
        return item
