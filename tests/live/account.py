"""Test helpers: writes to an emulated account, a plain listing of it, and the replica to compare.

The listing here is written for the tests, with httpx alone: it shares no code with
pdsync's reader or normalisation, so a misunderstanding of the API cannot pass on both
sides at once.
"""

from __future__ import annotations

import random
import sqlite3
from collections.abc import Iterator
from datetime import datetime, timezone
from typing import Any

import httpx

# stream -> (list path, version, the field compared besides update_time)
STREAMS: dict[str, tuple[str, str, str]] = {
    "deals": ("/api/v2/deals", "v2", "title"),
    "persons": ("/api/v2/persons", "v2", "name"),
    "organizations": ("/api/v2/organizations", "v2", "name"),
    "activities": ("/api/v2/activities", "v2", "subject"),
    "products": ("/api/v2/products", "v2", "name"),
    "leads": ("/api/v1/leads", "v1", "title"),
}
CREATE: dict[str, tuple[str, str]] = {
    "deals": ("/api/v2/deals", "title"),
    "persons": ("/api/v2/persons", "name"),
    "organizations": ("/api/v2/organizations", "name"),
    "activities": ("/api/v2/activities", "subject"),
    "products": ("/api/v2/products", "name"),
    "leads": ("/api/v1/leads", "title"),
}


def second(text: Any) -> str:
    """Any ISO timestamp as whole UTC seconds (listings and replica differ in format)."""
    value = str(text).replace(" ", "T")
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    parsed = datetime.fromisoformat(value)
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=timezone.utc)
    return parsed.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%S")


def listing(api: httpx.Client, stream: str) -> dict[Any, tuple[str, Any]]:
    """id -> (update_time, compared field) of every live record, page by page."""
    path, version, name = STREAMS[stream]
    out: dict[Any, tuple[str, Any]] = {}
    for record in _pages(api, path, version, stream):
        if record.get("is_deleted") or record.get("status") == "deleted":
            continue
        out[record["id"]] = (second(record["update_time"]), record.get(name))
    return out


def _pages(api: httpx.Client, path: str, version: str, stream: str) -> Iterator[dict[str, Any]]:
    params: dict[str, Any] = {"limit": 500}
    if stream == "deals":
        params["status"] = "open,won,lost"
    start, cursor = 0, None
    while True:
        query = dict(params)
        if version == "v2" and cursor:
            query["cursor"] = cursor
        if version == "v1":
            query["start"] = start
        body = api.get(path, params=query).raise_for_status().json()
        data = body.get("data") or []
        yield from data
        extra = body.get("additional_data") or {}
        if version == "v2":
            cursor = extra.get("next_cursor")
            if not cursor:
                return
        else:
            pagination = extra.get("pagination") or {}
            if not pagination.get("more_items_in_collection"):
                return
            start = pagination.get("next_start", start + len(data))


def replica(path: str, stream: str) -> dict[Any, tuple[str, Any]]:
    """The same view of the replica's table: live rows only."""
    name = STREAMS[stream][2]
    with sqlite3.connect(path) as conn:
        rows = conn.execute(
            f'SELECT id, update_time, "{name}" FROM "{stream}" WHERE _pdsync_deleted_at IS NULL'
        ).fetchall()
    return {key: (second(stamp), value) for key, stamp, value in rows}


def differences(
    api: httpx.Client, path: str, streams: tuple[str, ...] = tuple(STREAMS)
) -> dict[str, int]:
    """stream -> number of records that differ between the account and the replica."""
    out = {}
    for stream in streams:
        want, got = listing(api, stream), replica(path, stream)
        diff = {k for k in want.keys() | got.keys() if want.get(k) != got.get(k)}
        if diff:
            out[stream] = len(diff)
    return out


class Writer:
    """Creates, changes and deletes records across the six objects, from a seed."""

    def __init__(self, api: httpx.Client, seed: int) -> None:
        self.api = api
        self.rng = random.Random(seed)
        self.ids: dict[str, list[Any]] = {s: [] for s in CREATE}
        self.done = 0

    def one(self) -> None:
        stream = self.rng.choice(list(CREATE))
        known = self.ids[stream]
        action = self.rng.random()
        if len(known) < 3 or action < 0.4:
            self.create(stream)
        elif action < 0.85:
            self.change(stream, self.rng.choice(known))
        else:
            self.delete(stream, known.pop(self.rng.randrange(len(known))))
        self.done += 1

    def _path(self, stream: str, key: Any = None) -> str:
        path = CREATE[stream][0]
        return path if key is None else f"{path}/{key}"

    def create(self, stream: str) -> None:
        name = CREATE[stream][1]
        body: dict[str, Any] = {name: f"{stream} {self.rng.randrange(10**6)}"}
        if stream == "leads":
            body["person_id"] = 1
        data = self.api.post(self._path(stream), json=body).raise_for_status().json()["data"]
        self.ids[stream].append(data["id"])

    def change(self, stream: str, key: Any, custom: dict[str, Any] | None = None) -> None:
        name = CREATE[stream][1]
        body: dict[str, Any] = {name: f"changed {self.rng.randrange(10**6)}"}
        if custom:
            body["custom_fields"] = custom
        method = "PATCH"
        self.api.request(method, self._path(stream, key), json=body).raise_for_status()

    def delete(self, stream: str, key: Any) -> None:
        self.api.delete(self._path(stream, key)).raise_for_status()
