"""Paging of small in-memory lists (histories, mail, call logs, …): cursors and offsets."""

from __future__ import annotations

from datetime import date
from typing import Any

from pdsync.emulator.http import Request, Response
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    count_records,
    decode_cursor,
    encode_cursor,
    int_arg,
    limit_arg,
    not_found,
    ok,
)


def cursor_page(req: Request, rows: list[Any], default: int = 100, maximum: int = 500) -> Response:
    """One page of ``rows`` after ``cursor``; ``additional_data.next_cursor`` (null at the end)."""
    limit = limit_arg(req, default, maximum)
    after = decode_cursor(req)
    start = 0
    if after is not None:
        if after[0] != "offset" or after[1] < 0:
            raise ApiProblem(400, "Invalid cursor")
        start = after[1]
    chunk = rows[start : start + limit]
    more = start + limit < len(rows)
    count_records(req, len(chunk))
    return ok(chunk, {"next_cursor": encode_cursor(("offset", start + limit)) if more else None})


def offset_slice(
    req: Request, rows: list[Any], default: int = 100, maximum: int = 500
) -> tuple[list[Any], Record]:
    """``start``/``limit`` paging: the page and its pagination object."""
    start = int_arg(req, "start", 0) or 0
    limit = limit_arg(req, default, maximum)
    chunk = rows[start : start + limit]
    more = start + limit < len(rows)
    count_records(req, len(chunk))
    pagination: Record = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return chunk, pagination


def offset_list(req: Request, rows: list[Any], default: int = 100, maximum: int = 500) -> Response:
    chunk, pagination = offset_slice(req, rows, default, maximum)
    return ok(chunk, {"pagination": pagination})


def live(store: Any, entity: str, raw_id: Any, label: str) -> Record:
    """A record that exists and is not deleted, else the API's 404."""
    record_id: Any = raw_id
    if entity != "lead":
        if not str(raw_id).isdigit():
            raise not_found(label)
        record_id = int(raw_id)
    rec: Record | None = store.get(entity, record_id)
    if rec is None or rec.get("is_deleted") or rec.get("active_flag") is False:
        raise not_found(label)
    return rec


def path_int(req: Request, name: str, label: str) -> int:
    raw = req.path_params[name]
    if not raw.isdigit():
        raise not_found(label)
    return int(raw)


def check_date(value: Any, name: str) -> str:
    """A real calendar date ``YYYY-MM-DD`` (2026-02-30 is refused), else the API's 400."""
    try:
        return date.fromisoformat(str(value)).isoformat()
    except ValueError:
        raise ApiProblem(400, f"The '{name}' field must be a date (YYYY-MM-DD)") from None
