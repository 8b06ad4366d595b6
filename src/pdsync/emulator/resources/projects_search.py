"""``GET /api/v2/projects/search``: projects by title, description, notes and custom fields.

Matching and scores follow the other v2 searches (:mod:`pdsync.emulator.search`): case-
insensitive, whole value 1.0, prefix 0.6, elsewhere 0.3, plus a small bonus for the field
order. The texts of generated projects are indexed once, on the first search; written
projects and notes are matched live. Deleted projects are never found.
"""

from __future__ import annotations

import threading
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.projects_layout import DELETED
from pdsync.emulator.resources.common import Record, bool_arg, count_records, int_arg, limit_arg, ok
from pdsync.emulator.resources.search_api import list_arg, next_cursor, offset_cursor, term_arg
from pdsync.emulator.search import Hit, score_of
from pdsync.emulator.search_index import plain_text, record_texts

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

FIELDS = ("title", "description", "notes", "custom_fields")
Texts = dict[str, list[tuple[str, str | None]]]  # search field -> (text, custom field key)


def register(router: Router, store: Store) -> None:
    router.add("GET", "/api/v2/projects/search", _search(ProjectSearch(store)))


class ProjectSearch:
    def __init__(self, store: Store) -> None:
        self.store = store
        self._generated: list[Texts] | None = None
        self._lock = threading.Lock()

    def texts(self, record: Record) -> Texts:
        fields = self.store.fields["project"]
        return {
            "title": [(record["title"], None)] if record.get("title") else [],
            "description": [(record["description"], None)] if record.get("description") else [],
            "custom_fields": list(record_texts("project", record, "custom_fields", fields)),
        }

    def generated(self) -> list[Texts]:
        """Texts of every generated project (index 0 unused), built once."""
        if self._generated is None:
            with self._lock:
                if self._generated is None:
                    make = self.store.generator.make
                    count = self.store.tables["project"].base_count
                    self._generated = [{}] + [self.texts(make("project", i)) for i in range(1, count + 1)]  # fmt: skip
        return self._generated

    def search(self, term: str, fields: tuple[str, ...], exact: bool, filters: Record) -> list[Hit]:
        store, table = self.store, self.store.tables["project"]
        flags = store.projects.layout.project_columns().flags
        live_keys = {f.key for f in store.fields["project"] if f.is_custom and not f.is_deleted}
        term = term.lower()
        hits: dict[int, Hit] = {}
        sources: list[tuple[int, Texts]] = [
            (i, texts) for i, texts in enumerate(self.generated())
            if i and i not in table.overlay and not flags[i] & DELETED
        ]  # fmt: skip
        sources += [(i, self.texts(r)) for i, r in table.overlay.items() if not r.get("is_deleted")]
        notes = self._notes() if "notes" in fields else {}
        for rank, name in enumerate(fields):
            bonus = (len(FIELDS) - rank) * 0.001
            for i, texts in sources:
                found = notes.get(i, []) if name == "notes" else texts.get(name, [])
                for text, tag in found:
                    if tag is not None and tag not in live_keys:
                        continue
                    score = score_of(text.lower(), term, exact)
                    if score:
                        hits.setdefault(i, Hit(i)).take(name, text, score + bonus)
        matched = [h for h in hits.values() if self._passes(h.index, filters)]
        return sorted(matched, key=lambda h: (-h.score, h.index))

    def _notes(self) -> dict[int, list[tuple[str, str | None]]]:
        """Texts of the live notes on projects, by project id (generated notes have none)."""
        found: dict[int, list[tuple[str, str | None]]] = {}
        for note in list(self.store.tables["note"].overlay.values()):
            project = note.get("project_id")
            if isinstance(project, int) and note.get("active_flag") is not False:
                found.setdefault(project, []).append((plain_text(note.get("content") or ""), None))
        return found

    def _passes(self, index: int, filters: Record) -> bool:
        if not filters:
            return True
        record = self.store.get("project", index, custom=False) or {}
        return all(value in (record.get(key) or []) for key, value in filters.items())

    def item(self, hit: Hit) -> Record:
        store = self.store
        record = store.get("project", hit.index) or {}
        phase = store.tables["phase"].overlay.get(record.get("phase_id") or 0)
        person = _first(store, "person", record.get("person_ids"))
        org = _first(store, "organization", record.get("org_ids"))
        deal = _first(store, "deal", record.get("deal_ids"))
        address = (org or {}).get("address") or {}
        return {
            "result_score": round(hit.score, 5),
            "item": {
                "id": record["id"], "type": "project", "title": record.get("title"),
                "status": "deleted" if record.get("is_deleted") else record.get("status"),
                "owner": {"id": record.get("owner_id")}, "board_id": record.get("board_id"),
                "phase": {"id": phase["id"], "name": phase["name"]} if phase else None,
                "person": {"id": person["id"], "name": person.get("name")} if person else None,
                "organization": {"id": org["id"], "name": org.get("name"),
                                 "address": address.get("value")} if org else None,
                "deal": {"id": deal["id"], "title": deal.get("title")} if deal else None,
                "deal_count": len(record.get("deal_ids") or []),
                "description": record.get("description"), "end_date": record.get("end_date"),
                "custom_fields": hit.custom_fields, "notes": hit.notes,
            },
        }  # fmt: skip


def _first(store: Store, entity: str, ids: Any) -> Record | None:
    if not ids:
        return None
    return store.get(entity, ids[0], custom=False)


def _search(searcher: ProjectSearch) -> Any:
    def handle(req: Request) -> Response:
        exact = bool_arg(req, "exact_match")
        term = term_arg(req, exact)
        fields = list_arg(req, "fields", FIELDS) or FIELDS
        filters: Record = {}
        for param, key in (("person_id", "person_ids"), ("organization_id", "org_ids")):
            value = int_arg(req, param, minimum=1)
            if value is not None:
                filters[key] = value
        limit, offset = limit_arg(req), offset_cursor(req)
        hits = searcher.search(term, fields, exact, filters)
        rows = hits[offset : offset + limit]
        count_records(req, len(rows))
        return ok({"items": [searcher.item(h) for h in rows]}, {"next_cursor": next_cursor(offset, limit, len(hits))})  # fmt: skip

    return handle
