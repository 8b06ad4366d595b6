"""Which Pipedrive operation a request is, and what it costs in daily-budget tokens.

The table comes from ``pdsync/data/endpoints.tsv`` (a copy of the official specs'
``x-token-cost`` per operation). Request paths are matched against the path
templates; literal segments win over ``{param}`` ones, so ``/deals/archived`` is not
``/deals/{id}``. Operations missing from the specs cost what the fact sheet (§4)
gives as typical for their version and method.
"""

from __future__ import annotations

import csv
import io
import re
import threading
from dataclasses import dataclass
from importlib import resources

_NUMERIC_OR_UUID = re.compile(r"^(\d+|[0-9a-fA-F-]{32,36}|[0-9a-f]{24,40})$")


@dataclass(frozen=True)
class Operation:
    """One API operation: its spec id, path template, token cost and kind."""

    operation_id: str
    method: str
    template: str
    cost: int
    is_search: bool
    known: bool  # False when the specs do not list it (cost is the default)


@dataclass(frozen=True)
class _Template:
    segments: tuple[str, ...]
    literal_count: int
    operation: Operation


def _is_search(path: str) -> bool:
    """Search endpoints share the stricter 10-per-2-seconds burst limit."""
    return path.endswith("/search") or "/itemSearch" in path


def default_cost(method: str, path: str) -> int:
    """Typical token cost for an operation the specs do not list (fact sheet §4)."""
    v2 = path.startswith("/api/v2/")
    if _is_search(path):
        return 20 if v2 else 40
    last = path.rstrip("/").rsplit("/", 1)[-1]
    single = bool(_NUMERIC_OR_UUID.match(last))
    if method == "GET":
        if v2:
            return 1 if single else 10
        return 2 if single else 20
    if method == "DELETE":
        return 3 if v2 else 6
    return 5 if v2 else 10


class CostTable:
    """Matches ``(method, path)`` to an :class:`Operation`; thread-safe and cached."""

    def __init__(self, rows: list[dict[str, str]]) -> None:
        self._by_shape: dict[tuple[str, int], list[_Template]] = {}
        for row in rows:
            self._add(row)
        for candidates in self._by_shape.values():
            candidates.sort(key=lambda t: t.literal_count, reverse=True)
        self._cache: dict[tuple[str, str], Operation] = {}
        self._lock = threading.Lock()

    @classmethod
    def load(cls) -> CostTable:
        text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text("utf-8")
        return cls(list(csv.DictReader(io.StringIO(text), delimiter="\t")))

    def _add(self, row: dict[str, str]) -> None:
        method = row["method"].upper()
        template = row["path"].rstrip("/") or "/"
        segments = tuple(template.strip("/").split("/"))
        op = Operation(
            operation_id=row["operationId"],
            method=method,
            template=template,
            cost=int(row["x_token_cost"] or 0),
            is_search=_is_search(template),
            known=True,
        )
        literals = sum(1 for s in segments if not s.startswith("{"))
        bucket = self._by_shape.setdefault((method, len(segments)), [])
        if any(t.segments == segments for t in bucket):
            return  # `/oauth/token` and `/oauth/token/` collapse into one template
        bucket.append(_Template(segments, literals, op))

    def lookup(self, method: str, path: str) -> Operation:
        method = method.upper()
        key = (method, path)
        cached = self._cache.get(key)
        if cached is not None:
            return cached
        op = self._match(method, path)
        if op.known and "{" not in op.template:
            with self._lock:  # only literal paths are cached: ids would grow it without bound
                if len(self._cache) < 4096:
                    self._cache[key] = op
        return op

    def _match(self, method: str, path: str) -> Operation:
        segments = tuple(path.strip("/").split("/"))
        for template in self._by_shape.get((method, len(segments)), ()):
            if all(
                t.startswith("{") or t == s
                for t, s in zip(template.segments, segments, strict=True)
            ):
                return template.operation
        # Ids become `{id}` so unknown operations group in the stats like known ones.
        shape = "/" + "/".join("{id}" if _NUMERIC_OR_UUID.match(s) else s for s in segments)
        return Operation(
            operation_id=f"{method} {shape}",
            method=method,
            template=shape,
            cost=default_cost(method, path),
            is_search=_is_search(path),
            known=False,
        )
