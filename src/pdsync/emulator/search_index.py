"""Text indexes for search: the searchable values of generated records, built lazily.

Generated records never change, so one pass over an entity's generated records builds
the index of every searchable field at once (about 30 µs a record: ~3 s for the 100,000
persons of a medium account, once). Written records live in the overlay and are matched
live by the searcher, which skips the stale index entries of overlaid records.

An index entry is ``(text, owner, source, tag)``: the lower-cased text, the generated
index of the record it belongs to, the generated index of the record it came from (a
note, for the ``notes`` field; else the owner itself) and, for custom fields, the
field's key.
"""

from __future__ import annotations

import re
import threading
from array import array
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

from pdsync.emulator.fields import FieldDef

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]

# The ``fields=`` each search endpoint accepts (v2 spec), in its default order.
SEARCH_FIELDS: dict[str, tuple[str, ...]] = {
    "person": ("name", "email", "phone", "notes", "custom_fields"),
    "organization": ("name", "address", "notes", "custom_fields"),
    "deal": ("title", "notes", "custom_fields"),
    "product": ("name", "code", "custom_fields"),
    "lead": ("title", "notes", "custom_fields"),
}
# Custom field types Pipedrive's search looks into (free text, numbers, phones, addresses).
SEARCHABLE_TYPES = frozenset(
    {"varchar", "varchar_auto", "text", "double", "monetary", "phone", "address"}
)
# Which parent key of a note points at each searchable entity.
NOTE_PARENT = {"person": "person_id", "organization": "org_id", "deal": "deal_id",
               "lead": "lead_id"}  # fmt: skip
_BLOCK_TAGS = re.compile(r"</?(?:p|br|li|ul|ol|div|h\d)\b[^>]*>", re.IGNORECASE)
_TAGS = re.compile(r"<[^>]+>")


def plain_text(html: str) -> str:
    """Note content without its HTML tags, as search shows it."""
    return " ".join(_TAGS.sub("", _BLOCK_TAGS.sub(" ", html)).split())


def custom_fields_of(entity: str) -> str:
    """Leads carry the deal custom fields."""
    return "deal" if entity == "lead" else entity


def value_text(value: Any) -> str | None:
    """The searchable text of a custom or address value."""
    if value is None or value == "":
        return None
    if isinstance(value, dict):
        inner = value.get("value")
        return None if inner is None else value_text(inner)
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


def record_texts(
    entity: str, record: Record, name: str, fields: list[FieldDef]
) -> Iterator[tuple[str, str | None]]:
    """``(original text, custom field key)`` of one record's values in search field ``name``."""
    if name in ("name", "title", "code"):
        text = record.get(name)
        if text:
            yield str(text), None
    elif name in ("email", "phone"):
        for entry in record.get(name + "s") or []:
            if isinstance(entry, dict) and entry.get("value"):
                yield str(entry["value"]), None
    elif name == "address":
        text = value_text(record.get("address"))
        if text:
            yield text, None
    elif name == "custom_fields":
        values = record.get("custom_fields") or {}
        for fdef in fields:
            if fdef.is_custom and not fdef.is_deleted and fdef.field_type in SEARCHABLE_TYPES:
                text = value_text(values.get(fdef.key))
                if text:
                    yield text, fdef.key


@dataclass
class FieldIndex:
    texts: list[str] = field(default_factory=list)
    owners: array[int] = field(default_factory=lambda: array("I"))
    sources: array[int] = field(default_factory=lambda: array("I"))
    tags: list[str | None] = field(default_factory=list)
    originals: list[str] = field(default_factory=list)
    _exact: dict[str, list[int]] | None = None

    def add(self, text: str, owner: int, source: int, tag: str | None) -> None:
        self.texts.append(text.lower())
        self.originals.append(text)
        self.owners.append(owner)
        self.sources.append(source)
        self.tags.append(tag)

    def positions(self, term: str, exact: bool) -> list[int]:
        """Entry positions whose text equals (exact) or contains ``term`` (lower-cased)."""
        if exact:
            if self._exact is None:
                table: dict[str, list[int]] = {}
                for pos, text in enumerate(self.texts):
                    table.setdefault(text, []).append(pos)
                self._exact = table
            return self._exact.get(term, [])
        return [pos for pos, text in enumerate(self.texts) if term in text]


class SearchIndexes:
    """``(entity, search field) -> FieldIndex`` over generated records, built on first use."""

    def __init__(self, store: Store) -> None:
        self.store = store
        self._built: dict[str, dict[str, FieldIndex]] = {}
        self._lock = threading.Lock()

    def get(self, entity: str, name: str) -> FieldIndex:
        indexes = self._built.get(entity)
        if indexes is None:
            with self._lock:
                indexes = self._built.get(entity)
                if indexes is None:
                    indexes = self._build(entity)
                    self._built[entity] = indexes
        return indexes[name]

    def _build(self, entity: str) -> dict[str, FieldIndex]:
        names = SEARCH_FIELDS[entity]
        indexes = {name: FieldIndex() for name in names}
        store = self.store
        fields = store.fields.get(custom_fields_of(entity), [])
        direct = [n for n in names if n != "notes"]
        for i in range(1, store.table(entity).base_count + 1):
            record = store.generator.make(entity, i)
            for name in direct:
                for text, tag in record_texts(entity, record, name, fields):
                    indexes[name].add(text, i, i, tag)
        if "notes" in indexes:
            self._index_notes(entity, indexes["notes"])
        return indexes

    def _index_notes(self, entity: str, index: FieldIndex) -> None:
        store = self.store
        parent_key = NOTE_PARENT[entity]
        for n in range(1, store.table("note").base_count + 1):
            note = store.generator.make("note", n)
            owner = note.get(parent_key)
            if isinstance(owner, int) and note.get("active_flag", True):
                index.add(plain_text(note["content"]), owner, n, None)
