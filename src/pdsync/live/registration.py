"""One webhook per followed object, registered through ``/v1/webhooks`` and kept registered.

Each webhook asks for every action (``event_action: "*"``) of one object, version 2.0,
with the replica's Basic credentials. Its id is kept in the journal's state, so a
restart finds it again instead of adding another. :func:`check` lists the account's
webhooks: one that Pipedrive removed (after 3 days without a successful delivery, or
by a user) is registered again, one whose last delivery failed means events may have
been lost (a ban drops them): both ask for a catch-up.
"""

from __future__ import annotations

import contextlib
import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from pdsync.api.client import PipedriveClient
from pdsync.errors import NotFoundError
from pdsync.live.credentials import Credentials
from pdsync.live.journal import Journal

log = logging.getLogger(__name__)
PATH = "/pipedrive"  # where deliveries are posted, under --public-url
_KEY = "webhook:"


@dataclass
class RegistrationState:
    """What the last check found (shown by ``/status``)."""

    webhooks: dict[str, int] = field(default_factory=dict)  # object -> webhook id
    registered: list[str] = field(default_factory=list)  # objects (re-)registered last check
    failing: list[str] = field(default_factory=list)  # objects whose last delivery failed
    managed: bool = True  # False with --no-register

    @property
    def gap_suspected(self) -> bool:
        return bool(self.registered or self.failing)

    def to_dict(self) -> dict[str, Any]:
        return {
            "managed": self.managed,
            "webhooks": dict(self.webhooks),
            "registered_last_check": list(self.registered),
            "failing": list(self.failing),
        }


def subscription_url(public_url: str) -> str:
    return public_url.rstrip("/") + PATH


def check(
    client: PipedriveClient,
    journal: Journal,
    objects: Iterable[str],
    public_url: str,
    credentials: Credentials,
) -> RegistrationState:
    """Make sure each object has its webhook; register the missing ones."""
    url = subscription_url(public_url)
    listed = {int(h["id"]): h for h in _list(client)}
    state = RegistrationState()
    for obj in objects:
        known = journal.get(_KEY + obj)
        hook = listed.get(int(known)) if known and known.isdigit() else None
        if hook is not None and hook.get("subscription_url") != url:
            _delete(client, int(hook["id"]))  # the receiver moved: follow it
            hook = None
        if hook is None or not hook.get("is_active", 1):
            hook_id = _create(client, obj, url, credentials)
            journal.put({_KEY + obj: str(hook_id)})
            state.registered.append(obj)
            state.webhooks[obj] = hook_id
            log.info("registered the %s webhook (id %s)", obj, hook_id)
            continue
        state.webhooks[obj] = int(hook["id"])
        status = hook.get("last_http_status")
        if status is not None and not 200 <= int(status) < 300:
            state.failing.append(obj)
    return state


def unregister(client: PipedriveClient, journal: Journal, objects: Iterable[str]) -> list[str]:
    """Delete this replica's webhooks; the objects whose webhook was removed."""
    removed = []
    for obj in objects:
        known = journal.get(_KEY + obj)
        if known and known.isdigit():
            with contextlib.suppress(NotFoundError):  # already gone
                _delete(client, int(known))
            removed.append(obj)
        journal.put({_KEY + obj: None})
    return removed


def _list(client: PipedriveClient) -> list[dict[str, Any]]:
    data = client.get("webhooks", version="v1").get("data") or []
    return [h for h in data if isinstance(h, dict) and "id" in h]


def _create(client: PipedriveClient, obj: str, url: str, credentials: Credentials) -> int:
    body = {
        "subscription_url": url,
        "event_action": "*",
        "event_object": obj,
        "name": f"pdsync listen: {obj}",
        "version": "2.0",
        "http_auth_user": credentials.user,
        "http_auth_password": credentials.password,
    }
    data = client.post("webhooks", version="v1", json=body).get("data") or {}
    return int(data["id"])


def _delete(client: PipedriveClient, hook_id: int) -> None:
    client.delete(f"webhooks/{hook_id}", version="v1")
