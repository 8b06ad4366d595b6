"""Completeness: after a sync of every stream, each replica table holds exactly what the API lists.

An emulated account of 6,000 deals (persons 1×, activities 2×, notes ½×, leads ⅒× — more
than one page of every big list, leads included) is synced with every stream of the
catalog. Then every table is compared, by primary key and delete mark, with the truth
read *independently of pdsync*: the endpoints are declared below from Pipedrive's specs
(not taken from the catalog) and walked with plain httpx; only the per-parent children
(followers, participants), which would cost one call per parent, are read from the
emulator's own store, after a spot check that the store and the API agree on them.

For every stream: nothing listed is missing from the replica, nothing alive in the
replica is unlisted, deals listed with ``status=deleted`` are in the replica marked
deleted, and no listed record is marked deleted.
"""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest
from test_new_streams import NEW

from pdsync.api.client import PipedriveClient
from pdsync.api.ratelimit import RateGovernor
from pdsync.catalog.registry import CATALOG
from pdsync.config import Connection
from pdsync.destinations import open_destination
from pdsync.emulator.config import EmulatorConfig
from pdsync.emulator.server import EmulatorServer
from pdsync.sync.engine import SyncEngine, SyncOptions
from pdsync.sync.replication import select_streams
from pdsync.sync.run import incremental_capable

DEALS = 6_000
Key = tuple[str, ...]


@dataclass(frozen=True)
class Endpoint:
    """How to list a stream, as Pipedrive documents it (independent of pdsync's catalog)."""

    path: str  # from the host root
    paging: str = "cursor"  # cursor | offset | none
    limit: int = 500
    params: tuple[tuple[str, str], ...] = ()
    key: tuple[str, ...] = ("id",)
    records: tuple[str, ...] = ("data",)


def v2(path: str, **kw: Any) -> Endpoint:
    return Endpoint(f"/api/v2/{path}", **kw)


def v1(path: str, paging: str = "offset", **kw: Any) -> Endpoint:
    return Endpoint(f"/api/v1/{path}", paging, **kw)


TOP_LEVEL: dict[str, Endpoint] = {
    "deals": v2("deals", params=(("status", "open,won,lost,deleted"),)),
    "archived_deals": v2("deals/archived"),
    "persons": v2("persons"),
    "organizations": v2("organizations"),
    "activities": v2("activities"),
    "products": v2("products"),
    "leads": v1("leads"),
    "archived_leads": v1("leads/archived"),
    "notes": v1("notes"),
    "files": v1("files", limit=100),  # /v1/files takes at most 100
    "pipelines": v2("pipelines"),
    "stages": v2("stages"),
    "users": v1("users", "none"),
    "activity_types": v1("activityTypes", "none"),
    "lead_labels": v1("leadLabels", "none"),
    "lead_sources": v1("leadSources", "none", key=("name",)),
    "filters": v1("filters", "none"),
    "currencies": v1("currencies", "none"),
    "deal_fields": v2("dealFields", key=("field_code",)),
    "person_fields": v2("personFields", key=("field_code",)),
    "organization_fields": v2("organizationFields", key=("field_code",)),
    "product_fields": v2("productFields", key=("field_code",)),
    "activity_fields": v2("activityFields", key=("field_code",)),
    "note_fields": v1("noteFields", "none"),
    "goals": v1("goals/find", "none", records=("data", "goals")),
    "roles": v1("roles"),
    "permission_sets": v1("permissionSets", "none"),
    "webhooks": v1("webhooks", "none"),
}
# Children: (parent stream, how they are read) — see Truth.children.
CHILDREN = {
    "deal_products": "deals",
    "deal_participants": "deals",
    "deal_followers": "deals",
    "person_followers": "persons",
    "organization_followers": "organizations",
    "product_followers": "products",
    "organization_relationships": "organizations",
}
STORE_CHILDREN = {  # stream -> (store kind, store entity)
    "deal_participants": ("participant", "deal"),
    "deal_followers": ("follower", "deal"),
    "person_followers": ("follower", "person"),
    "organization_followers": ("follower", "organization"),
    "product_followers": ("follower", "product"),
}


@dataclass
class Listed:
    alive: set[Key] = field(default_factory=set)
    deleted: set[Key] = field(default_factory=set)  # listed with a deleted status
    parent_ids: list[int] = field(default_factory=list)  # alive records' ids


