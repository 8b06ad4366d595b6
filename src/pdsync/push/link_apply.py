"""Carry out planned link writes: attach, change or detach deal products, add or remove
deal participants (v1) and followers (v2).

The journal, retries and read-back work as for records (:class:`Applier`); only the
paths differ — every write goes to ``{parent}/{id}/{child}[/{child_id}]``. A follower or
participant added by someone else between planning and applying (Pipedrive answers 400
to a second follow) is found in a fresh read of the list and counted as applied.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

from pdsync.errors import ValidationError
from pdsync.push.api import PushClient, data_of
from pdsync.push.apply import Applier
from pdsync.push.journal import Journal
from pdsync.push.links import Children, find_link_created, link_of
from pdsync.push.objects import ObjectSpec
from pdsync.push.plan import PlanItem


class LinkApplier(Applier):
    def __init__(
        self,
        client: PushClient,
        spec: ObjectSpec,
        journal: Journal,
        clock: Callable[[], float] = time.time,
    ) -> None:
        super().__init__(client, spec, journal, clock)
        self.link = link_of(spec)
        self.children = Children(client, spec)

    def _send(self, item: PlanItem) -> Any:
        link, version = self.link, self.spec.version
        if item.action == "create":
            path = link.collection(item.parent_id)
            try:
                created = data_of(
                    self.client.request("POST", path, version=version, json=item.body)
                )
            except ValidationError:
                already = None if link.has_values else self._already_there(item)
                if already is None:
                    raise
                return already
            return created.get(link.id_field) if isinstance(created, dict) else None
        path = link.item(item.parent_id, item.record_id)
        if item.action == "update":
            self.client.request("PATCH", path, version=version, json=item.body)
        elif item.action == "delete":
            self.client.request("DELETE", path, version=version)
        else:
            raise ValueError(f"not a link write: {item.action}")
        return item.record_id

    def _already_there(self, item: PlanItem) -> Any | None:
        assert item.body is not None
        found = self.children.matching(item.parent_id, item.body.get(self.link.target), fresh=True)
        return found[0].get(self.link.id_field) if found else None

    def _landed(self, item: PlanItem, sent_at: float) -> Any | None:
        if item.action != "create" or item.body is None:
            return None
        return find_link_created(
            self.children,
            item.parent_id,
            item.body,
            sent_at,
            claimed=lambda cid: self.journal.is_claimed(cid, item.row, item.parent_id),
        )
