"""Pieces shared by the account and administration handlers: who is an admin, offset
pages over small lists, required id lists, and the public view of static records."""

from __future__ import annotations

from datetime import date
from typing import TYPE_CHECKING, Any

from pdsync.emulator.http import Request, Response
from pdsync.emulator.resources.common import (
    ApiProblem,
    Record,
    count_records,
    int_arg,
    limit_arg,
    not_found,
    ok,
    user_id,
)

if TYPE_CHECKING:
    from pdsync.emulator.store import Store

FORBIDDEN = "You do not have permissions to do this."


def public(rec: Record) -> Record:
    """A static record without the emulator's own ``_`` bookkeeping keys."""
    return {k: v for k, v in rec.items() if not k.startswith("_")}


def is_admin(user: Record | None) -> bool:
    """Admin rights are the ``global`` app's ``admin`` access entry (the spec has no is_admin)."""
    if user is None or user.get("active_flag") is False:
        return False
    return any(a.get("app") == "global" and a.get("admin") for a in user.get("access") or [])


def require_admin(store: Store, req: Request) -> None:
    """Company administration (users, roles, permission sets) is for admins: Pipedrive's 403."""
    if not is_admin(store.get("user", user_id(req))):
        raise ApiProblem(403, FORBIDDEN)


def require_user(store: Store, raw: str) -> Record:
    rec = store.get("user", raw) if raw.isdigit() else None
    if rec is None:
        raise ApiProblem(404, "User not found or not accessible.")
    return rec


def offset_rows(req: Request, rows: list[Any]) -> Response:
    """A v1 offset page (``start``/``limit``) over a list that is already whole."""
    start = int_arg(req, "start", 0) or 0
    limit = limit_arg(req)
    page = rows[start : start + limit]
    more = start + limit < len(rows)
    count_records(req, len(page))
    pagination: Record = {"start": start, "limit": limit, "more_items_in_collection": more}
    if more:
        pagination["next_start"] = start + limit
    return ok(page, {"pagination": pagination})


def required_ids(req: Request, name: str = "ids") -> list[int]:
    """A required comma-separated list of integer ids, in the order given, without repeats."""
    raw = req.arg(name)
    if not raw:
        raise ApiProblem(400, f"Parameter '{name}' is required (comma-separated ids)")
    try:
        values = [int(v) for v in raw.split(",") if v.strip()]
    except ValueError:
        raise ApiProblem(
            400, f"Parameter '{name}' must be a comma-separated list of integers"
        ) from None
    if not values:
        raise ApiProblem(400, f"Parameter '{name}' is required (comma-separated ids)")
    return list(dict.fromkeys(values))


def path_int(req: Request, label: str, name: str = "id") -> int:
    """An integer path id; anything else is an id that cannot exist (404, as the API)."""
    raw = req.path_params[name]
    if not raw.isdigit():
        raise not_found(label)
    return int(raw)


def date_arg(req: Request, name: str) -> date:
    """A required ``YYYY-MM-DD`` query parameter."""
    raw = req.arg(name)
    if not raw:
        raise ApiProblem(400, f"Parameter '{name}' is required (YYYY-MM-DD)")
    return parse_date(raw, name)


def parse_date(raw: Any, name: str) -> date:
    try:
        if not isinstance(raw, str) or len(raw) != 10:
            raise ValueError(raw)
        return date.fromisoformat(raw)
    except ValueError:
        raise ApiProblem(400, f"'{name}' must be a date in the format YYYY-MM-DD") from None


def int_value(data: Record, name: str, required: bool = True, label: str = "") -> int | None:
    """An integer body value; v1 also takes form bodies, where numbers arrive as strings."""
    value = data.get(name)
    name = label or name
    if value is None or value == "":
        if required:
            raise ApiProblem(400, f"The '{name}' field is required")
        return None
    if isinstance(value, bool):
        raise ApiProblem(400, f"The '{name}' field must be an integer")
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        return int(value)
    if not isinstance(value, int):
        raise ApiProblem(400, f"The '{name}' field must be an integer")
    return value


def choice(
    data: Record, name: str, allowed: tuple[Any, ...], required: bool = True, label: str = ""
) -> Any:
    """``data[name]`` if it is one of ``allowed``; errors call it ``label`` (e.g. ``type.name``)."""
    value = data.get(name)
    if value is None and not required:
        return None
    name = label or name
    if value not in allowed:
        listed = ", ".join(str(a) for a in allowed)
        if value is None:
            raise ApiProblem(400, f"The '{name}' field is required (one of: {listed})")
        raise ApiProblem(400, f"The '{name}' field must be one of: {listed}")
    return value


def text_value(data: Record, name: str, required: bool = True) -> str | None:
    """A non-empty string body value, stripped; None when absent and not required."""
    value = data.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise ApiProblem(400, f"The '{name}' field is required and must be a non-empty string")
    return value.strip()


def live_v1(store: Store, entity: str, record_id: Any, label: str) -> Record:
    """A v1-native record that exists and is active (deleted ones are ``active_flag: false``)."""
    rec = store.get(entity, record_id)
    if rec is None or not rec.get("active_flag"):
        raise not_found(label)
    return rec


def bulk_delete_v1(store: Store, req: Request, entity: str, plural: str) -> Response:
    """``DELETE ?ids=``, all or nothing: one unknown or already deleted id and none is deleted."""
    ids = required_ids(req)
    with store.lock:
        missing = [i for i in ids
                   if (r := store.get(entity, i)) is None or not r.get("active_flag")]  # fmt: skip
        if missing:
            listed = ", ".join(map(str, missing))
            raise ApiProblem(404, f"{plural} not found: {listed}; nothing was deleted")
        for record_id in ids:
            store.delete(entity, record_id, user_id(req))
    return ok({"id": ids})
