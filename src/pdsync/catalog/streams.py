"""The vocabulary of the stream catalog: what one Pipedrive stream *is*, as data.

A :class:`StreamSpec` says where a stream lives in the API (path relative to the
version root, API version), how its records are identified (primary key), how it is
read (pagination, fixed params, extra passes, parent), how it is kept current
(:class:`Incremental`), how deletes are detected (``delete_strategy``) and which
``*Fields`` endpoint describes its custom fields. The registry
(:mod:`pdsync.catalog.registry`) declares every stream with these classes, stating
only what differs from the defaults below.
"""

from __future__ import annotations

import csv
import functools
import io
from dataclasses import dataclass
from importlib import resources
from typing import Literal

from pdsync.schema import Column

ApiVersion = Literal["v2", "v1"]
Mode = Literal["incremental", "full_refresh"]
Pagination = Literal["cursor", "offset", "none"]
# status_deleted: a separate pass lists deleted records (deals `status=deleted`).
# reconcile_ids: compare the ids still listed with the ids replicated, on a cadence.
# parent_replace: a child's rows are replaced whenever its parent is re-read.
# full_refresh_replace: the whole (small, reference) table is replaced on every sync.
# none: records are never deleted (or deletes cannot be observed).
DeleteStrategy = Literal[
    "status_deleted", "reconcile_ids", "parent_replace", "full_refresh_replace", "none"
]

Params = tuple[tuple[str, str], ...]

# Ascending by update time, so a bookmark can advance page by page (v2 and v1 syntax).
V2_SORT: Params = (("sort_by", "update_time"), ("sort_direction", "asc"))
V1_SORT: Params = (("sort", "update_time ASC"),)


@dataclass(frozen=True)
class Incremental:
    """How a stream is read in increments: records with ``cursor_field >= since``."""

    cursor_field: str = "update_time"
    since_param: str = "updated_since"  # inclusive lower bound, RFC 3339 UTC
    until_param: str | None = "updated_until"  # exclusive upper bound; None where absent
    sort: Params = V2_SORT


@dataclass(frozen=True)
class Parent:
    """A child stream is read per parent record (or per batch of parents)."""

    stream: str  # the parent stream's name, e.g. "deals"
    key_column: str | None  # child column holding the parent's id ("deal_id"); None if none
    parent_key: str = "id"  # the parent's field substituted in the path / params
    # How the parent id reaches the API: "path" fills `{id}` in the stream path;
    # otherwise it is the query parameter named here (e.g. "org_id", "deal_ids").
    via: str = "path"
    batch_size: int = 1  # parents per call; >1 only for batch endpoints (`deal_ids=1,2,…`)
    # True: read only for parents whose `changed_by` moved since the child's bookmark.
    # False: every parent on every sync (phases change without their board changing).
    changed_only: bool = True
    changed_by: str = "update_time"  # the parent column that moves when its children change

    @property
    def is_batch(self) -> bool:
        return self.batch_size > 1


@dataclass(frozen=True)
class Pass:
    """An extra read of the same endpoint with other fixed params (e.g. deleted deals)."""

    name: str
    params: Params


@dataclass(frozen=True)
class Extended:
    """Columns that only the single-record endpoint returns (a filter's ``conditions``).

    They cost one call per record, so they are fetched only for records that are new or
    changed since the replica last saw them, and never when ``extended_requests`` is off.
    """

    path: str  # the single-record path, relative to the version root: "filters/{id}"
    columns: tuple[str, ...]  # stream columns filled from that endpoint's record


CostClass = Literal["one listing", "per parent", "per record"]


@dataclass(frozen=True)
class StreamSpec:
    name: str
    path: str  # relative to the version root: "deals", "deals/{id}/followers"
    columns: tuple[Column, ...]  # system columns, typed, each with its source
    version: ApiVersion = "v2"
    primary_key: tuple[str, ...] = ("id",)
    incremental: Incremental | None = None  # None: the API has no way to read changes only
    mode: Mode = "full_refresh"
    pagination: Pagination = "cursor"
    page_limit: int = 500  # the cost of a call does not depend on its size: ask for the max
    parent: Parent | None = None
    params: Params = ()  # fixed query params of every call
    passes: tuple[Pass, ...] = ()  # extra reads after the main one
    delete_strategy: DeleteStrategy = "reconcile_ids"
    fields_entity: str | None = None  # "deal" -> dealFields describes custom fields
    records_path: tuple[str, ...] = ("data",)  # where the list sits in the envelope
    description: str = ""
    extended: Extended | None = None  # columns read per record from the single-record endpoint
    # The same list read once per value set (mail threads: one listing per folder).
    fanout: tuple[Params, ...] = ()
    # Costly streams (a call per parent on the first sync) that `'*'` does not select:
    # they run only when named on the command line or in the replication file.
    opt_in: bool = False

    @property
    def cost_class(self) -> CostClass:
        """What one sync of this stream costs: one listing, a call per parent, per record."""
        if self.parent is not None:
            return "per parent"
        if self.extended is not None:
            return "per record"
        return "one listing"

    @property
    def api_path(self) -> str:
        """The full API path, e.g. ``/api/v2/deals``."""
        return f"/api/{self.version}/{self.path}"

    @property
    def cursor(self) -> str | None:
        return self.incremental.cursor_field if self.incremental else None

    @property
    def token_cost(self) -> int | None:
        """Tokens one list call costs (``x-token-cost`` of the GET operation)."""
        op = endpoint(self.version, self.api_path)
        return op.token_cost if op else None

    @property
    def scopes(self) -> tuple[str, ...]:
        """OAuth scopes that allow reading this stream (any one suffices)."""
        op = endpoint(self.version, self.api_path)
        return op.scopes if op else ()


@dataclass(frozen=True)
class Endpoint:
    version: str
    method: str
    path: str
    operation_id: str
    token_cost: int
    deprecated: bool
    scopes: tuple[str, ...]


@functools.lru_cache(maxsize=1)
def _endpoints() -> dict[tuple[str, str, str], Endpoint]:
    text = resources.files("pdsync.data").joinpath("endpoints.tsv").read_text("utf-8")
    table: dict[tuple[str, str, str], Endpoint] = {}
    for row in csv.DictReader(io.StringIO(text), delimiter="\t"):
        op = Endpoint(
            version=row["version"],
            method=row["method"],
            path=row["path"],
            operation_id=row["operationId"],
            token_cost=int(row["x_token_cost"] or 0),
            deprecated=row["deprecated"] == "yes",
            scopes=tuple(s for s in row["oauth_scopes"].split(",") if s),
        )
        table[(op.version, op.method, op.path)] = op
    return table


def endpoint(version: str, api_path: str, method: str = "GET") -> Endpoint | None:
    """The operation of ``endpoints.tsv`` for a path such as ``/api/v2/deals/{id}/followers``."""
    return _endpoints().get((version, method, api_path))
