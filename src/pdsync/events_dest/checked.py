"""Every answer the event destination reads, checked for the shape it relies on.

Delivery turns what Pipedrive says into creates: "no such person" makes a person,
"no lead with this marker" makes a lead. So an answer that is not what Pipedrive sends
when all is well must never be read as absence. :class:`CheckedClient` wraps the API
client the destination uses, and for each call:

* a list read (``GET deals``, ``GET personFields``, …) must carry ``data: [...]``;
* a search (``GET persons/search``) must carry ``data: {"items": [...]}``;
* a record read (``GET persons/7``) and every write (POST/PATCH/PUT) must carry
  ``data: {...}`` with the record's ``id``;
* a 2xx body that is not JSON or was cut short (which the API client gives up on for
  writes, and after a few tries for reads) and a cursor that repeats are anomalies too.

Each anomaly becomes a transient :class:`~pdsync.errors.ServerError` with the reason,
so the worker retries the event with backoff (reading back before any new write) and,
after ``max_attempts``, dead-letters it with that reason. Pipedrive's own refusals
(4xx) pass through unchanged: they are permanent and carry Pipedrive's message.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from json import dumps
from typing import Any, Literal

from pdsync.api.failures import UnreadableBodyError
from pdsync.errors import PaginationError, ServerError
from pdsync.fieldmap import RequestClient, Version

Shape = Literal["list", "search", "record"]

_ID_SEGMENT = re.compile(r"^(\d+|[0-9a-fA-F]{8}-[0-9a-fA-F-]{27})$")  # numeric id or lead UUID
RETRY_HINT = "A Pipedrive anomaly: the event is retried with backoff, then dead-lettered."


def expected_shape(method: str, path: str) -> Shape:
    """What ``data`` holds when Pipedrive answers this call normally."""
    if method.upper() != "GET":
        return "record"  # creates, updates and merges answer with the record
    segments = path.strip("/").split("/")
    if segments[-1] == "search":
        return "search"
    return "record" if _ID_SEGMENT.match(segments[-1]) else "list"


def shape_problem(shape: Shape, body: Mapping[str, Any]) -> str | None:
    """Why ``body`` is not a normal answer of this ``shape`` (None when it is)."""
    if body.get("success") is False:
        return "success: false"
    data = body.get("data")
    if shape == "list":
        ok = isinstance(data, list) and all(isinstance(item, Mapping) for item in data)
    elif shape == "search":
        ok = isinstance(data, Mapping) and isinstance(data.get("items"), list)
    else:
        ok = isinstance(data, Mapping) and data.get("id") is not None
    return None if ok else f"data: {_preview(data)}"


class CheckedClient:
    """A :class:`~pdsync.fieldmap.RequestClient` that refuses abnormal answers (see module)."""

    def __init__(self, inner: RequestClient) -> None:
        self.inner = inner

    def request(
        self,
        method: str,
        path: str,
        *,
        version: Version = "v2",
        params: Mapping[str, Any] | None = None,
        json: Any = None,
    ) -> dict[str, Any]:
        where = f"{method.upper()} {path.strip('/')}"
        try:
            body = self.inner.request(method, path, version=version, params=params, json=json)
        except UnreadableBodyError as exc:
            # Not a refusal: the answer was lost on the way. A write may have landed, so
            # the retry reads back first (the worker passes first_try=False).
            raise ServerError(
                f"{where}: {exc.message} It is retried.", status=exc.status, hint=RETRY_HINT
            ) from None
        except PaginationError as exc:
            raise ServerError(f"{where}: {exc.message} It is retried.", hint=RETRY_HINT) from None
        problem = shape_problem(expected_shape(method, path), body)
        if problem is not None:
            raise ServerError(
                f"Pipedrive answered {where} without the expected result ({problem}); "
                "it is retried, never read as absence.",
                hint=RETRY_HINT,
            )
        return body


def _preview(value: Any) -> str:
    try:
        text = dumps(value, default=str)
    except ValueError:
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."
