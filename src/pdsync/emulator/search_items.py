"""The ``item`` of a search result: a short summary whose shape differs from the entity.

Shapes follow the v2 spec's search responses: nested ``owner``/``person``/
``organization``/``stage`` objects with id and name, plain lists of email and phone
strings, and ``custom_fields``/``notes`` as the texts that matched.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from pdsync.emulator.search import Hit
from pdsync.emulator.search_index import value_text

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

Record = dict[str, Any]
# include_fields= values each endpoint accepts (v2 spec) -> key added to the item.
INCLUDE_FIELDS = {
    "person": {"person.picture": "picture"},
    "deal": {"deal.cc_email": "cc_email"},
    "product": {"product.price": "price"},
    "lead": {"lead.was_seen": "was_seen"},
    "organization": {},
}


def _values(entries: Any) -> list[str]:
    return [str(e["value"]) for e in entries or [] if isinstance(e, dict) and e.get("value")]


def _visible_to(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


class ItemRenderer:
    def __init__(self, store: Store) -> None:
        self.store = store

    def render(
        self, entity: str, record: Record, hit: Hit, include: frozenset[str] = frozenset()
    ) -> Record:
        item: Record = getattr(self, f"_{entity}")(record, hit)
        for option in include:
            key = INCLUDE_FIELDS[entity].get(option)
            if key is not None:
                item[key] = self._included(entity, key, record)
        return {"result_score": round(hit.score, 5), "item": item}

    def _head(self, entity: str, record: Record) -> Record:
        return {"id": record["id"], "type": entity}

    def _owner(self, record: Record) -> Record:
        return {"id": record.get("owner_id") or record.get("creator_id") or 1}

    def _person_ref(self, person_id: Any) -> Record | None:
        person = self.store.get("person", person_id) if person_id else None
        return {"id": person["id"], "name": person.get("name")} if person else None

    def _org_ref(self, org_id: Any) -> Record | None:
        org = self.store.get("organization", org_id) if org_id else None
        if org is None:
            return None
        return {"id": org["id"], "name": org.get("name"), "address": value_text(org.get("address"))}

    def _person(self, record: Record, hit: Hit) -> Record:
        return {
            **self._head("person", record),
            "name": record.get("name"),
            "phones": _values(record.get("phones")),
            "emails": _values(record.get("emails")),
            "visible_to": _visible_to(record.get("visible_to")),
            "owner": self._owner(record),
            "organization": self._org_ref(record.get("org_id")),
            "custom_fields": hit.custom_fields,
            "notes": hit.notes,
        }

    def _organization(self, record: Record, hit: Hit) -> Record:
        return {
            **self._head("organization", record),
            "name": record.get("name"),
            "address": value_text(record.get("address")),
            "visible_to": _visible_to(record.get("visible_to")),
            "owner": self._owner(record),
            "custom_fields": hit.custom_fields,
            "notes": hit.notes,
        }

    def _deal(self, record: Record, hit: Hit) -> Record:
        stage = self.store.get("stage", record.get("stage_id"))
        return {
            **self._head("deal", record),
            "title": record.get("title"),
            "value": record.get("value"),
            "currency": record.get("currency"),
            "status": record.get("status"),
            "visible_to": _visible_to(record.get("visible_to")),
            "owner": self._owner(record),
            "stage": {"id": stage["id"], "name": stage["name"]} if stage else None,
            "person": self._person_ref(record.get("person_id")),
            "organization": self._org_ref(record.get("org_id")),
            "custom_fields": hit.custom_fields,
            "notes": hit.notes,
            "is_archived": bool(record.get("is_archived")),
        }

    def _product(self, record: Record, hit: Hit) -> Record:
        return {
            **self._head("product", record),
            "name": record.get("name"),
            "code": record.get("code"),
            "visible_to": _visible_to(record.get("visible_to")),
            "owner": self._owner(record),
            "custom_fields": hit.custom_fields,
        }

    def _lead(self, record: Record, hit: Hit) -> Record:
        person = self.store.get("person", record["person_id"]) if record.get("person_id") else None
        value = record.get("value") or {}
        return {
            **self._head("lead", record),
            "title": record.get("title"),
            "owner": self._owner(record),
            "person": self._person_ref(record.get("person_id")),
            "organization": self._org_ref(record.get("organization_id")),
            "phones": _values((person or {}).get("phones")),
            "emails": _values((person or {}).get("emails")),
            "custom_fields": hit.custom_fields,
            "notes": hit.notes,
            "value": value.get("amount"),
            "currency": value.get("currency"),
            "visible_to": _visible_to(record.get("visible_to")),
            "is_archived": bool(record.get("is_archived")),
        }

    def _included(self, entity: str, key: str, record: Record) -> Any:
        if key == "cc_email":
            return (
                record.get("cc_email")
                or f"{self.store.config.company_domain}+deal{record['id']}@pipedrivemail.com"
            )
        if key == "price":
            prices = record.get("prices") or []
            return prices[0].get("price") if prices else None
        if key == "was_seen":
            return bool(record.get("was_seen"))
        return record.get("picture_id")
