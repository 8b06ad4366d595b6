"""What the emulator holds, read back by plain HTTP (httpx), never through pdsync's client.

The event destination's own return value says what it *meant* to do; these reads say
what Pipedrive *has*. Lists are walked to the end (v2 cursor, v1 offset) and every
answer is checked, so a test cannot pass on a short or empty page it did not expect.
"""

from __future__ import annotations

from typing import Any

import httpx


class Readback:
    """``retries`` > 0 reads through an emulator that injects faults: an answer that is
    not a 200 with ``data`` (5xx, reset, bad JSON, ``data: null``) is asked again."""

    def __init__(self, url: str, token: str, *, retries: int = 0) -> None:
        self.http = httpx.Client(base_url=url, headers={"x-api-token": token}, timeout=10)
        self.retries = retries

    def close(self) -> None:
        self.http.close()

    def get(self, path: str, **params: Any) -> Any:
        for _ in range(self.retries):
            try:
                response = self.http.get(path, params=params)
                body = response.json()
            except (httpx.HTTPError, ValueError):
                continue
            if response.status_code == 200 and body.get("data") is not None:
                return body
        response = self.http.get(path, params=params)
        assert response.status_code == 200, f"GET {path}: {response.status_code} {response.text}"
        body = response.json()
        assert body["success"] is True, body
        return body

    def record(self, path: str) -> dict[str, Any] | None:
        """One record (``/api/v2/persons/7``), or None when it is gone (404 or deleted)."""
        response = self.http.get(path)
        if response.status_code == 404:
            return None
        assert response.status_code == 200, f"GET {path}: {response.status_code}"
        data = response.json()["data"]
        assert isinstance(data, dict), data
        return None if data.get("is_deleted") else data

    def all_v2(self, path: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        cursor: str | None = None
        while True:
            page = self.get(path, limit=500, **params, **({"cursor": cursor} if cursor else {}))
            assert isinstance(page["data"], list), page
            found += page["data"]
            cursor = (page.get("additional_data") or {}).get("next_cursor")
            if not cursor:
                return found

    def all_v1(self, path: str, **params: Any) -> list[dict[str, Any]]:
        found: list[dict[str, Any]] = []
        start = 0
        while True:
            page = self.get(path, start=start, limit=500, **params)
            assert isinstance(page["data"], list), page
            found += page["data"]
            more = (page.get("additional_data") or {}).get("pagination") or {}
            if not more.get("more_items_in_collection"):
                return found
            start = int(more["next_start"])

    def field_key(self, fields_path: str, name: str) -> str:
        """The key (hash) of the custom field called ``name`` (``personFields``, …)."""
        for item in self.all_v2(f"/api/v2/{fields_path}"):
            if item["field_name"] == name:
                return str(item["field_code"])
        raise AssertionError(f"no field {name!r} in {fields_path}")

    def persons_with(self, key: str, value: str) -> list[dict[str, Any]]:
        """Every live person whose custom field ``key`` holds ``value`` (a full scan)."""
        return [
            p
            for p in self.all_v2("/api/v2/persons")
            if str((p.get("custom_fields") or {}).get(key)) == value
        ]

    def orgs_with(self, key: str, value: str) -> list[dict[str, Any]]:
        return [
            o
            for o in self.all_v2("/api/v2/organizations")
            if str((o.get("custom_fields") or {}).get(key)) == value
        ]

    def person(self, person_id: int) -> dict[str, Any] | None:
        return self.record(f"/api/v2/persons/{person_id}")

    def org(self, org_id: int) -> dict[str, Any] | None:
        return self.record(f"/api/v2/organizations/{org_id}")

    def leads_of(self, person_id: int) -> list[dict[str, Any]]:
        return self.all_v1("/api/v1/leads", person_id=person_id)

    def deals_of(self, person_id: int) -> list[dict[str, Any]]:
        return self.all_v2("/api/v2/deals", person_id=person_id)

    def activities_of(self, person_id: int) -> list[dict[str, Any]]:
        return self.all_v2("/api/v2/activities", person_id=person_id)

    def notes_of(self, person_id: int) -> list[dict[str, Any]]:
        return self.all_v1("/api/v1/notes", person_id=person_id)

    def faults_injected(self) -> int:
        stats = self.http.get("/_emulator/stats").json()
        return sum((stats.get("faults_injected") or {}).values())
