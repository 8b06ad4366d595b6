"""Legacy v1 search: ``/v1/{deals,persons,organizations,products}/search``,
``/v1/itemSearch`` and ``/v1/itemSearch/field``.

The same index, ranking and items as v2 search (v2's handlers answer, called in-process),
paged by ``start``/``limit`` instead of a cursor; ``/itemSearch/field`` takes v1's
``field_type``/``field_key`` and returns ids only when ``return_item_ids`` asks for them.
"""

from __future__ import annotations

import base64
import dataclasses
import json
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response, Router
from pdsync.emulator.resources.common import ApiProblem, Record, bool_arg, int_arg, ok

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

SEARCHED = ("deals", "persons", "organizations", "products")
FIELD_TYPES = {"dealField": "deal", "leadField": "lead", "personField": "person",
               "organizationField": "organization", "productField": "product",
               "projectField": "project"}  # fmt: skip
MAX_LIMIT = 500


def register(router: Router, store: Store) -> None:
    for path in SEARCHED:
        router.add("GET", f"/api/v1/{path}/search", _search(router, f"/api/v2/{path}/search"))
    router.add("GET", "/api/v1/itemSearch", _search(router, "/api/v2/itemSearch"))
    router.add("GET", "/api/v1/itemSearch/field", _field_search(router))


def _offset_cursor(start: int) -> str:
    raw = json.dumps({"offset": start}, separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def delegate(router: Router, req: Request, path: str, query: dict[str, list[str]]) -> Record:
    """Answers ``req`` with the v2 handler of ``path`` and ``query``; its JSON payload.
    Errors (ApiProblem) pass through: v1 and v2 share their envelope."""
    inner = dataclasses.replace(req, path=path, query=query)
    handler, _template, params, _exists = router.match("GET", path)
    if handler is None:
        raise ApiProblem(404, "Unknown method")
    inner.path_params = params
    answer: Response = handler(inner)
    payload: Record = json.loads(answer.body)
    return payload


def _paged_query(req: Request, start: int, limit: int) -> dict[str, list[str]]:
    query = {k: v for k, v in req.query.items() if k not in ("start", "cursor", "limit")}
    query["cursor"] = [_offset_cursor(start)]
    query["limit"] = [str(limit)]
    return query


def _pagination(start: int, limit: int, more: bool) -> Record:
    out: Record = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        out["next_start"] = start + limit
    return out


def _page_args(req: Request, maximum: int = MAX_LIMIT) -> tuple[int, int]:
    start = int_arg(req, "start", 0) or 0
    limit = int_arg(req, "limit", 100, minimum=1) or 100
    if limit > maximum:
        raise ApiProblem(400, f"Parameter 'limit' must be at most {maximum}")
    return start, limit


def _search(router: Router, v2_path: str) -> Any:
    def handle(req: Request) -> Response:
        start, limit = _page_args(req)
        payload = delegate(router, req, v2_path, _paged_query(req, start, limit))
        more = payload["additional_data"]["next_cursor"] is not None
        return ok(payload["data"], {"pagination": _pagination(start, limit, more)})

    return handle


def _field_search(router: Router) -> Any:
    def handle(req: Request) -> Response:
        field_type = req.arg("field_type") or ""
        if field_type not in FIELD_TYPES:
            raise ApiProblem(400, f"Parameter 'field_type' must be one of: {', '.join(FIELD_TYPES)}")  # fmt: skip
        key = req.arg("field_key") or ""
        if not key:
            raise ApiProblem(400, "Parameter 'field_key' is required")
        start, limit = _page_args(req)
        with_ids = bool_arg(req, "return_item_ids")
        query = {
            "term": [req.arg("term") or ""],
            "entity_type": [FIELD_TYPES[field_type]],
            "field": [key],
            "match": ["exact" if bool_arg(req, "exact_match") else "middle"],
            "cursor": [_offset_cursor(0)],
            "limit": [str(MAX_LIMIT)],
        }
        rows = _all_pages(router, req, query)
        if not with_ids:
            # Without ids the answer is the distinct values found (as the v1 API returns them).
            values = list(dict.fromkeys(json.dumps(r.get(key)) for r in rows))
            rows = [{key: json.loads(v)} for v in values]
        chunk = rows[start : start + limit]
        return ok(chunk, {"pagination": _pagination(start, limit, start + limit < len(rows))})

    return handle


def _all_pages(router: Router, req: Request, query: dict[str, list[str]]) -> list[Record]:
    rows: list[Record] = []
    while True:
        payload = delegate(router, req, "/api/v2/itemSearch/field", query)
        rows += payload["data"]
        cursor = payload["additional_data"]["next_cursor"]
        if cursor is None:
            return rows
        query = {**query, "cursor": [cursor]}
