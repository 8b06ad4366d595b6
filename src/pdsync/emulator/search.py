"""Search one entity: term, fields, exact match, entity filters; results ranked by score.

Matching is case-insensitive. ``exact_match`` needs a whole value to equal the term
(so a custom "user id" field finds exactly its record); otherwise the term may appear
anywhere in a value. Scores: whole value 1.0, value starts with the term 0.6, term
elsewhere 0.3, with a small bonus for the field order of the endpoint (name/title
first). Deleted records (and deleted notes) are never found.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pdsync.emulator.search_index import (
    NOTE_PARENT,
    SEARCH_FIELDS,
    SearchIndexes,
    custom_fields_of,
    plain_text,
    record_texts,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]


@dataclass
class Hit:
    """One found record: its store index, score, and the custom/note texts that matched."""

    index: int
    score: float = 0.0
    custom_fields: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def take(self, name: str, original: str, score: float) -> None:
        self.score = max(self.score, score)
        if name == "custom_fields" and original not in self.custom_fields:
            self.custom_fields.append(original)
        elif name == "notes" and original not in self.notes:
            self.notes.append(original)


@dataclass(frozen=True)
class SearchQuery:
    entity: str
    term: str
    fields: tuple[str, ...]
    exact: bool = False
    filters: dict[str, Any] = field(default_factory=dict)  # record key -> required value
    custom_key: str | None = None  # only this custom field (``/itemSearch/field``)


def score_of(text: str, term: str, exact: bool) -> float:
    """0 when ``text`` (lower-cased) does not match ``term`` (lower-cased)."""
    if text == term:
        return 1.0
    if exact:
        return 0.0
    if text.startswith(term):
        return 0.6
    return 0.3 if term in text else 0.0


class Searcher:
    def __init__(self, store: Store) -> None:
        self.store = store
        self.indexes = SearchIndexes(store)

    def search(self, query: SearchQuery) -> list[Hit]:
        """Every match, best first (ties by id). Generated records are checked against the
        columns only, so a broad search never generates records it will not show."""
        hits: dict[int, Hit] = {}
        term = query.term.lower()
        live_keys = self._live_custom_keys(query.entity)
        if query.custom_key is not None:
            live_keys &= {query.custom_key}
        for rank, name in enumerate(query.fields):
            bonus = (len(SEARCH_FIELDS[query.entity]) - rank) * 0.001
            self._search_generated(query, name, term, bonus, live_keys, hits)
            self._search_written(query, name, term, bonus, hits)
        overlay = self.store.table(query.entity).overlay
        found = [
            hit
            for hit in hits.values()
            if (hit.index not in overlay and not query.filters) or self._visible(query, hit.index)
        ]
        found.sort(key=lambda hit: (-hit.score, hit.index))
        return found

    def record(self, entity: str, index: int) -> Record:
        record = self.store.table(entity).overlay.get(index)
        return record if record is not None else self.store.generator.make(entity, index)

    def _live_custom_keys(self, entity: str) -> frozenset[str]:
        fields = self.store.fields.get(custom_fields_of(entity), [])
        return frozenset(f.key for f in fields if f.is_custom and not f.is_deleted)

    @staticmethod
    def _wanted_tag(query: SearchQuery, tag: str | None) -> bool:
        return query.custom_key is None or tag is None or tag == query.custom_key

    def _search_generated(
        self,
        query: SearchQuery,
        name: str,
        term: str,
        bonus: float,
        live_keys: frozenset[str],
        hits: dict[int, Hit],
    ) -> None:
        index = self.indexes.get(query.entity, name)
        source_overlay = self.store.table("note" if name == "notes" else query.entity).overlay
        owner_gone = self._generated_deleted(query.entity)
        for pos in index.positions(term, query.exact):
            owner, source, tag = index.owners[pos], index.sources[pos], index.tags[pos]
            if source in source_overlay or (tag is not None and tag not in live_keys):
                continue  # stale: the written record (or field) is matched live instead
            if owner_gone(owner):
                continue
            score = score_of(index.texts[pos], term, query.exact) + bonus
            hits.setdefault(owner, Hit(owner)).take(name, index.originals[pos], score)

    def _generated_deleted(self, entity: str) -> Callable[[int], bool]:
        if entity == "lead":
            return lambda i: False
        cols = self.store.columns.get(entity)
        return cols.is_deleted

    def _search_written(
        self, query: SearchQuery, name: str, term: str, bonus: float, hits: dict[int, Hit]
    ) -> None:
        store = self.store
        if name == "notes":
            self._search_written_notes(query, term, bonus, hits)
            return
        fields = store.fields.get(custom_fields_of(query.entity), [])
        for index, record in list(store.table(query.entity).overlay.items()):
            for text, tag in record_texts(query.entity, record, name, fields):
                if not self._wanted_tag(query, tag):
                    continue
                score = score_of(text.lower(), term, query.exact)
                if score:
                    hits.setdefault(index, Hit(index)).take(name, text, score + bonus)

    def _search_written_notes(
        self, query: SearchQuery, term: str, bonus: float, hits: dict[int, Hit]
    ) -> None:
        parent_key = NOTE_PARENT[query.entity]
        for note in list(self.store.table("note").overlay.values()):
            parent = note.get(parent_key)
            if parent is None or note.get("active_flag") is False:
                continue
            text = plain_text(note.get("content") or "")
            score = score_of(text.lower(), term, query.exact)
            index = self.store.index_of(query.entity, parent)
            if score and index is not None and self.store.get(query.entity, parent) is not None:
                hits.setdefault(index, Hit(index)).take("notes", text, score + bonus)

    def _visible(self, query: SearchQuery, index: int) -> bool:
        record = self.record(query.entity, index)
        if self.store.is_deleted(query.entity, record):
            return False
        return all(record.get(key) == value for key, value in query.filters.items())
