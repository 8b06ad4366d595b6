"""Token cost of each API operation, from the official specs' ``x-token-cost``.

The table is ``pdsync/data/endpoints.tsv`` (a copy of the vendored specs' ENDPOINTS.tsv).
Paths are matched against the templates (``deals/{id}/products``); literal segments win
over placeholders, so ``deals/search`` is the search operation, not deal ``search``.
"""

from __future__ import annotations

import csv
import functools
import io
import re
from dataclasses import dataclass
from importlib import resources

__all__ = ["Operation", "find_operation", "is_search", "token_cost"]

# Charged when an operation is not in the table (the typical costs of its kind).
_FALLBACK = {
    ("v1", "GET"): 20,
    ("v2", "GET"): 10,
    ("v1", "DELETE"): 6,
    ("v2", "DELETE"): 3,
}
_FALLBACK_WRITE = {"v1": 10, "v2": 5}


@dataclass(frozen=True)
class Operation:
    version: str
    method: str
    template: str  # relative to the version root, e.g. "deals/{id}"
    operation_id: str
    cost: int
    deprecated: bool


def _template_regex(template: str) -> re.Pattern[str]:
    parts = [
        "[^/]+" if seg.startswith("{") and seg.endswith("}") else re.escape(seg)
        for seg in template.split("/")
    ]
    return re.compile("^" + "/".join(parts) + "$")


def _relative(version: str, path: str) -> str:
    for prefix in (f"/api/{version}/", f"/{version}/", "/"):
        if path.startswith(prefix):
            return path[len(prefix) :]
    return path


@functools.lru_cache(maxsize=1)
def _table() -> dict[tuple[str, str], list[tuple[re.Pattern[str], Operation]]]:
    text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text(encoding="utf-8")
    table: dict[tuple[str, str], list[tuple[re.Pattern[str], Operation]]] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        version, method = row["version"], row["method"].upper()
        template = _relative(version, row["path"]).strip("/")
        op = Operation(
            version=version,
            method=method,
            template=template,
            operation_id=row["operationId"],
            cost=int(row["x_token_cost"] or 0),
            deprecated=row["deprecated"] == "yes",
        )
        table.setdefault((version, method), []).append((_template_regex(template), op))
    for entries in table.values():
        # Fewest placeholders first, so literal paths beat templated ones.
        entries.sort(key=lambda item: item[1].template.count("{"))
    return table


def find_operation(method: str, path: str, version: str) -> Operation | None:
    """The spec operation a request maps to, or None if the table does not know it."""
    relative = _relative(version, "/" + path.lstrip("/")).strip("/")
    for pattern, op in _table().get((version, method.upper()), []):
        if pattern.match(relative):
            return op
    return None


def token_cost(method: str, path: str, version: str) -> int:
    """Tokens Pipedrive charges for one call (``x-token-cost``); a typical cost if unknown."""
    op = find_operation(method, path, version)
    if op is not None:
        return op.cost
    key = (version, method.upper())
    return _FALLBACK.get(key, _FALLBACK_WRITE.get(version, 10))


def is_search(path: str) -> bool:
    """Search endpoints share their own burst limit (10 requests per 2 s)."""
    relative = path.strip("/").split("?", 1)[0]
    return relative.endswith("/search") or relative.split("/", 1)[0] == "itemSearch"