class Truth:
    """What the API lists, read with plain HTTP (and the store, for per-parent children)."""

    def __init__(self, server: EmulatorServer) -> None:
        self.server = server
        self.http = httpx.Client(
            base_url=server.url, headers={"x-api-token": server.config.token}, timeout=30
        )
        self.cache: dict[str, Listed] = {}

    def get(self, path: str, params: dict[str, Any]) -> dict[str, Any]:
        response = self.http.get(path, params=params)
        assert response.status_code == 200, f"{path}: {response.status_code} {response.text[:200]}"
        body: dict[str, Any] = response.json()
        return body

    def pages(self, endpoint: Endpoint, extra: dict[str, Any] | None = None) -> Iterator[Any]:
        params: dict[str, Any] = {**dict(endpoint.params), **(extra or {})}
        if endpoint.paging == "none":
            yield self.records(endpoint, self.get(endpoint.path, params))
            return
        params["limit"] = endpoint.limit
        start, cursor = 0, None
        while True:
            if endpoint.paging == "offset":
                params["start"] = start
            elif cursor:
                params["cursor"] = cursor
            body = self.get(endpoint.path, params)
            records = self.records(endpoint, body)
            extra_data = body.get("additional_data") or {}
            if endpoint.paging == "offset":
                paging = extra_data.get("pagination") or {}
                more = bool(paging.get("more_items_in_collection"))
                nxt = paging.get("next_start", start + len(records))
            else:
                nxt = extra_data.get("next_cursor")
                more = bool(nxt)
            assert records or not more, f"{endpoint.path}: an empty page promised more"
            yield records
            if not more:
                return
            if endpoint.paging == "offset":
                assert int(nxt) > start
                start = int(nxt)
            else:
                cursor = nxt

    @staticmethod
    def records(endpoint: Endpoint, body: dict[str, Any]) -> list[dict[str, Any]]:
        node: Any = body
        for part in endpoint.records:
            node = node.get(part) if isinstance(node, dict) else None
        return list(node or [])

    def listed(self, stream: str) -> Listed:
        if stream not in self.cache:
            self.cache[stream] = self.children(stream) if stream in CHILDREN else self.top(stream)
        return self.cache[stream]

    def top(self, stream: str) -> Listed:
        endpoint = TOP_LEVEL[stream]
        out = Listed()
        for page in self.pages(endpoint):
            for record in page:
                key = tuple(str(record[k]) for k in endpoint.key)
                if stream == "deals" and (
                    record.get("is_deleted") or record["status"] == "deleted"
                ):
                    out.deleted.add(key)
                else:
                    out.alive.add(key)
                    if "id" in record:
                        out.parent_ids.append(record["id"])
        return out

    def children(self, stream: str) -> Listed:
        parents = self.listed(CHILDREN[stream]).parent_ids
        out = Listed()
        if stream == "deal_products":  # the batch endpoint: 100 deals a call
            endpoint = v2("deals/products")
            for i in range(0, len(parents), 100):
                ids = ",".join(map(str, parents[i : i + 100]))
                for page in self.pages(endpoint, {"deal_ids": ids}):
                    out.alive.update((str(r["id"]),) for r in page)
        elif stream == "organization_relationships":  # listed under both organizations
            endpoint = v1("organizationRelationships", "none")
            with ThreadPoolExecutor(4) as pool:
                for page in pool.map(
                    lambda org: next(self.pages(endpoint, {"org_id": org})), parents
                ):
                    out.alive.update((str(r["id"]),) for r in page)
        else:
            for parent_id in parents:
                out.alive.update(self.from_store(stream, parent_id))
        return out

    def from_store(self, stream: str, parent_id: int) -> set[Key]:
        kind, entity = STORE_CHILDREN[stream]
        rows = self.server.emulator.store.relations.children(kind, entity, parent_id)
        if kind == "follower":
            return {(str(parent_id), str(r["user_id"])) for r in rows}
        return {(str(r["id"]),) for r in rows}

    def from_api(self, stream: str, parent_id: int) -> set[Key]:
        kind, entity = STORE_CHILDREN[stream]
        plural = {"deal": "deals", "person": "persons"}.get(entity, entity + "s")
        if kind == "follower":
            rows = next(self.pages(v2(f"{plural}/{parent_id}/followers")))
            return {(str(parent_id), str(r["user_id"])) for r in rows}
        rows = next(self.pages(v1(f"deals/{parent_id}/participants")))
        return {(str(r["id"]),) for r in rows}


