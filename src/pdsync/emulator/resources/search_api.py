"""v2 search: ``/{persons|organizations|deals|leads|products}/search``, ``/itemSearch``
and ``/itemSearch/field``.

The cursor is an opaque offset into the ranked result list (results are ranked by
score, so there is no natural key to resume from, as with the real API).
"""

from __future__ import annotations

import base64
import json
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import (
    ApiProblem,
    bool_arg,
    count_records,
    int_arg,
    limit_arg,
    ok,
)
from pdsync.emulator.search import Hit, Searcher, SearchQuery
from pdsync.emulator.search_index import SEARCH_FIELDS, custom_fields_of, record_texts
from pdsync.emulator.search_items import INCLUDE_FIELDS, ItemRenderer

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

PATHS = {"persons": "person", "organizations": "organization", "deals": "deal",
         "leads": "lead", "products": "product"}  # fmt: skip
# Entity filters of each endpoint: query parameter -> record key.
FILTERS = {
    "person": {"organization_id": "org_id"},
    "deal": {"person_id": "person_id", "organization_id": "org_id"},
    "lead": {"person_id": "person_id", "organization_id": "organization_id"},
}
ITEM_TYPES = ("deal", "person", "organization", "product", "lead", "file", "mail_attachment",
              "project")  # fmt: skip
ITEM_SEARCH_FIELDS = ("address", "code", "custom_fields", "email", "name", "notes", "phone",
                      "title", "description")  # fmt: skip
ITEM_SEARCH_LIMIT = 100


def register(router: Router, store: Store) -> None:
    searcher = Searcher(store)
    items = ItemRenderer(store)
    for path, entity in PATHS.items():
        router.add("GET", f"/api/v2/{path}/search", _entity_search(searcher, items, entity))
    router.add("GET", "/api/v2/itemSearch", _item_search(searcher, items))
    router.add("GET", "/api/v2/itemSearch/field", _field_search(searcher))


def term_arg(req: Request, exact: bool) -> str:
    term = (req.arg("term") or "").strip()
    if not term:
        raise ApiProblem(400, "The 'term' parameter is required")
    if len(term) < 2 and not exact:
        raise ApiProblem(400, "The search term must be at least 2 characters long (or 1 with exact_match=true)")  # fmt: skip
    return term


def list_arg(req: Request, name: str, allowed: tuple[str, ...]) -> tuple[str, ...] | None:
    raw = req.arg(name)
    if not raw:
        return None
    values = tuple(dict.fromkeys(v.strip() for v in raw.split(",") if v.strip()))
    unknown = [v for v in values if v not in allowed]
    if unknown:
        raise ApiProblem(400, f"Parameter '{name}' must be a comma-separated list of: {', '.join(allowed)} (got {', '.join(unknown)})")  # fmt: skip
    return values


def offset_cursor(req: Request) -> int:
    raw = req.arg("cursor")
    if not raw:
        return 0
    try:
        value = json.loads(base64.urlsafe_b64decode(raw + "=" * (-len(raw) % 4)))
        offset = int(value["offset"])
    except (ValueError, TypeError, KeyError):
        raise ApiProblem(400, "Invalid cursor") from None
    if offset < 0:
        raise ApiProblem(400, "Invalid cursor")
    return offset


