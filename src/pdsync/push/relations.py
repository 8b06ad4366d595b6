"""Relations by natural key: organization by name, person by email, owner by user email,
pipeline and stage by name, deal and lead by title, product by code or name.

Every answer is cached for the whole push, so a file of 10,000 deals for 40
organizations costs 40 searches, not 10,000. Users, pipelines, stages and lead labels
are small lists loaded once. A name that matches two records is a row error, never a
guess. With ``create_missing`` an unknown organization is created (once).
"""

from __future__ import annotations

import re
from typing import Any

from pdsync.push.api import PushClient, Version, data_of, list_records, search_exact
from pdsync.push.replica import Replica
from pdsync.push.values import RowError

_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$", re.I)

# kind -> (search path, search fields, replica table, replica column, noun for messages)
_SEARCHES: dict[str, tuple[str, str, str, str, str]] = {
    "org": ("organizations/search", "name", "organizations", "name", "organization"),
    "people": ("persons/search", "email", "persons", "primary_email", "person"),
    "deal": ("deals/search", "title", "deals", "title", "deal"),
    "lead": ("leads/search", "title", "leads", "title", "lead"),
    "product": ("products/search", "code", "products", "code", "product"),
}


class RelationLookups:
    """Implements :class:`pdsync.push.convert.Lookups` against the API (and a replica)."""

    def __init__(
        self,
        client: PushClient,
        *,
        replica: Replica | None = None,
        create_missing: bool = False,
        dry_run: bool = False,
    ) -> None:
        self.client = client
        self.replica = replica
        self.create_missing = create_missing
        self.dry_run = dry_run
        self._cache: dict[tuple[str, str, int | None], Any] = {}
        self._lists: dict[str, list[dict[str, Any]]] = {}

    def find(self, kind: str, value: Any, *, pipeline_id: int | None = None) -> Any:
        if isinstance(value, bool):
            raise RowError(f"{value!r} does not name a {kind}")
        text = str(value).strip()
        if kind == "user" and text.isdigit():
            return self._user_id(int(text))  # the list is loaded anyway: check the id
        if _is_id(kind, text):
            return int(text) if text.isdigit() else text
        key = (kind, text.lower(), pipeline_id)
        if key not in self._cache:
            self._cache[key] = self._lookup(kind, text, pipeline_id)
        return self._cache[key]

    def _lookup(self, kind: str, text: str, pipeline_id: int | None) -> Any:
        if kind == "user":
            return self._user(text)
        if kind == "pipeline":
            return self._in_list("pipeline", "pipelines", "v2", text)
        if kind == "stage":
            return self._stage(text, pipeline_id)
        if kind == "lead_label":
            return self._in_list("lead label", "leadLabels", "v1", text)
        if kind == "people" and "@" not in text:
            return self._search("people", text, fields="name")
        if kind == "product":
            return self._product(text)
        return self._search(kind, text)

    def _search(self, kind: str, text: str, fields: str | None = None) -> Any:
        path, default_fields, table, column, noun = _SEARCHES[kind]
        fields = fields or default_fields
        if fields == "name" and kind == "people":
            column = "name"
        if self.replica is not None and self.replica.has(table, column):
            ids = self.replica.find_ids(table, column, text)
        else:
            ids = [item["id"] for item in search_exact(self.client, path, text, fields)]
        ids = list(dict.fromkeys(ids))
        if len(ids) > 1:
            shown = ", ".join(str(i) for i in ids[:5])
            raise RowError(f"{noun} {text!r} is ambiguous: {len(ids)} match (ids {shown})")
        if ids:
            return ids[0]
        if kind == "org" and self.create_missing:
            return self._create_org(text)
        hint = " (pass --create-missing to create it)" if kind == "org" else ""
        raise RowError(f"no {noun} named {text!r}{hint}")

    def _create_org(self, name: str) -> Any:
        if self.dry_run:
            return f"(new organization {name!r})"
        created = data_of(self.client.request("POST", "organizations", json={"name": name}))
        return created["id"]

    def _product(self, text: str) -> Any:
        try:
            return self._search("product", text)
        except RowError:
            return self._search("product", text, fields="name")

    def _user(self, text: str) -> Any:
        users = self._list("users", "v1")
        field = "email" if "@" in text else "name"
        ids = [u["id"] for u in users if str(u.get(field, "")).strip().lower() == text.lower()]
        return _one(ids, "user", text, [str(u.get("email")) for u in users if u.get("email")])

    def _user_id(self, user_id: int) -> int:
        if any(u.get("id") == user_id for u in self._list("users", "v1")):
            return user_id
        raise RowError(f"no user #{user_id} in this company")

    def _stage(self, text: str, pipeline_id: int | None) -> Any:
        stages = self._list("stages", "v2")
        ids = [
            s["id"]
            for s in stages
            if str(s.get("name", "")).strip().lower() == text.lower()
            and (pipeline_id is None or s.get("pipeline_id") == pipeline_id)
        ]
        if len(ids) > 1 and pipeline_id is None:
            raise RowError(
                f"stage {text!r} exists in several pipelines; add a pipeline column to choose"
            )
        return _one(ids, "stage", text, [str(s.get("name")) for s in stages])

    def _in_list(self, noun: str, path: str, version: Version, text: str) -> Any:
        items = self._list(path, version)
        ids = [i["id"] for i in items if str(i.get("name", "")).strip().lower() == text.lower()]
        return _one(ids, noun, text, [str(i.get("name")) for i in items])

    def _list(self, path: str, version: Version) -> list[dict[str, Any]]:
        if path not in self._lists:
            if version == "v1" and path in ("users", "leadLabels"):
                loaded = data_of(self.client.request("GET", path, version="v1")) or []
            else:
                loaded = list(list_records(self.client, path, version))
            self._lists[path] = [item for item in loaded if isinstance(item, dict)]
        return self._lists[path]


def _is_id(kind: str, text: str) -> bool:
    if kind in ("lead", "lead_label"):
        return bool(_UUID.match(text))
    return text.isdigit()


def _one(ids: list[Any], noun: str, text: str, known: list[str]) -> Any:
    if len(ids) == 1:
        return ids[0]
    if ids:
        raise RowError(f"{noun} {text!r} is ambiguous: {len(ids)} match")
    sample = ", ".join(sorted(set(known))[:10])
    raise RowError(f"no {noun} named {text!r}" + (f"; known: {sample}" if sample else ""))
