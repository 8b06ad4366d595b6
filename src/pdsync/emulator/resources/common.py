"""Shared pieces of the route handlers: envelopes, query parsing, cursors, body checks.

Handlers raise :class:`ApiProblem` for bad input; the app turns it into the API's
error envelope with the right status.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Mapping
from typing import Any

from pdsync.emulator.http import InvalidText, Request, Response, error_response
from pdsync.emulator.resources.input_types import BadValue, Kind, convert
from pdsync.emulator.timefmt import parse_time

Record = dict[str, Any]
MAX_LIMIT = 500


class ApiProblem(Exception):
    """An error answer: status and message, rendered as the error envelope."""

    def __init__(self, status: int, message: str, **extra: Any) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.extra = extra

    def response(self) -> Response:
        return error_response(self.status, self.message, **self.extra)


def not_found(what: str = "Item") -> ApiProblem:
    return ApiProblem(404, f"{what} not found")


def ok(data: Any, additional: Any = None, status: int = 200) -> Response:
    payload: Record = {"success": True, "data": data}
    if additional is not None:
        payload["additional_data"] = additional
    try:
        return Response.json(payload, status)
    except UnicodeEncodeError:
        # A lone surrogate that reached a record by a path that skipped the input checks
        # (``http.check_json_value``): served as a JSON escape, so one record never makes a page a 500.
        text = json.dumps(payload, separators=(",", ":"), ensure_ascii=True)
        return Response(
            status, text.encode("ascii"), [("Content-Type", "application/json; charset=utf-8")]
        )


def user_id(req: Request) -> int:
    value: int = req.environ.get("emulator.user_id", 1)
    return value


def count_records(req: Request, n: int) -> None:
    """Tell the edges layer how many records this list returned (latency, null-page faults)."""
    req.environ["emulator.records"] = n


def int_arg(req: Request, name: str, default: int | None = None, minimum: int = 0) -> int | None:
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    try:
        value = int(raw)
    except ValueError:
        raise ApiProblem(400, f"Parameter '{name}' must be an integer") from None
    if value < minimum:
        raise ApiProblem(400, f"Parameter '{name}' must be at least {minimum}")
    return value


def int_list_arg(req: Request, name: str, maximum: int | None = None) -> frozenset[int] | None:
    raw = req.arg(name)
    if not raw:
        return None
    try:
        values = frozenset(int(v) for v in raw.split(",") if v.strip())
    except ValueError:
        raise ApiProblem(
            400, f"Parameter '{name}' must be a comma-separated list of integers"
        ) from None
    if maximum is not None and len(values) > maximum:
        raise ApiProblem(400, f"Parameter '{name}' accepts at most {maximum} values")
    return values


def bool_arg(req: Request, name: str, default: bool = False) -> bool:
    raw = req.arg(name)
    if raw is None or raw == "":
        return default
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise ApiProblem(400, f"Parameter '{name}' must be a boolean")


def time_arg(req: Request, name: str) -> float | None:
    raw = req.arg(name)
    if not raw:
        return None
    try:
        return parse_time(raw)
    except ValueError:
        raise ApiProblem(400, f"Parameter '{name}' must be an RFC 3339 date-time") from None


def limit_arg(req: Request, default: int = 100, maximum: int = MAX_LIMIT) -> int:
    limit = int_arg(req, "limit", default, minimum=1)
    assert limit is not None
    if limit > maximum:
        raise ApiProblem(400, f"Parameter 'limit' must be at most {maximum}")
    return limit


def encode_cursor(key: tuple[Any, int]) -> str:
    raw = json.dumps([key[0], key[1]], separators=(",", ":")).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode_cursor(req: Request) -> tuple[Any, int] | None:
    raw = req.arg("cursor")
    if not raw:
        return None
    try:
        padded = raw + "=" * (-len(raw) % 4)
        value, index = json.loads(base64.urlsafe_b64decode(padded))
        return (value, int(index))
    except (ValueError, TypeError):
        raise ApiProblem(400, "Invalid cursor") from None


def body(req: Request) -> Record:
    try:
        data = req.json()
    except InvalidText as exc:
        raise ApiProblem(400, str(exc)) from None
    except (ValueError, UnicodeDecodeError):
        raise ApiProblem(400, "Request body is not valid JSON") from None
    if not isinstance(data, dict):
        raise ApiProblem(400, "Request body must be a JSON object")
    return data


def check_body(
    data: Record,
    types: Mapping[str, str | Kind],
    required: tuple[str, ...] = (),
    not_null: tuple[str, ...] = (),
) -> Record:
    """Required fields present (``not_null``: may be left out, as in an update, but not
    cleared); declared fields converted to their stored form by their kind
    (:mod:`.input_types`: v2-strict types, no string-to-number coercion; times of any
    API format become epoch floats); undeclared fields dropped."""
    for name in required:
        if data.get(name) in (None, ""):
            raise ApiProblem(400, f"The '{name}' field is required")
    for name in not_null:
        if name in data and data[name] in (None, ""):
            raise ApiProblem(400, f"The '{name}' field cannot be empty")
    clean: Record = {}
    for name, value in data.items():
        kind = types.get(name)
        if kind is None:
            continue
        try:
            clean[name] = convert(kind, value)
        except BadValue as exc:
            raise ApiProblem(400, f"The '{name}' field {exc}") from None
    return clean
