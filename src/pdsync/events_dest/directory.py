"""Find Pipedrive persons and organizations by the app's ids (userId, groupId).

The app's id lives in a custom field (``user_id_field`` / ``group_id_field``).
Lookup order: the local identity map (a hit is re-checked with a cheap GET, so a
merged or re-keyed record is never used stale), then Pipedrive's exact-match
search on custom fields, each hit checked by reading the field's value (search
matches are not proof). Found ids are remembered, saving the search next time —
search calls cost 20 tokens and have their own 10 requests / 2 s limit.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Protocol

from pdsync.errors import NotFoundError, ServerError
from pdsync.events_dest.fields import ApiClient, FieldResolver
from pdsync.events_dest.payloads import EventRejected
from pdsync.fieldmap import search_exact

MAX_SEARCH_CANDIDATES = 5


class IdentityStore(Protocol):
    def identity(self, kind: str, key: str) -> int | None: ...

    def remember_identity(self, kind: str, key: str, pipedrive_id: int | None) -> None: ...


@dataclass(frozen=True)
class Keyed:
    """One entity type keyed by an app id stored in a custom field."""

    entity: str  # "persons" | "organizations"
    kind: str  # identity-map kind: "person" | "org"
    field_setting: str  # the config key, for messages
    field_name: str | None


class Directory:
    def __init__(
        self, client: ApiClient, fields: FieldResolver, identities: IdentityStore, keyed: Keyed
    ) -> None:
        self.client = client
        self.fields = fields
        self.identities = identities
        self.keyed = keyed

    def key_field(self) -> str:
        """The custom field's key (hash) holding the app's id."""
        if not self.keyed.field_name:
            raise EventRejected(
                f"`{self.keyed.field_setting}` is not configured, so {self.keyed.entity} cannot be "
                "found by the app's id.",
                hint=f"Set `{self.keyed.field_setting}` in the events config, or send external ids.",
            )
        return self.fields.require(
            self.keyed.entity, self.keyed.field_name, self.keyed.field_setting
        ).key

    def find(self, app_id: str) -> int | None:
        key = self.key_field()
        cached = self.identities.identity(self.keyed.kind, app_id)
        if cached is not None:
            if self._holds(cached, key, app_id):
                return cached
            self.identities.remember_identity(self.keyed.kind, app_id, None)
        for candidate in self._search(app_id):
            if self._holds(candidate, key, app_id):
                self.identities.remember_identity(self.keyed.kind, app_id, candidate)
                return candidate
        return None

    def exists(self, pipedrive_id: int) -> bool:
        return self._get(pipedrive_id) is not None

    def create(self, app_id: str, body: dict[str, Any]) -> int:
        body = {
            **body,
            "custom_fields": {**body.get("custom_fields", {}), self.key_field(): app_id},
        }
        created = self.client.request("POST", self.keyed.entity, version="v2", json=body)
        new_id = int(created["data"]["id"])
        self.identities.remember_identity(self.keyed.kind, app_id, new_id)
        return new_id

    def update(self, pipedrive_id: int, body: dict[str, Any]) -> None:
        if not body:
            return
        try:
            self.client.request(
                "PATCH", f"{self.keyed.entity}/{pipedrive_id}", version="v2", json=body
            )
        except NotFoundError:
            raise EventRejected(
                f"{self.keyed.entity[:-1].capitalize()} {pipedrive_id} does not exist in Pipedrive."
            ) from None

    def rekey(self, pipedrive_id: int, old_app_id: str | None, new_app_id: str) -> None:
        self.update(pipedrive_id, {"custom_fields": {self.key_field(): new_app_id}})
        if old_app_id:
            self.identities.remember_identity(self.keyed.kind, old_app_id, None)
        self.identities.remember_identity(self.keyed.kind, new_app_id, pipedrive_id)

    def app_id(self, pipedrive_id: int) -> str | None:
        """The app's id stored on a record, or None (no such record, or no id stored)."""
        record = self._get(pipedrive_id)
        value = (record or {}).get("custom_fields", {}) or {}
        found = value.get(self.key_field()) if isinstance(value, dict) else None
        return str(found) if found not in (None, "") else None

    def remember(self, app_id: str, pipedrive_id: int) -> None:
        self.identities.remember_identity(self.keyed.kind, app_id, pipedrive_id)

    def forget(self, app_id: str) -> None:
        self.identities.remember_identity(self.keyed.kind, app_id, None)

    def _search(self, app_id: str) -> list[int]:
        path = f"{self.keyed.entity}/search"
        hits = search_exact(self.client, path, app_id, "custom_fields", most=MAX_SEARCH_CANDIDATES)
        return [int(hit["id"]) for hit in hits if hit.get("id") is not None]

    def _holds(self, pipedrive_id: int, key: str, app_id: str) -> bool:
        record = self._get(pipedrive_id)
        if record is None:
            return False
        value = (record.get("custom_fields") or {}).get(key)
        return value is not None and str(value) == app_id

    def _get(self, pipedrive_id: int) -> dict[str, Any] | None:
        try:
            data = self.client.request("GET", f"{self.keyed.entity}/{pipedrive_id}", version="v2")[
                "data"
            ]
        except NotFoundError:
            return None
        if not isinstance(data, dict):
            # A 200 without the record is an anomaly, not absence (a 404 says that): reading
            # it as "gone" would make the caller create a duplicate.
            raise ServerError(
                f"Pipedrive answered GET {self.keyed.entity}/{pipedrive_id} without the record; "
                "it is retried."
            )
        if data.get("is_deleted"):
            return None
        return data