@pytest.fixture(scope="module")
def account() -> Iterator[EmulatorServer]:
    with EmulatorServer(EmulatorConfig(deals=DEALS, seed=11, rate_limits=False)) as server:
        yield server


@pytest.fixture(scope="module")
def replica(account: EmulatorServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Any]:
    db = Path(tmp_path_factory.mktemp("completeness")) / "replica.db"
    destination = open_destination(f"sqlite:///{db}")
    selections = select_streams(incremental_capable(), requested=[*TOP_LEVEL, *CHILDREN])
    client = PipedriveClient(
        Connection(api_token=account.config.token, base_url=account.url),
        governor=RateGovernor(burst_limit=1_000_000),
    )
    with client:
        SyncEngine(client, destination, selections, SyncOptions(workers=4)).run()
    yield destination
    destination.close()


@pytest.fixture(scope="module")
def truth(account: EmulatorServer) -> Iterator[Truth]:
    reader = Truth(account)
    yield reader
    reader.http.close()


def replica_keys(destination: Any, stream: str) -> tuple[set[Key], set[Key]]:
    """(alive, marked deleted) keys of a replica table."""
    key = CATALOG[stream].primary_key
    columns = ", ".join(f'"{k}"' for k in key)
    sql = f'SELECT {columns}, "_pdsync_deleted_at" IS NOT NULL FROM "{stream}"'
    alive: set[Key] = set()
    marked: set[Key] = set()
    for row in destination.query(sql):
        (marked if row[-1] else alive).add(tuple(str(v) for v in row[:-1]))
    return alive, marked


def sample(keys: set[Key]) -> str:
    shown = sorted(keys)[:5]
    return ", ".join("/".join(k) for k in shown) + (" …" if len(keys) > 5 else "")


def test_the_truth_covers_every_stream_of_the_catalog() -> None:
    # The streams of issue 13 (history, mail, projects…) are compared with the API by
    # tests/contract/test_new_streams.py, at a size where reading every parent is cheap.
    assert set(TOP_LEVEL) | set(CHILDREN) == set(CATALOG) - {s.name for s in NEW}


def test_the_store_agrees_with_the_api_on_per_parent_children(truth: Truth) -> None:
    for stream in STORE_CHILDREN:
        parents = truth.listed(CHILDREN[stream]).parent_ids[:: max(1, DEALS // 40)]
        assert parents
        for parent_id in parents:
            assert truth.from_store(stream, parent_id) == truth.from_api(stream, parent_id)


def test_the_account_spans_several_pages_of_every_big_list(truth: Truth) -> None:
    for stream in ("deals", "persons", "activities", "notes", "leads", "files"):
        limit = TOP_LEVEL[stream].limit
        assert len(truth.listed(stream).alive) > limit, f"{stream} fits in one page"
    assert truth.listed("deals").deleted, "no deal is listed with status=deleted"


@pytest.mark.parametrize("stream", [*TOP_LEVEL, *CHILDREN])
def test_every_listed_record_is_in_the_replica_and_nothing_else(
    stream: str, replica: Any, truth: Truth
) -> None:
    listed = truth.listed(stream)
    alive, marked = replica_keys(replica, stream)
    held = alive | marked
    everything = listed.alive | listed.deleted
    problems = []
    missing = everything - held
    if missing:
        problems.append(
            f"{len(missing):,} of {len(everything):,} listed records missing ({sample(missing)})"
        )
    unmarked = listed.deleted & alive
    if unmarked:
        problems.append(f"{len(unmarked):,} deleted live but not marked ({sample(unmarked)})")
    hidden = listed.alive & marked
    if hidden:
        problems.append(f"{len(hidden):,} listed alive but marked deleted ({sample(hidden)})")
    extra = alive - listed.alive - listed.deleted
    if extra:
        problems.append(f"{len(extra):,} alive in the replica but not listed ({sample(extra)})")
    assert not problems, f"{stream}: " + "; ".join(problems)