def next_cursor(offset: int, limit: int, total: int) -> str | None:
    if offset + limit >= total:
        return None
    raw = json.dumps({"offset": offset + limit}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def _entity_search(searcher: Searcher, items: ItemRenderer, entity: str) -> Any:
    allowed = SEARCH_FIELDS[entity]

    def handle(req: Request) -> Response:
        exact = bool_arg(req, "exact_match")
        term = term_arg(req, exact)
        fields = list_arg(req, "fields", allowed) or allowed
        include = frozenset(list_arg(req, "include_fields", tuple(INCLUDE_FIELDS[entity])) or ())
        limit, offset = limit_arg(req), offset_cursor(req)
        query = SearchQuery(entity, term, fields, exact, _filters(req, entity))
        hits = searcher.search(query)
        page = hits[offset : offset + limit]
        count_records(req, len(page))
        data = [items.render(entity, searcher.record(entity, h.index), h, include) for h in page]
        return ok({"items": data}, {"next_cursor": next_cursor(offset, limit, len(hits))})

    return handle


def _filters(req: Request, entity: str) -> dict[str, Any]:
    filters: dict[str, Any] = {}
    for param, key in FILTERS.get(entity, {}).items():
        value = int_arg(req, param, minimum=1)
        if value is not None:
            filters[key] = value
    if entity == "deal" and req.arg("status"):
        status = req.arg("status")
        if status not in ("open", "won", "lost"):
            raise ApiProblem(400, "Parameter 'status' must be one of: open, won, lost")
        filters["status"] = status
    return filters


def _item_search(searcher: Searcher, items: ItemRenderer) -> Any:
    def handle(req: Request) -> Response:
        exact = bool_arg(req, "exact_match")
        term = term_arg(req, exact)
        types = list_arg(req, "item_types", ITEM_TYPES) or ITEM_TYPES
        fields = list_arg(req, "fields", ITEM_SEARCH_FIELDS)
        includes = list_arg(req, "include_fields", ("deal.cc_email", "person.picture", "product.price"))  # fmt: skip
        limit = limit_arg(req, maximum=ITEM_SEARCH_LIMIT)
        offset = offset_cursor(req)
        found: list[tuple[str, Hit]] = []
        for entity in (t for t in types if t in SEARCH_FIELDS):
            own = SEARCH_FIELDS[entity]
            wanted = tuple(f for f in own if fields is None or f in fields)
            if wanted:
                hits = searcher.search(SearchQuery(entity, term, wanted, exact))
                found.extend((entity, hit) for hit in hits)
        found.sort(key=lambda pair: (-pair[1].score, types.index(pair[0]), pair[1].index))
        page = found[offset : offset + limit]
        count_records(req, len(page))
        include = frozenset(includes or ())
        data: dict[str, Any] = {
            "items": [items.render(e, searcher.record(e, h.index), h, include) for e, h in page]
        }
        if bool_arg(req, "search_for_related_items"):
            data["related_items"] = _related(searcher, items, page)
        return ok(data, {"next_cursor": next_cursor(offset, limit, len(found))})

    return handle


def _related(
    searcher: Searcher, items: ItemRenderer, page: list[tuple[str, Hit]]
) -> list[dict[str, Any]]:
    """The persons and organizations the found items point at (not found themselves)."""
    shown = {(e, h.index) for e, h in page}
    related: list[dict[str, Any]] = []
    for entity, hit in page:
        record = searcher.record(entity, hit.index)
        org_key = "organization_id" if entity == "lead" else "org_id"
        for kind, ref in (("person", record.get("person_id")), ("organization", record.get(org_key))):  # fmt: skip
            if entity == kind or not isinstance(ref, int) or (kind, ref) in shown:
                continue
            target = searcher.store.get(kind, ref)
            if target is not None and not searcher.store.is_deleted(kind, target):
                shown.add((kind, ref))
                related.append(items.render(kind, target, Hit(ref)))
    return related


def _field_search(searcher: Searcher) -> Any:
    def handle(req: Request) -> Response:
        entity = req.arg("entity_type") or ""
        if entity not in SEARCH_FIELDS:
            raise ApiProblem(400, f"Parameter 'entity_type' must be one of: {', '.join(SEARCH_FIELDS)}")  # fmt: skip
        key = req.arg("field") or ""
        match = req.arg("match") or "exact"
        if match not in ("exact", "beginning", "middle"):
            raise ApiProblem(400, "Parameter 'match' must be one of: exact, beginning, middle")
        term = term_arg(req, exact=match == "exact")
        search_field = _search_field_of(searcher.store, entity, key)
        limit, offset = limit_arg(req), offset_cursor(req)
        custom_key = key if search_field == "custom_fields" else None
        query = SearchQuery(entity, term, (search_field,), match == "exact", custom_key=custom_key)
        hits = searcher.search(query)
        if match == "beginning":
            hits = [h for h in hits if h.score >= 0.6]
        page = hits[offset : offset + limit]
        count_records(req, len(page))
        data = [_field_value(searcher, entity, h, key, search_field) for h in page]
        return ok(data, {"next_cursor": next_cursor(offset, limit, len(hits))})

    return handle


def _search_field_of(store: Store, entity: str, key: str) -> str:
    """The search field behind a field key: a system field, or ``custom_fields``."""
    aliases = {"emails": "email", "email": "email", "phones": "phone", "phone": "phone"}
    name = aliases.get(key, key)
    if name in SEARCH_FIELDS[entity] and name not in ("notes", "custom_fields"):
        return name
    fields = store.fields.get(custom_fields_of(entity), [])
    if any(f.key == key and f.is_custom and not f.is_deleted for f in fields):
        return "custom_fields"
    raise ApiProblem(400, f"Field '{key}' of {entity} is not searchable")


def _field_value(searcher: Searcher, entity: str, hit: Hit, key: str, name: str) -> dict[str, Any]:
    record = searcher.record(entity, hit.index)
    fields = searcher.store.fields.get(custom_fields_of(entity), [])
    texts = record_texts(entity, record, name, fields)
    value = next((t for t, tag in texts if tag is None or tag == key), None)
    return {"id": record["id"], key: value}
